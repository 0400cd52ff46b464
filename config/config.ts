import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Every environment variable of docs/product.md §3. `loadConfig(env)` is pure: the composition roots
 * (api/main.ts, worker/main.ts, scripts) pass `process.env`; tests pass plain objects.
 */

const DEV_WPPCONNECT_SECRET = 'THISISMYSECURETOKEN';
const DEV_WEBHOOK_TOKEN = 'dev-webhook-token';
const DEV_API_KEY = 'dev-api-key';
/** Production refuses shorter secrets (WEBHOOK_TOKEN, API_KEYS, WPPCONNECT_SECRET_KEY, CLINICIAN_ALERT_SECRET). */
export const MIN_SECRET_LENGTH = 32;

/** API key scopes: `read` (history, search, stats), `send`, `admin` (sessions, handoff, patient links), `codec`. */
export const API_SCOPES = ['read', 'send', 'admin', 'codec'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKeyConfig {
  key: string;
  scopes: ApiScope[];
}

/**
 * One API_KEYS entry: `key` (every scope, as before scopes existed) or `key:read+send`. A suffix that looks
 * like a scope list is always read as one, so a misspelt scope stops the process instead of silently
 * becoming part of the key.
 */
export function parseApiKeyEntry(entry: string): ApiKeyConfig | string {
  const colon = entry.lastIndexOf(':');
  const suffix = colon === -1 ? '' : entry.slice(colon + 1);
  if (colon === -1 || !/^[a-z]*(\+[a-z]*)*$/.test(suffix)) return { key: entry, scopes: [...API_SCOPES] };
  const key = entry.slice(0, colon);
  const names = suffix.split('+');
  const unknown = names.filter((n) => !(API_SCOPES as readonly string[]).includes(n));
  if (key === '') return 'has an entry with no key before ":"';
  if (unknown.length > 0) {
    return `has an unknown scope "${unknown[0]}" (scopes: ${API_SCOPES.join(', ')}, joined with +, e.g. key:read+send)`;
  }
  return { key, scopes: API_SCOPES.filter((s) => names.includes(s)) };
}

/** Standard base64 with padding of exactly 32 bytes: what `randomBytes(32).toString('base64')` prints. */
export function isStrictBase64Key(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').toString('base64') === value;
}

const isLocalHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

/** `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`: what TRUSTED_PROXIES accepts. */
export function isAddressOrCidr(value: string): boolean {
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

const durationUnits: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Parses "10 minutes", "90s", "1h", or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : durationUnits[unit];
  if (factor === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * factor);
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const positiveNumber = (def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const duration = (def: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const text = v === undefined || v.trim() === '' ? def : v;
      const ms = parseDurationMs(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a duration like "10 minutes" or "90s", got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

const bool = (def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const t = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
      return z.NEVER;
    });

const url = (def: string | undefined) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = v === undefined || v.trim() === '' ? def : v.trim();
      if (value === undefined) return undefined;
      try {
        const parsed = new URL(value);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got "${value}"` });
        return z.NEVER;
      }
      return value.replace(/\/+$/, '');
    });

const list = (def: string) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v === undefined || v.trim() === '' ? def : v)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .default('sqlite:./data/medical-assistant.sqlite')
    .refine((v) => /^(sqlite:|postgres:\/\/|postgresql:\/\/|mssql:\/\/)/.test(v), {
      message: 'must start with sqlite:, postgres:// or mssql://',
    }),
  TEMPORAL_ADDRESS: z
    .string()
    .default('localhost:7233')
    .refine((v) => /^[^\s:/]+:\d+$/.test(v), { message: 'must be host:port' }),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('medical-assistant'),
  TEMPORAL_UI_URL: url('http://localhost:8233'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_PAYLOAD_KEY: optionalString.refine((v) => v === undefined || isStrictBase64Key(v), {
    message: 'must be the base64 of a 32-byte key (44 characters ending in =)',
  }),
  TEMPORAL_PAYLOAD_PREVIOUS_KEYS: list('').refine((keys) => keys.every(isStrictBase64Key), {
    message: 'must be comma-separated base64 32-byte keys (44 characters ending in =)',
  }),
  TEMPORAL_ALLOW_PLAINTEXT: bool(false),
  WPPCONNECT_URL: url('http://localhost:21465/api'),
  WPPCONNECT_SESSION: list('medical-assistant').refine(
    (names) => names.length > 0 && names.every((n) => /^[A-Za-z0-9_-]{1,40}$/.test(n)),
    {
      message: 'must be comma-separated names of 1-40 letters, digits, _ or - (WPPConnect tokens break past 72 bytes)',
    },
  ),
  WPPCONNECT_SECRET_KEY: optionalString,
  WPPCONNECT_TIMEOUT_SECONDS: positiveNumber(30),
  WPPCONNECT_MAX_RETRIES: int(3, 1, 100),
  WPPCONNECT_SENDS_PER_SECOND: positiveNumber(2),
  WEBHOOK_TOKEN: optionalString,
  WEBHOOK_TOKEN_PREVIOUS: list(''),
  PUBLIC_URL: url('http://localhost:3000'),
  API_PORT: int(3000, 1, 65535),
  API_KEYS: list(''),
  RATE_LIMIT_PER_MINUTE: int(60, 1),
  CODEC_RATE_LIMIT_PER_MINUTE: int(600, 1),
  AUTH_FAILURES_PER_MINUTE: int(10, 1),
  TRUSTED_PROXIES: list('').refine((entries) => entries.every(isAddressOrCidr), {
    message: 'must be comma-separated IP addresses or CIDR ranges (10.0.0.1, 10.0.0.0/8, fd00::/8)',
  }),
  CODEC_CORS_ORIGINS: list('http://localhost:8233').refine(
    (origins) => origins.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
    { message: 'must be comma-separated origins like http://localhost:8233 (scheme, host, optional port)' },
  ),
  MEDIA_STORAGE_PATH: z.string().min(1).default('./storage/media'),
  MEDIA_MAX_BYTES: int(16_777_216, 1),
  MEDIA_RETENTION_DAYS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 36_500) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number of days (1 to 36500) or unset, got "${v}"` });
        return z.NEVER;
      }
      return n;
    }),
  AI_PROVIDER: z.enum(['rules', 'openai']).default('rules'),
  AI_BASE_URL: url(undefined),
  AI_API_KEY: optionalString,
  AI_MODEL: optionalString,
  AI_TIMEOUT_SECONDS: positiveNumber(30),
  QUIET_WINDOW_MS: int(2000, 0),
  DELIVERY_TIMEOUT: duration('10 minutes'),
  REPLY_MAX_AGE: duration('15 minutes'),
  HUMAN_REPLY_PAUSES_BOT: bool(true),
  CLINICIAN_ALERT_URL: url(undefined),
  CLINICIAN_ALERT_SECRET: optionalString,
  CONSOLE_SESSION_TTL: duration('12 hours'),
  SESSION_KEEPER_CHECK_SECONDS: int(30, 1, 86_400),
  SESSION_KEEPER_CATCH_UP_SECONDS: int(300, 1, 86_400),
  SESSION_STUCK_SECONDS: int(180, 10, 86_400),
  WORKER_METRICS_PORT: int(9464, 0, 65535),
  WORKER_MAX_CACHED_WORKFLOWS: int(200, 0),
  WORKER_MAX_CONCURRENT_ACTIVITIES: int(50, 1),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(30, 0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawEnv = Record<string, string | undefined>;

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  databaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** The Temporal Web UI, for the links the API gives operators (TEMPORAL_UI_URL). */
    uiUrl: string;
    /** Outbound WhatsApp sends run here, rate limited by the worker. */
    sendTaskQueue: string;
    apiKey?: string;
    tlsCert?: string;
    tlsKey?: string;
    payloadKey?: string;
    /** Keys still accepted for decoding after a rotation (not in docs/product.md §3; see docs/operations.md). */
    previousPayloadKeys: string[];
  };
  wppconnect: {
    url: string;
    sessions: string[];
    secretKey: string;
    timeoutMs: number;
    maxRetries: number;
    sendsPerSecond: number;
  };
  webhookToken: string;
  publicUrl: string;
  /** codecCorsOrigins is not in docs/product.md §3: browser origins (the Temporal Web UI) allowed to call /codec. */
  /** Beyond docs/product.md §3: codecCorsOrigins, codecRateLimitPerMinute, authFailuresPerMinute, trustedProxies. */
  api: {
    port: number;
    /** API_KEYS with their scopes (an entry without scopes has them all). */
    keys: ApiKeyConfig[];
    rateLimitPerMinute: number;
    codecCorsOrigins: string[];
    codecRateLimitPerMinute: number;
    /** Failed authentications a client address may make per minute before it is refused outright. */
    authFailuresPerMinute: number;
    /** Addresses/CIDRs of proxies whose X-Forwarded-For is believed; empty: the socket address counts. */
    trustedProxies: string[];
  };
  /** Old webhook tokens still accepted during a rotation (WEBHOOK_TOKEN_PREVIOUS). */
  previousWebhookTokens: string[];
  /** retentionDays: media older than this is removed (MEDIA_RETENTION_DAYS); undefined keeps it. */
  media: { storagePath: string; maxBytes: number; retentionDays?: number };
  ai: { provider: 'rules' | 'openai'; baseUrl?: string; apiKey?: string; model?: string; timeoutMs: number };
  quietWindowMs: number;
  deliveryTimeoutMs: number;
  /** An assessment older than this when its send can finally go is redone. */
  replyMaxAgeMs: number;
  /** A staff reply (linked phone or console) pauses the assistant for that chat. */
  humanReplyPausesBot: boolean;
  clinicianAlertUrl?: string;
  /** HMAC-SHA256 key of the signature header on outbound alerts (CLINICIAN_ALERT_SECRET). */
  clinicianAlertSecret?: string;
  /** Not in docs/product.md §3: how long an operator stays signed in to the console (CONSOLE_SESSION_TTL). */
  console: { sessionTtlMs: number };
  /**
   * Not in docs/product.md §3: how often the session keeper checks a healthy session and runs catch-up, and
   * (docs/product.md §8) how long a session may stay in a non-final state before it acts.
   */
  sessionKeeper: { checkMs: number; catchUpMs: number; stuckMs: number };
  /** Not in docs/product.md §3: worker tuning, documented in the README. Metrics port 0 turns the exporter off. */
  worker: { metricsPort: number; maxCachedWorkflows: number; maxConcurrentActivities: number; shutdownGraceMs: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Builds the typed configuration; throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: RawEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, issue?.message ?? 'is invalid');
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const required = (name: string, value: string | undefined, devDefault: string): string => {
    if (value !== undefined) return value;
    if (production) throw new ConfigError(name, 'is required when NODE_ENV=production');
    return devDefault;
  };
  const apiKeys: ApiKeyConfig[] = [];
  for (const entry of e.API_KEYS.length > 0 ? e.API_KEYS : production ? [] : [DEV_API_KEY]) {
    const parsedKey = parseApiKeyEntry(entry);
    if (typeof parsedKey === 'string') throw new ConfigError('API_KEYS', parsedKey);
    if (apiKeys.some((k) => k.key === parsedKey.key)) throw new ConfigError('API_KEYS', 'lists the same key twice');
    apiKeys.push(parsedKey);
  }
  if (apiKeys.length === 0) throw new ConfigError('API_KEYS', 'is required when NODE_ENV=production');
  const webhookToken = required('WEBHOOK_TOKEN', e.WEBHOOK_TOKEN, DEV_WEBHOOK_TOKEN);
  const wppconnectSecret = required('WPPCONNECT_SECRET_KEY', e.WPPCONNECT_SECRET_KEY, DEV_WPPCONNECT_SECRET);
  if (production) {
    // A well-known or short secret is as good as none on a server that holds patients' conversations.
    const strong = (name: string, value: string, devValue?: string): void => {
      if (value === devValue) throw new ConfigError(name, 'is the built-in development value (NODE_ENV=production)');
      if (value.length < MIN_SECRET_LENGTH) {
        throw new ConfigError(name, `is shorter than ${MIN_SECRET_LENGTH} characters (NODE_ENV=production)`);
      }
    };
    strong('WEBHOOK_TOKEN', webhookToken, DEV_WEBHOOK_TOKEN);
    for (const token of e.WEBHOOK_TOKEN_PREVIOUS) strong('WEBHOOK_TOKEN_PREVIOUS', token, DEV_WEBHOOK_TOKEN);
    for (const { key } of apiKeys) strong('API_KEYS', key, DEV_API_KEY);
    strong('WPPCONNECT_SECRET_KEY', wppconnectSecret, DEV_WPPCONNECT_SECRET);
    if (e.TEMPORAL_PAYLOAD_KEY === undefined && !e.TEMPORAL_ALLOW_PLAINTEXT) {
      throw new ConfigError(
        'TEMPORAL_PAYLOAD_KEY',
        'is required when NODE_ENV=production (or set TEMPORAL_ALLOW_PLAINTEXT=true to store payloads in clear)',
      );
    }
    if (e.CLINICIAN_ALERT_URL !== undefined) {
      if (e.CLINICIAN_ALERT_SECRET === undefined) {
        throw new ConfigError(
          'CLINICIAN_ALERT_SECRET',
          'is required with CLINICIAN_ALERT_URL when NODE_ENV=production',
        );
      }
      const alertUrl = new URL(e.CLINICIAN_ALERT_URL);
      if (alertUrl.protocol === 'http:' && !isLocalHost(alertUrl.hostname)) {
        throw new ConfigError(
          'CLINICIAN_ALERT_URL',
          'must be https: unless it points at the local host (NODE_ENV=production)',
        );
      }
    }
    if (e.CLINICIAN_ALERT_SECRET !== undefined) strong('CLINICIAN_ALERT_SECRET', e.CLINICIAN_ALERT_SECRET);
  }
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    throw new ConfigError('TEMPORAL_TLS_CERT', 'and TEMPORAL_TLS_KEY must be set together');
  }
  if (e.AI_PROVIDER === 'openai' && e.AI_BASE_URL === undefined) {
    throw new ConfigError('AI_BASE_URL', 'is required when AI_PROVIDER=openai');
  }
  return {
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL as string,
      sendTaskQueue: `${e.TEMPORAL_TASK_QUEUE}-sends`,
      apiKey: e.TEMPORAL_API_KEY,
      tlsCert: e.TEMPORAL_TLS_CERT,
      tlsKey: e.TEMPORAL_TLS_KEY,
      payloadKey: e.TEMPORAL_PAYLOAD_KEY,
      previousPayloadKeys: e.TEMPORAL_PAYLOAD_PREVIOUS_KEYS,
    },
    wppconnect: {
      url: e.WPPCONNECT_URL as string,
      sessions: e.WPPCONNECT_SESSION,
      secretKey: wppconnectSecret,
      timeoutMs: Math.round(e.WPPCONNECT_TIMEOUT_SECONDS * 1000),
      maxRetries: e.WPPCONNECT_MAX_RETRIES,
      sendsPerSecond: e.WPPCONNECT_SENDS_PER_SECOND,
    },
    webhookToken,
    previousWebhookTokens: e.WEBHOOK_TOKEN_PREVIOUS,
    publicUrl: e.PUBLIC_URL as string,
    api: {
      port: e.API_PORT,
      keys: apiKeys,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      codecCorsOrigins: e.CODEC_CORS_ORIGINS,
      codecRateLimitPerMinute: e.CODEC_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      trustedProxies: e.TRUSTED_PROXIES,
    },
    media: {
      storagePath: e.MEDIA_STORAGE_PATH,
      maxBytes: e.MEDIA_MAX_BYTES,
      ...(e.MEDIA_RETENTION_DAYS !== undefined ? { retentionDays: e.MEDIA_RETENTION_DAYS } : {}),
    },
    ai: {
      provider: e.AI_PROVIDER,
      baseUrl: e.AI_BASE_URL,
      apiKey: e.AI_API_KEY,
      model: e.AI_MODEL,
      timeoutMs: Math.round(e.AI_TIMEOUT_SECONDS * 1000),
    },
    quietWindowMs: e.QUIET_WINDOW_MS,
    deliveryTimeoutMs: e.DELIVERY_TIMEOUT,
    replyMaxAgeMs: e.REPLY_MAX_AGE,
    humanReplyPausesBot: e.HUMAN_REPLY_PAUSES_BOT,
    clinicianAlertUrl: e.CLINICIAN_ALERT_URL,
    clinicianAlertSecret: e.CLINICIAN_ALERT_SECRET,
    console: { sessionTtlMs: e.CONSOLE_SESSION_TTL },
    sessionKeeper: {
      checkMs: e.SESSION_KEEPER_CHECK_SECONDS * 1000,
      catchUpMs: e.SESSION_KEEPER_CATCH_UP_SECONDS * 1000,
      stuckMs: e.SESSION_STUCK_SECONDS * 1000,
    },
    worker: {
      metricsPort: e.WORKER_METRICS_PORT,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    },
    logLevel: e.LOG_LEVEL,
  };
}

/** Composition roots call this: a bad value prints one line and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit(env: RawEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
