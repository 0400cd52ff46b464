import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Sequelize } from 'sequelize';
import { openDatabase, type Database } from '../../../db';

/**
 * The databases the db suites run against: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set
 * (scripts/postgres ensure prints one). Each call makes a fresh, empty database.
 */

export type TargetName = 'sqlite' | 'postgres';

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DbTarget {
  name: TargetName;
  create(): Promise<FreshDatabase>;
}

const sqliteTarget: DbTarget = {
  name: 'sqlite',
  create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ma-db-test-'));
    return Promise.resolve({
      url: `sqlite:${path.join(dir, 'nested', 'test.sqlite')}`,
      drop: () => fs.promises.rm(dir, { recursive: true, force: true }),
    });
  },
};

function postgresTarget(baseUrl: string): DbTarget {
  return {
    name: 'postgres',
    async create() {
      const name = `ma_test_${process.pid}_${randomUUID().slice(0, 8)}`;
      const admin = new Sequelize(baseUrl, { logging: false, dialect: 'postgres' });
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.close();
      }
      const url = new URL(baseUrl);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        async drop() {
          // Concurrent CREATE/DROP DATABASE from parallel test files can collide on the catalog: try again
          // a few times. A throwaway test database left behind is harmless, so the last failure is only logged.
          for (let attempt = 1; ; attempt++) {
            const dropper = new Sequelize(baseUrl, { logging: false, dialect: 'postgres' });
            try {
              await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
              return;
            } catch (err) {
              if (attempt >= 5) {
                console.warn(`could not drop test database ${name}: ${(err as Error).message}`);
                return;
              }
              await new Promise((r) => setTimeout(r, 200 * attempt));
            } finally {
              await dropper.close();
            }
          }
        },
      };
    },
  };
}

export function databaseTargets(): DbTarget[] {
  const postgresUrl = process.env.TEST_POSTGRES_URL;
  if (!postgresUrl && process.env.CI === 'true') {
    throw new Error('CI=true but TEST_POSTGRES_URL is unset: export the URL `scripts/postgres ensure` prints');
  }
  return postgresUrl ? [sqliteTarget, postgresTarget(postgresUrl)] : [sqliteTarget];
}

/** For describe.each: `[name, target]` rows. */
export function targetRows(): [TargetName, DbTarget][] {
  return databaseTargets().map((t) => [t.name, t]);
}

export interface TestDatabase extends Database {
  dispose(): Promise<void>;
}

/** A fresh migrated database; dispose() closes it and drops it. */
export async function openTestDatabase(target: DbTarget): Promise<TestDatabase> {
  const fresh = await target.create();
  const db = await openDatabase(fresh.url);
  return {
    ...db,
    async dispose() {
      await db.close();
      await fresh.drop();
    },
  };
}
