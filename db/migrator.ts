import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from './migrations';

export type Migrator = Umzug<QueryInterface>;

/** Arbitrary constant naming this schema's migration lock in pg_advisory_xact_lock. */
const PG_MIGRATION_LOCK = 727_001;

/**
 * umzug over the explicit migration list, recording what ran in the SequelizeMeta table.
 * Silent: callers (db/cli.ts, openDatabase) report the names umzug returns.
 */
export function createMigrator(sequelize: Sequelize): Migrator {
  return new Umzug<QueryInterface>({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies every pending migration; returns the names it ran. The API and the worker both call this
 * at start-up, possibly at the same moment: on PostgreSQL an advisory lock makes the second wait;
 * elsewhere the loser of the race waits for the winner to finish and then reports nothing to do.
 */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const migrator = createMigrator(sequelize);
  const run = async () => (await migrator.up()).map((m) => m.name);
  if (sequelize.getDialect() === 'postgres') {
    // The lock lives on this transaction's connection; umzug works on other pooled connections.
    return sequelize.transaction(async (transaction) => {
      await sequelize.query('SELECT pg_advisory_xact_lock(:key)', {
        replacements: { key: PG_MIGRATION_LOCK },
        transaction,
      });
      return run();
    });
  }
  try {
    return await run();
  } catch (err) {
    for (let attempt = 0; attempt < 40; attempt++) {
      await sleep(250);
      if ((await migrator.pending()).length === 0) return [];
    }
    throw err;
  }
}
