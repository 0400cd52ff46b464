import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, Transaction, type Options } from 'sequelize';

/**
 * Builds a Sequelize instance from DATABASE_URL (`sqlite:<path>`, `postgres://`, `mssql://`).
 * Connecting is lazy: callers `authenticate()` (openDatabase does) when they want to fail fast.
 */

export type DatabaseDialect = 'sqlite' | 'postgres' | 'mssql';

export interface ConnectionOptions {
  /** false (default) or a function receiving each SQL statement. */
  logging?: false | ((sql: string) => void);
  /** Pool size for server databases; SQLite uses one connection per transaction. */
  poolMax?: number;
  /** Milliseconds a SQLite writer waits for another writer's lock before SQLITE_BUSY. */
  sqliteBusyTimeoutMs?: number;
}

export function dialectOf(databaseUrl: string): DatabaseDialect {
  if (databaseUrl.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgres';
  if (databaseUrl.startsWith('mssql://')) return 'mssql';
  throw new Error('DATABASE_URL must start with sqlite:, postgres:// or mssql://');
}

/** `sqlite:./data/x.sqlite`, `sqlite:/abs/x.sqlite`, `sqlite:///abs/x.sqlite` and `sqlite::memory:`. */
export function sqliteStoragePath(databaseUrl: string): string {
  const rest = databaseUrl.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return ':memory:';
  const withoutSlashes = rest.startsWith('//') ? rest.slice(2) : rest;
  return path.resolve(withoutSlashes);
}

export function createSequelize(databaseUrl: string, opts: ConnectionOptions = {}): Sequelize {
  const logging = opts.logging ?? false;
  const dialect = dialectOf(databaseUrl);
  if (dialect === 'sqlite')
    return createSqlite(sqliteStoragePath(databaseUrl), logging, opts.sqliteBusyTimeoutMs ?? 5000);
  const common: Options = { logging, pool: { max: opts.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 } };
  if (dialect === 'postgres') return new Sequelize(databaseUrl, { ...common, dialect: 'postgres' });
  return new Sequelize(databaseUrl, {
    ...common,
    dialect: 'mssql',
    dialectOptions: { options: { encrypt: !/[?&]encrypt=false\b/.test(databaseUrl), trustServerCertificate: true } },
  });
}

interface SqliteHandle {
  configure(option: 'busyTimeout', ms: number): void;
  exec(sql: string, cb: (err: Error | null) => void): void;
}

function createSqlite(storage: string, logging: false | ((sql: string) => void), busyTimeoutMs: number): Sequelize {
  if (storage !== ':memory:') fs.mkdirSync(path.dirname(storage), { recursive: true });
  const sequelize = new Sequelize({
    dialect: 'sqlite',
    storage,
    logging,
    // IMMEDIATE takes the write lock at BEGIN, so two transactions never deadlock upgrading a read lock.
    transactionType: Transaction.TYPES.IMMEDIATE,
  });
  // Sequelize's SQLite driver has no afterConnect hook and opens one connection per transaction:
  // every new handle gets the busy timeout (per connection) and WAL (per file, a no-op once set).
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options?: unknown): Promise<SqliteHandle>;
  };
  const original = manager.getConnection.bind(manager);
  const configured = new WeakSet<SqliteHandle>();
  manager.getConnection = async (options?: unknown) => {
    const connection = await original(options);
    if (!configured.has(connection)) {
      configured.add(connection);
      connection.configure('busyTimeout', busyTimeoutMs);
      if (storage !== ':memory:') {
        await new Promise<void>((resolve, reject) =>
          connection.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;', (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      }
    }
    return connection;
  };
  return sequelize;
}
