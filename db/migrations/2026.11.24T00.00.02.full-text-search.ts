import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * Full-text search over Content + Caption, one mechanism per dialect (db/search-sql.ts queries it):
 * - SQLite: an external-content FTS5 table kept in sync by triggers (diacritics folded).
 * - PostgreSQL: a generated tsvector column with the 'simple' configuration (no English stemming,
 *   so Portuguese and Spanish words match as written) and a GIN index.
 * - SQL Server: a full-text index when the Full-Text feature is installed; otherwise nothing and
 *   search falls back to LIKE.
 */

const SQLITE_UP = [
  `CREATE VIRTUAL TABLE "ConversationMessagesFts" USING fts5(
     "Content", "Caption", content='ConversationMessages', content_rowid='Id',
     tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER "ConversationMessagesFts_ai" AFTER INSERT ON "ConversationMessages" BEGIN
     INSERT INTO "ConversationMessagesFts"(rowid, "Content", "Caption") VALUES (new."Id", new."Content", new."Caption");
   END`,
  `CREATE TRIGGER "ConversationMessagesFts_ad" AFTER DELETE ON "ConversationMessages" BEGIN
     INSERT INTO "ConversationMessagesFts"("ConversationMessagesFts", rowid, "Content", "Caption")
       VALUES ('delete', old."Id", old."Content", old."Caption");
   END`,
  `CREATE TRIGGER "ConversationMessagesFts_au" AFTER UPDATE OF "Content", "Caption" ON "ConversationMessages" BEGIN
     INSERT INTO "ConversationMessagesFts"("ConversationMessagesFts", rowid, "Content", "Caption")
       VALUES ('delete', old."Id", old."Content", old."Caption");
     INSERT INTO "ConversationMessagesFts"(rowid, "Content", "Caption") VALUES (new."Id", new."Content", new."Caption");
   END`,
  // Index rows that existed before this migration (a re-run after a rollback keeps old messages).
  `INSERT INTO "ConversationMessagesFts"("ConversationMessagesFts") VALUES ('rebuild')`,
];

const SQLITE_DOWN = [
  'DROP TRIGGER IF EXISTS "ConversationMessagesFts_au"',
  'DROP TRIGGER IF EXISTS "ConversationMessagesFts_ad"',
  'DROP TRIGGER IF EXISTS "ConversationMessagesFts_ai"',
  'DROP TABLE IF EXISTS "ConversationMessagesFts"',
];

const POSTGRES_UP = [
  `ALTER TABLE "ConversationMessages" ADD COLUMN "SearchVector" tsvector
     GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Content", '') || ' ' || coalesce("Caption", ''))) STORED`,
  'CREATE INDEX "IX_ConversationMessages_SearchVector" ON "ConversationMessages" USING GIN ("SearchVector")',
];

const POSTGRES_DOWN = [
  'DROP INDEX IF EXISTS "IX_ConversationMessages_SearchVector"',
  'ALTER TABLE "ConversationMessages" DROP COLUMN IF EXISTS "SearchVector"',
];

// Full-text DDL cannot run inside a user transaction and the key index name is generated, hence EXEC.
const MSSQL_UP = [
  `IF FULLTEXTSERVICEPROPERTY('IsFullTextInstalled') = 1
   BEGIN
     IF NOT EXISTS (SELECT 1 FROM sys.fulltext_catalogs WHERE name = 'MedicalAssistantCatalog')
       EXEC('CREATE FULLTEXT CATALOG MedicalAssistantCatalog');
     DECLARE @pk sysname = (SELECT name FROM sys.indexes
       WHERE object_id = OBJECT_ID('ConversationMessages') AND is_primary_key = 1);
     EXEC('CREATE FULLTEXT INDEX ON ConversationMessages ([Content], [Caption]) KEY INDEX ' + QUOTENAME(@pk) +
       ' ON MedicalAssistantCatalog WITH CHANGE_TRACKING AUTO');
   END`,
];

const MSSQL_DOWN = [
  `IF EXISTS (SELECT 1 FROM sys.fulltext_indexes WHERE object_id = OBJECT_ID('ConversationMessages'))
     EXEC('DROP FULLTEXT INDEX ON ConversationMessages')`,
  `IF EXISTS (SELECT 1 FROM sys.fulltext_catalogs WHERE name = 'MedicalAssistantCatalog')
     EXEC('DROP FULLTEXT CATALOG MedicalAssistantCatalog')`,
];

function statementsFor(qi: QueryInterface, direction: 'up' | 'down'): string[] {
  const dialect = qi.sequelize.getDialect();
  if (dialect === 'sqlite') return direction === 'up' ? SQLITE_UP : SQLITE_DOWN;
  if (dialect === 'postgres') return direction === 'up' ? POSTGRES_UP : POSTGRES_DOWN;
  if (dialect === 'mssql') return direction === 'up' ? MSSQL_UP : MSSQL_DOWN;
  throw new Error(`full-text search migration: unsupported dialect ${dialect}`);
}

// SQLite runs one statement per call, so each statement goes on its own.
async function run(qi: QueryInterface, statements: string[]): Promise<void> {
  for (const sql of statements) await qi.sequelize.query(sql);
}

export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => run(qi, statementsFor(qi, 'up'));
export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => run(qi, statementsFor(qi, 'down'));
