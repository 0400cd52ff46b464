import { ConfigError, loadConfig } from '../../../config/config';
import type * as StartModule from '../../../scripts/start';

// Jest's resolver would pick the bash entry point `scripts/start` over `scripts/start.ts`: name the file.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { planStart, temporalDevArgs } = require('../../../scripts/start.ts') as typeof StartModule;

describe('planStart (what npm start runs)', () => {
  it('with an empty environment, runs the dev server, the simulator and the API on the default ports', () => {
    const plan = planStart({});
    expect(plan).toMatchObject({
      dataDir: './data',
      temporalDev: { port: 7233, uiPort: 8233, dbFile: 'data/temporal.db' },
      simulator: { port: 21465, url: 'http://localhost:21465' },
      apiUrl: 'http://localhost:3000',
      readyTimeoutMs: 240_000,
    });
    expect(plan.childEnv).toMatchObject({
      TEMPORAL_ADDRESS: 'localhost:7233',
      WPPCONNECT_URL: 'http://localhost:21465/api',
      PUBLIC_URL: 'http://localhost:3000',
      API_PORT: '3000',
      DATABASE_URL: 'sqlite:data/medical-assistant.sqlite',
      CODEC_CORS_ORIGINS: 'http://localhost:8233,http://127.0.0.1:8233',
    });
  });

  it('moves every port and the data folder when asked, and keeps the children pointed at them', () => {
    const plan = planStart({
      DATA_DIR: '/tmp/x',
      API_PORT: '4000',
      TEMPORAL_DEV_PORT: '17000',
      SIMULATOR_PORT: '22000',
    });
    expect(plan.temporalDev).toEqual({ port: 17000, uiPort: 18000, dbFile: '/tmp/x/temporal.db' });
    expect(plan.childEnv).toMatchObject({
      TEMPORAL_ADDRESS: 'localhost:17000',
      WPPCONNECT_URL: 'http://localhost:22000/api',
      PUBLIC_URL: 'http://localhost:4000',
      DATABASE_URL: 'sqlite:/tmp/x/medical-assistant.sqlite',
    });
  });

  it('takes the dev server port from a local TEMPORAL_ADDRESS', () => {
    expect(planStart({ TEMPORAL_ADDRESS: '127.0.0.1:7999' }).temporalDev?.port).toBe(7999);
  });

  it('with a remote TEMPORAL_ADDRESS and a WPPCONNECT_URL, starts neither a dev server nor the simulator', () => {
    const plan = planStart({ TEMPORAL_ADDRESS: 'temporal.internal:7233', WPPCONNECT_URL: 'http://wpp:21465/api' });
    expect(plan.temporalDev).toBeUndefined();
    expect(plan.simulator).toBeUndefined();
    expect(plan.childEnv).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      WPPCONNECT_URL: 'http://wpp:21465/api',
    });
  });

  it('keeps a DATABASE_URL and PUBLIC_URL the user set', () => {
    const plan = planStart({ DATABASE_URL: 'postgres://u:p@h/db', PUBLIC_URL: 'https://example.test' });
    expect(plan.childEnv).toMatchObject({ DATABASE_URL: 'postgres://u:p@h/db', PUBLIC_URL: 'https://example.test' });
  });

  it('rejects a port that is not a number with the name of the variable', () => {
    expect(() => planStart({ SIMULATOR_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => planStart({ SIMULATOR_PORT: 'abc' })).toThrow('Invalid configuration: SIMULATOR_PORT must be a port');
  });
});

describe('temporalDevArgs', () => {
  it('persists state, registers the four Keyword search attributes and keeps the dev server quiet', () => {
    const plan = planStart({ DATA_DIR: '/d' });
    expect(temporalDevArgs(plan, loadConfig(plan.childEnv))).toEqual([
      'server',
      'start-dev',
      '--db-filename',
      '/d/temporal.db',
      '--port',
      '7233',
      '--ui-port',
      '8233',
      '--log-level',
      'error',
      '--search-attribute',
      'ChatId=Keyword',
      '--search-attribute',
      'WhatsAppSession=Keyword',
      '--search-attribute',
      'PatientId=Keyword',
      '--search-attribute',
      'TriageLevel=Keyword',
    ]);
  });

  it('points the Web UI at the API codec server and creates a custom namespace when configured', () => {
    const plan = planStart({ API_PORT: '4000' });
    const key = Buffer.alloc(32, 7).toString('base64');
    const args = temporalDevArgs(
      plan,
      loadConfig({ ...plan.childEnv, TEMPORAL_PAYLOAD_KEY: key, TEMPORAL_NAMESPACE: 'clinic' }),
    );
    expect(args.join(' ')).toContain('--namespace clinic');
    expect(args.join(' ')).toContain('--ui-codec-endpoint http://localhost:4000/codec');
  });
});
