import type { QueryInterface } from 'sequelize';
import type { RunnableMigration } from 'umzug';
import * as createTables from './2026.11.24T00.00.01.create-tables';
import * as fullTextSearch from './2026.11.24T00.00.02.full-text-search';
import * as operators from './2026.11.29T00.00.03.operators';

/**
 * Every migration in order. An explicit list (not a glob) works the same under tsx, jest and
 * compiled output; new files are added here with a later sortable name.
 */
export const migrations: RunnableMigration<QueryInterface>[] = [
  { name: '2026.11.24T00.00.01.create-tables', ...createTables },
  { name: '2026.11.24T00.00.02.full-text-search', ...fullTextSearch },
  { name: '2026.11.29T00.00.03.operators', ...operators },
];
