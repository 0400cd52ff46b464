import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { createConversationRepository, createMigrator, createSequelize, dialectOf, migrate } from '../../../db';
import { sqliteStoragePath } from '../../../db/connection';
import { at, patientText } from './factories';
import { targetRows, type FreshDatabase } from './targets';

const APP_TABLES = [
  'ChatSessions',
  'ConversationMessages',
  'DeliveryEvents',
  'Escalations',
  'OperatorSessions',
  'Operators',
  'OutboundRequests',
  'Patients',
];
const MIGRATIONS = [
  '2026.11.24T00.00.01.create-tables',
  '2026.11.24T00.00.02.full-text-search',
  '2026.11.29T00.00.03.operators',
];

describe.each(targetRows())('migrations on %s', (name, target) => {
  let fresh: FreshDatabase;

  beforeEach(async () => {
    fresh = await target.create();
  });
  afterEach(async () => {
    await fresh.drop();
  });

  async function tableNames(sequelize: ReturnType<typeof createSequelize>): Promise<string[]> {
    const tables = (await sequelize.getQueryInterface().showAllTables()) as unknown[];
    return tables
      .map((t) => (typeof t === 'string' ? t : (t as { tableName: string }).tableName))
      .filter((t) => !t.startsWith('ConversationMessagesFts_') && !t.startsWith('sqlite_'))
      .sort();
  }

  it('applies every migration, rolls all of them back, and applies them again', async () => {
    const sequelize = createSequelize(fresh.url);
    try {
      const migrator = createMigrator(sequelize);
      expect((await migrator.up()).map((m) => m.name)).toEqual(MIGRATIONS);
      const expected = [...APP_TABLES, 'SequelizeMeta', ...(name === 'sqlite' ? ['ConversationMessagesFts'] : [])];
      expect(await tableNames(sequelize)).toEqual(expected.sort());
      expect((await migrator.executed()).map((m) => m.name)).toEqual(MIGRATIONS);

      expect((await migrator.down({ to: 0 })).map((m) => m.name)).toEqual([...MIGRATIONS].reverse());
      expect(await tableNames(sequelize)).toEqual(['SequelizeMeta']);
      expect(await migrator.executed()).toEqual([]);

      expect((await migrator.up()).map((m) => m.name)).toEqual(MIGRATIONS);
      const repo = createConversationRepository(sequelize);
      await repo.logMessage(patientText({ messageId: 'after-reapply', content: 'febre alta' }));
      const found = await repo.search({ q: 'febre', limit: 10, offset: 0 });
      expect(found.total).toBe(1);
      expect(found.items.map((m) => m.messageId)).toEqual(['after-reapply']);
    } finally {
      await sequelize.close();
    }
  });

  it('lets two processes migrate the same database at once: one applies everything, the other nothing', async () => {
    const first = createSequelize(fresh.url);
    const second = createSequelize(fresh.url);
    try {
      const ran = await Promise.all([migrate(first), migrate(second)]);
      expect(ran.map((names) => names.length).sort()).toEqual([0, MIGRATIONS.length]);
      expect((await createMigrator(first).executed()).map((m) => m.name)).toEqual(MIGRATIONS);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('indexes messages stored while full-text search was rolled back once it is applied again', async () => {
    const sequelize = createSequelize(fresh.url);
    try {
      const migrator = createMigrator(sequelize);
      await migrator.up();
      expect((await migrator.down({ to: MIGRATIONS[1] })).map((m) => m.name)).toEqual(MIGRATIONS.slice(1).reverse());
      await sequelize.query(
        `INSERT INTO "ConversationMessages" ("Session", "ChatId", "MessageId", "Timestamp", "Direction", "SenderType",
           "MessageType", "Content", "Metadata", "DeliveryStatus", "CreatedAt")
         VALUES ('clinic', 'c1', 'old-1', :ts, 'inbound', 'patient', 'text', 'tosse seca', '{}', 'received', :ts)`,
        { replacements: { ts: at(0) }, type: QueryTypes.INSERT },
      );
      await migrator.up();
      const repo = createConversationRepository(sequelize);
      const found = await repo.search({ q: 'tosse', limit: 10, offset: 0 });
      expect(found.total).toBe(1);
      expect(found.items[0]?.messageId).toBe('old-1');
    } finally {
      await sequelize.close();
    }
  });
});

describe('connection URLs', () => {
  it('recognises the three DATABASE_URL schemes and rejects others', () => {
    expect(dialectOf('sqlite:./data/x.sqlite')).toBe('sqlite');
    expect(dialectOf('postgres://u:p@h:5432/d')).toBe('postgres');
    expect(dialectOf('postgresql://u:p@h:5432/d')).toBe('postgres');
    expect(dialectOf('mssql://u:p@h:1433/d')).toBe('mssql');
    expect(() => dialectOf('mysql://u:p@h/d')).toThrow('DATABASE_URL must start with sqlite:, postgres:// or mssql://');
  });

  it('configures SQL Server through tedious with TLS unless the URL turns it off', async () => {
    const secure = createSequelize('mssql://sa:pw@127.0.0.1:1433/medical');
    const plain = createSequelize('mssql://sa:pw@127.0.0.1:1433/medical?encrypt=false');
    try {
      const optionsOf = (s: typeof secure) =>
        (
          s as unknown as {
            options: { dialectOptions: { options: { encrypt: boolean; trustServerCertificate: boolean } } };
          }
        ).options.dialectOptions.options;
      expect([secure.getDialect(), optionsOf(secure)]).toEqual([
        'mssql',
        { encrypt: true, trustServerCertificate: true },
      ]);
      expect(optionsOf(plain)).toEqual({ encrypt: false, trustServerCertificate: true });
    } finally {
      await Promise.all([secure.close(), plain.close()]);
    }
  });

  it('resolves relative, absolute and in-memory SQLite paths', () => {
    expect(sqliteStoragePath('sqlite:./data/x.sqlite')).toBe(path.resolve('data/x.sqlite'));
    expect(sqliteStoragePath('sqlite:/var/db/x.sqlite')).toBe('/var/db/x.sqlite');
    expect(sqliteStoragePath('sqlite:///var/db/x.sqlite')).toBe('/var/db/x.sqlite');
    expect(sqliteStoragePath('sqlite::memory:')).toBe(':memory:');
  });

  it('creates the parent folder of a SQLite file and opens it in WAL mode with a busy timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ma-conn-'));
    const file = path.join(dir, 'deep', 'er', 'db.sqlite');
    const sequelize = createSequelize(`sqlite:${file}`, { sqliteBusyTimeoutMs: 1234 });
    try {
      const [mode] = await sequelize.query<{ journal_mode: string }>('PRAGMA journal_mode', {
        type: QueryTypes.SELECT,
      });
      const [timeout] = await sequelize.query<{ timeout: number }>('PRAGMA busy_timeout', { type: QueryTypes.SELECT });
      expect(fs.existsSync(file)).toBe(true);
      expect(mode).toEqual({ journal_mode: 'wal' });
      expect(timeout).toEqual({ timeout: 1234 });
    } finally {
      await sequelize.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
