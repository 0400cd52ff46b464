import { databaseTargets } from './targets';

describe('database targets of the db suites', () => {
  const saved = { CI: process.env.CI, TEST_POSTGRES_URL: process.env.TEST_POSTGRES_URL };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('fails loudly on CI when no PostgreSQL URL is given instead of silently testing SQLite only', () => {
    process.env.CI = 'true';
    delete process.env.TEST_POSTGRES_URL;
    expect(() => databaseTargets()).toThrow('CI=true but TEST_POSTGRES_URL is unset');
  });

  it('runs SQLite alone locally and adds PostgreSQL when a URL is given', () => {
    delete process.env.CI;
    delete process.env.TEST_POSTGRES_URL;
    expect(databaseTargets().map((t) => t.name)).toEqual(['sqlite']);
    process.env.TEST_POSTGRES_URL = 'postgres://u:p@127.0.0.1:5432/db';
    expect(databaseTargets().map((t) => t.name)).toEqual(['sqlite', 'postgres']);
  });
});
