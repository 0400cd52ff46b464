import { z } from 'zod';

/**
 * Every environment variable of SPEC section 3. `loadConfig(env)` is pure: the composition roots
 * (api/main.ts, worker/main.ts, scripts) pass `process.env`; tests pass plain objects.
 */

const DEV_WPPCONNECT_SECRET = 'THISISMYSECURETOKEN';
const DEV_WEBHOOK_TOKEN = 'dev-webhook-token';
const DEV_API_KEY = 'dev-api-key';

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
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_PAYLOAD_KEY: optionalString.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
    message: 'must be a base64-encoded 32-byte key',
  }),
  TEMPORAL_PAYLOAD_PREVIOUS_KEYS: list('').refine((keys) => keys.every((k) => Buffer.from(k, 'base64').length === 32), {
    message: 'must be comma-separated base64-encoded 32-byte keys',
  }),
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
  PUBLIC_URL: url('http://localhost:3000'),
  API_PORT: int(3000, 1, 65535),
  API_KEYS: list(''),
  RATE_LIMIT_PER_MINUTE: int(60, 1),
  CODEC_CORS_ORIGINS: list('http://localhost:8233').refine(
    (origins) => origins.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
    { message: 'must be comma-separated origins like http://localhost:8233 (scheme, host, optional port)' },
  ),
  MEDIA_STORAGE_PATH: z.string().min(1).default('./storage/media'),
  MEDIA_MAX_BYTES: int(16_777_216, 1),
  AI_PROVIDER: z.enum(['rules', 'openai']).default('rules'),
  AI_BASE_URL: url(undefined),
  AI_API_KEY: optionalString,
  AI_MODEL: optionalString,
  AI_TIMEOUT_SECONDS: positiveNumber(30),
  QUIET_WINDOW_MS: int(2000, 0),
  DELIVERY_TIMEOUT: z
    .string()
    .default('10 minutes')
    .transform((v, ctx) => {
      const ms = parseDurationMs(v);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a duration like "10 minutes" or "90s", got "${v}"` });
        return z.NEVER;
      }
      return ms;
    }),
  CLINICIAN_ALERT_URL: url(undefined),
  SESSION_KEEPER_CHECK_SECONDS: int(30, 1, 86_400),
  SESSION_KEEPER_CATCH_UP_SECONDS: int(300, 1, 86_400),
  WORKER_METRICS_PORT: int(9464, 0, 65535),
  WORKER_MAX_CACHED_WORKFLOWS: int(500, 0),
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
    /** Outbound WhatsApp sends run here, rate limited by the worker. */
    sendTaskQueue: string;
    apiKey?: string;
    tlsCert?: string;
    tlsKey?: string;
    payloadKey?: string;
    /** Keys still accepted for decoding after a rotation (not in SPEC section 3; see docs/operations.md). */
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
  /** codecCorsOrigins is not in SPEC section 3: browser origins (the Temporal Web UI) allowed to call /codec. */
  api: { port: number; keys: string[]; rateLimitPerMinute: number; codecCorsOrigins: string[] };
  media: { storagePath: string; maxBytes: number };
  ai: { provider: 'rules' | 'openai'; baseUrl?: string; apiKey?: string; model?: string; timeoutMs: number };
  quietWindowMs: number;
  deliveryTimeoutMs: number;
  clinicianAlertUrl?: string;
  /** Not in SPEC section 3: how often the session keeper checks a healthy session and runs catch-up. */
  sessionKeeper: { checkMs: number; catchUpMs: number };
  /** Not in SPEC section 3: worker tuning, documented in the README. Metrics port 0 turns the exporter off. */
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
  const apiKeys = e.API_KEYS.length > 0 ? e.API_KEYS : production ? [] : [DEV_API_KEY];
  if (apiKeys.length === 0) throw new ConfigError('API_KEYS', 'is required when NODE_ENV=production');
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
      secretKey: required('WPPCONNECT_SECRET_KEY', e.WPPCONNECT_SECRET_KEY, DEV_WPPCONNECT_SECRET),
      timeoutMs: Math.round(e.WPPCONNECT_TIMEOUT_SECONDS * 1000),
      maxRetries: e.WPPCONNECT_MAX_RETRIES,
      sendsPerSecond: e.WPPCONNECT_SENDS_PER_SECOND,
    },
    webhookToken: required('WEBHOOK_TOKEN', e.WEBHOOK_TOKEN, DEV_WEBHOOK_TOKEN),
    publicUrl: e.PUBLIC_URL as string,
    api: {
      port: e.API_PORT,
      keys: apiKeys,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      codecCorsOrigins: e.CODEC_CORS_ORIGINS,
    },
    media: { storagePath: e.MEDIA_STORAGE_PATH, maxBytes: e.MEDIA_MAX_BYTES },
    ai: {
      provider: e.AI_PROVIDER,
      baseUrl: e.AI_BASE_URL,
      apiKey: e.AI_API_KEY,
      model: e.AI_MODEL,
      timeoutMs: Math.round(e.AI_TIMEOUT_SECONDS * 1000),
    },
    quietWindowMs: e.QUIET_WINDOW_MS,
    deliveryTimeoutMs: e.DELIVERY_TIMEOUT,
    clinicianAlertUrl: e.CLINICIAN_ALERT_URL,
    sessionKeeper: {
      checkMs: e.SESSION_KEEPER_CHECK_SECONDS * 1000,
      catchUpMs: e.SESSION_KEEPER_CATCH_UP_SECONDS * 1000,
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
