import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { API_SCOPES, ConfigError, loadConfig, parseApiKeyEntry, type RawEnv } from '../../../config/config';

const strong = (label: string) => `${label}-${randomBytes(24).toString('hex')}`;
const PAYLOAD_KEY = randomBytes(32).toString('base64');

/** A production environment that loads: every secret strong, payloads encrypted. */
const production = (): RawEnv => ({
  NODE_ENV: 'production',
  WEBHOOK_TOKEN: strong('webhook'),
  API_KEYS: strong('key'),
  WPPCONNECT_SECRET_KEY: strong('wpp'),
  TEMPORAL_PAYLOAD_KEY: PAYLOAD_KEY,
});

/** The one line loadConfig refuses the environment with. */
function refusal(env: RawEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'loaded';
}

describe('production refuses weak secrets', () => {
  it('loads when every secret is strong and a payload key is set', () => {
    const config = loadConfig(production());
    expect(config.nodeEnv).toBe('production');
    expect(config.temporal.payloadKey).toBe(PAYLOAD_KEY);
  });

  it.each([
    ['WEBHOOK_TOKEN', 'dev-webhook-token'],
    ['API_KEYS', 'dev-api-key'],
    ['WPPCONNECT_SECRET_KEY', 'THISISMYSECURETOKEN'],
  ])('refuses the built-in development value of %s', (name, value) => {
    expect(refusal({ ...production(), [name]: value })).toBe(
      `Invalid configuration: ${name} is the built-in development value (NODE_ENV=production)`,
    );
  });

  it.each(['WEBHOOK_TOKEN', 'API_KEYS', 'WPPCONNECT_SECRET_KEY', 'CLINICIAN_ALERT_SECRET', 'WEBHOOK_TOKEN_PREVIOUS'])(
    'refuses a %s of 31 characters and accepts one of 32',
    (name) => {
      expect(refusal({ ...production(), [name]: 'x'.repeat(31) })).toBe(
        `Invalid configuration: ${name} is shorter than 32 characters (NODE_ENV=production)`,
      );
      expect(refusal({ ...production(), [name]: 'x'.repeat(32) })).toBe('loaded');
    },
  );

  it('refuses a short key among several API keys, scopes or not', () => {
    expect(refusal({ ...production(), API_KEYS: `${strong('a')}:read,short:send` })).toBe(
      'Invalid configuration: API_KEYS is shorter than 32 characters (NODE_ENV=production)',
    );
  });

  it('outside production keeps accepting the development values', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.webhookToken).toBe('dev-webhook-token');
    expect(config.api.keys).toEqual([{ key: 'dev-api-key', scopes: [...API_SCOPES] }]);
  });
});

describe('payload keys must be strict base64 of 32 bytes', () => {
  it.each([
    ['base64url alphabet', PAYLOAD_KEY.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, '') + 'A'],
    ['no padding', PAYLOAD_KEY.replace(/=$/, '')],
    ['stray characters Buffer.from ignores', `${PAYLOAD_KEY.slice(0, 20)}!!${PAYLOAD_KEY.slice(20)}`],
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
  ])('refuses a TEMPORAL_PAYLOAD_KEY with %s', (_label, key) => {
    expect(refusal({ TEMPORAL_PAYLOAD_KEY: key })).toBe(
      'Invalid configuration: TEMPORAL_PAYLOAD_KEY must be the base64 of a 32-byte key (44 characters ending in =)',
    );
  });

  it('refuses a previous key that is not strict base64 either', () => {
    expect(refusal({ TEMPORAL_PAYLOAD_PREVIOUS_KEYS: `${PAYLOAD_KEY},${PAYLOAD_KEY.slice(1)}` })).toBe(
      'Invalid configuration: TEMPORAL_PAYLOAD_PREVIOUS_KEYS must be comma-separated base64 32-byte keys (44 characters ending in =)',
    );
  });
});

describe('TEMPORAL_ALLOW_PLAINTEXT', () => {
  it('production without a payload key stops, naming TEMPORAL_PAYLOAD_KEY', () => {
    const { TEMPORAL_PAYLOAD_KEY: _omitted, ...env } = production();
    expect(refusal(env)).toBe(
      'Invalid configuration: TEMPORAL_PAYLOAD_KEY is required when NODE_ENV=production (or set TEMPORAL_ALLOW_PLAINTEXT=true to store payloads in clear)',
    );
    expect(refusal({ ...env, TEMPORAL_ALLOW_PLAINTEXT: 'false' })).toContain('TEMPORAL_PAYLOAD_KEY is required');
  });

  it('production starts without a payload key only when TEMPORAL_ALLOW_PLAINTEXT=true says so', () => {
    const { TEMPORAL_PAYLOAD_KEY: _omitted, ...env } = production();
    expect(loadConfig({ ...env, TEMPORAL_ALLOW_PLAINTEXT: 'true' }).temporal.payloadKey).toBeUndefined();
  });

  it('refuses a value that is not a boolean', () => {
    expect(refusal({ TEMPORAL_ALLOW_PLAINTEXT: 'maybe' })).toBe(
      'Invalid configuration: TEMPORAL_ALLOW_PLAINTEXT must be true or false, got "maybe"',
    );
  });
});

describe('API key scopes', () => {
  it('reads "key" as every scope and "key:read+send" as those scopes', () => {
    const config = loadConfig({ API_KEYS: 'all-of-them, reader:read, sender:send+read,codec-only:codec' });
    expect(config.api.keys).toEqual([
      { key: 'all-of-them', scopes: ['read', 'send', 'admin', 'codec'] },
      { key: 'reader', scopes: ['read'] },
      { key: 'sender', scopes: ['read', 'send'] },
      { key: 'codec-only', scopes: ['codec'] },
    ]);
  });

  it('keeps a colon that is not followed by a scope list as part of the key', () => {
    expect(parseApiKeyEntry('abc:DEF123')).toEqual({ key: 'abc:DEF123', scopes: [...API_SCOPES] });
  });

  it('stops on a misspelt scope instead of making it part of the key', () => {
    expect(refusal({ API_KEYS: 'k1,k2:raed' })).toBe(
      'Invalid configuration: API_KEYS has an unknown scope "raed" (scopes: read, send, admin, codec, joined with +, e.g. key:read+send)',
    );
    expect(refusal({ API_KEYS: 'k2:' })).toContain('API_KEYS has an unknown scope ""');
    expect(refusal({ API_KEYS: ':read' })).toBe('Invalid configuration: API_KEYS has an entry with no key before ":"');
  });

  it('refuses the same key listed twice (with different scopes, which would be ambiguous)', () => {
    expect(refusal({ API_KEYS: 'same:read,same:admin' })).toBe(
      'Invalid configuration: API_KEYS lists the same key twice',
    );
  });
});

describe('alerts, retention, rotation and proxies', () => {
  it('production with CLINICIAN_ALERT_URL requires CLINICIAN_ALERT_SECRET', () => {
    expect(refusal({ ...production(), CLINICIAN_ALERT_URL: 'https://alerts.example/hook' })).toBe(
      'Invalid configuration: CLINICIAN_ALERT_SECRET is required with CLINICIAN_ALERT_URL when NODE_ENV=production',
    );
  });

  it('production refuses a plain http alert URL unless it points at the local host', () => {
    const secret = strong('alert');
    expect(
      refusal({ ...production(), CLINICIAN_ALERT_URL: 'http://alerts.example/hook', CLINICIAN_ALERT_SECRET: secret }),
    ).toBe(
      'Invalid configuration: CLINICIAN_ALERT_URL must be https: unless it points at the local host (NODE_ENV=production)',
    );
    for (const local of ['http://localhost:9000/a', 'http://127.0.0.1/a', 'http://[::1]:8080/a']) {
      const config = loadConfig({ ...production(), CLINICIAN_ALERT_URL: local, CLINICIAN_ALERT_SECRET: secret });
      expect(config.clinicianAlertUrl).toBe(local);
      expect(config.clinicianAlertSecret).toBe(secret);
    }
  });

  it('MEDIA_RETENTION_DAYS is unset (keep) by default, a whole number of days otherwise', () => {
    expect(loadConfig({}).media.retentionDays).toBeUndefined();
    expect(loadConfig({ MEDIA_RETENTION_DAYS: '90' }).media.retentionDays).toBe(90);
    expect(refusal({ MEDIA_RETENTION_DAYS: '0' })).toBe(
      'Invalid configuration: MEDIA_RETENTION_DAYS must be a whole number of days (1 to 36500) or unset, got "0"',
    );
    expect(refusal({ MEDIA_RETENTION_DAYS: '1.5' })).toContain('MEDIA_RETENTION_DAYS must be a whole number');
  });

  it('WEBHOOK_TOKEN_PREVIOUS is a comma-separated list of old tokens', () => {
    expect(loadConfig({ WEBHOOK_TOKEN_PREVIOUS: 'old-one, old-two' }).previousWebhookTokens).toEqual([
      'old-one',
      'old-two',
    ]);
    expect(loadConfig({}).previousWebhookTokens).toEqual([]);
  });

  it('TRUSTED_PROXIES takes addresses and CIDR ranges of both families, nothing else', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.1, 172.16.0.0/12, ::1, fd00::/8' }).api.trustedProxies).toEqual([
      '10.0.0.1',
      '172.16.0.0/12',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/1', 'fd00::/129']) {
      expect(refusal({ TRUSTED_PROXIES: bad })).toBe(
        'Invalid configuration: TRUSTED_PROXIES must be comma-separated IP addresses or CIDR ranges (10.0.0.1, 10.0.0.0/8, fd00::/8)',
      );
    }
  });
});

describe('a refused configuration stops the process', () => {
  it('exits with status 78 and one line naming the variable', () => {
    const script = path.resolve(__dirname, '../../../config/config.ts');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `require(${JSON.stringify(script)}).loadConfigOrExit(process.env)`],
      {
        env: { PATH: process.env.PATH, ...production(), WEBHOOK_TOKEN: 'dev-webhook-token' },
        encoding: 'utf8',
        cwd: path.resolve(__dirname, '../../..'),
      },
    );
    expect(run.status).toBe(78);
    expect(run.stderr).toBe(
      'Invalid configuration: WEBHOOK_TOKEN is the built-in development value (NODE_ENV=production)\n',
    );
  });
});
