/**
 * `OPERATOR_PASSWORD=… npm run operator:add -- <username> [--name "Display name"] [--if-missing]`
 *
 * Creates an operator of the console (docs/console.md), or sets a new password on an existing one (which
 * signs out its browsers). The password comes from the environment, never the command line (other users
 * of the machine can read process arguments). `--if-missing` leaves an existing operator untouched: what
 * `npm start` uses for the development operator. Migrates the database first, like the API and worker.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config/config';
import { openDatabase } from '../db';

const USAGE =
  'usage: OPERATOR_PASSWORD=<password> npm run operator:add -- <username> [--name "Display name"] [--if-missing]';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, 'if-missing': { type: 'boolean', default: false } },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  const [username, ...extra] = parsed.positionals;
  const password = process.env.OPERATOR_PASSWORD;
  if (username === undefined || extra.length > 0) {
    console.error(USAGE);
    return 64;
  }
  if (password === undefined || password === '') {
    console.error(`OPERATOR_PASSWORD is not set\n${USAGE}`);
    return 64;
  }
  const config = loadConfigOrExit(process.env);
  const db = await openDatabase(config.databaseUrl);
  try {
    const input = { username, password, displayName: parsed.values.name };
    const { operator, created } = parsed.values['if-missing']
      ? await db.operators.createIfMissing(input)
      : await db.operators.save(input);
    if (created) console.log(`operator ${operator.username} created ("${operator.displayName}")`);
    else if (parsed.values['if-missing']) console.log(`operator ${operator.username} exists: left as it is`);
    else console.log(`operator ${operator.username}: password changed, its browser sessions signed out`);
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
