import { loadConfigOrExit } from '../config/config';
import { createSequelize, dialectOf } from './connection';
import { createMigrator } from './migrator';

/**
 * `tsx db/cli.ts up | down [--all] | status` (npm run db:migrate / db:rollback).
 * Composition root: reads DATABASE_URL through loadConfig and prints what it ran.
 */

const USAGE = 'usage: tsx db/cli.ts up | down [--all] | status';

async function main(argv: string[]): Promise<number> {
  const [command, flag] = argv;
  if (command !== 'up' && command !== 'down' && command !== 'status') {
    console.error(USAGE);
    return 64;
  }
  const config = loadConfigOrExit(process.env);
  const sequelize = createSequelize(config.databaseUrl);
  const migrator = createMigrator(sequelize);
  try {
    console.log(`database: ${dialectOf(config.databaseUrl)}`);
    if (command === 'up') {
      const ran = await migrator.up();
      console.log(ran.length === 0 ? 'no pending migrations' : ran.map((m) => `up:   ${m.name}`).join('\n'));
    } else if (command === 'down') {
      const ran = await migrator.down(flag === '--all' ? { to: 0 } : undefined);
      console.log(ran.length === 0 ? 'nothing to roll back' : ran.map((m) => `down: ${m.name}`).join('\n'));
    } else {
      const executed = await migrator.executed();
      const pending = await migrator.pending();
      for (const m of executed) console.log(`executed: ${m.name}`);
      for (const m of pending) console.log(`pending:  ${m.name}`);
    }
    return 0;
  } finally {
    await sequelize.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Migration errors name the migration and the SQL problem, never row data.
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
