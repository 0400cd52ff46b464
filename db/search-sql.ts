import type { SearchQuery } from './types';

/**
 * The only dialect-specific SQL of the repository: full-text search over ConversationMessages.
 * User text never reaches the SQL string. It is split into words and "quoted phrases", each term
 * is a bind parameter (`$name`: sent to the driver apart from the statement, never spliced into it),
 * and every term is matched literally (FTS5/CONTAINS operators such as OR, NEAR, *, column filters or
 * stray quotes are plain text here), all terms ANDed.
 */

export type SearchDialect = 'sqlite' | 'postgres' | 'mssql';

export interface SearchTerm {
  text: string;
  phrase: boolean;
}

export interface SearchSql {
  /** Counts every match (for `total`). */
  countSql: string;
  /** Ids of one page of matches, newest first. */
  pageSql: string;
  /** Values of the `$name` parameters (Sequelize `bind`). */
  bind: Record<string, string | number>;
}

export type SearchFilters = Omit<SearchQuery, 'q'>;

const MAX_TERMS = 16;
const MAX_TERM_LENGTH = 200;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * Words and "quoted phrases" of a query. Quote characters are removed from the terms themselves
 * (an unbalanced quote just ends up as a word boundary); terms without a letter or digit are dropped.
 */
export function parseSearchTerms(q: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const pattern = /"([^"]*)"|([^\s"]+)/g;
  for (const match of q.matchAll(pattern)) {
    const phrase = match[1] !== undefined;
    const text = (match[1] ?? match[2] ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_TERM_LENGTH);
    if (!WORD_CHAR.test(text)) continue;
    const words = text.split(' ');
    terms.push({ text, phrase: phrase && words.length > 1 });
    if (terms.length === MAX_TERMS) break;
  }
  return terms;
}

/** `"term"` with embedded quotes doubled: the literal-string syntax of FTS5 and of CONTAINS. */
export function quoteFtsString(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** LIKE pattern matching `text` anywhere, with `!` as the escape character. */
export function likeContains(text: string): string {
  return `%${text.replace(/[!%_[]/g, (c) => `!${c}`)}%`;
}

/**
 * A time as each dialect stores it: SQLite compares the text Sequelize wrote (`2026-01-15 12:00:00.000
 * +00:00`), PostgreSQL and SQL Server convert the same text to their timestamp types. A bound Date would
 * reach SQLite as a number.
 */
export function bindTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', ' +00:00');
}

function quoteIdent(dialect: SearchDialect, name: string): string {
  return dialect === 'mssql' ? `[${name}]` : `"${name}"`;
}

/**
 * Builds the count and page queries, or null when the text holds no searchable term (the caller
 * answers "no results" rather than listing everything).
 */
export function buildSearchSql(
  dialect: SearchDialect,
  q: string,
  filters: SearchFilters,
  opts: { mssqlFullText?: boolean } = {},
): SearchSql | null {
  const terms = parseSearchTerms(q);
  if (terms.length === 0) return null;
  const c = (name: string) => `m.${quoteIdent(dialect, name)}`;
  const table = `${quoteIdent(dialect, 'ConversationMessages')} m`;
  const bind: SearchSql['bind'] = {};
  const where: string[] = [];

  if (dialect === 'sqlite') {
    bind.match = terms.map((t) => quoteFtsString(t.text)).join(' AND ');
    where.push(
      `${c('Id')} IN (SELECT rowid FROM "ConversationMessagesFts" WHERE "ConversationMessagesFts" MATCH $match)`,
    );
  } else if (dialect === 'postgres') {
    const parts = terms.map((t, i) => {
      bind[`t${i}`] = t.text;
      return `${t.phrase ? 'phraseto_tsquery' : 'plainto_tsquery'}('simple', $t${i})`;
    });
    where.push(`${c('SearchVector')} @@ (${parts.join(' && ')})`);
  } else if (opts.mssqlFullText) {
    bind.contains = terms.map((t) => quoteFtsString(t.text)).join(' AND ');
    where.push(`CONTAINS((${c('Content')}, ${c('Caption')}), $contains)`);
  } else {
    terms.forEach((t, i) => {
      bind[`l${i}`] = likeContains(t.text);
      where.push(`(${c('Content')} LIKE $l${i} ESCAPE '!' OR ${c('Caption')} LIKE $l${i} ESCAPE '!')`);
    });
  }

  if (filters.chatId !== undefined) {
    bind.chatId = filters.chatId;
    where.push(`${c('ChatId')} = $chatId`);
  }
  if (filters.senderType !== undefined) {
    bind.senderType = filters.senderType;
    where.push(`${c('SenderType')} = $senderType`);
  }
  if (filters.messageType !== undefined) {
    bind.messageType = filters.messageType;
    where.push(`${c('MessageType')} = $messageType`);
  }
  if (filters.from !== undefined) {
    bind.from = bindTimestamp(filters.from);
    where.push(`${c('Timestamp')} >= $from`);
  }
  if (filters.to !== undefined) {
    bind.to = bindTimestamp(filters.to);
    where.push(`${c('Timestamp')} <= $to`);
  }
  bind.limit = filters.limit;
  bind.offset = filters.offset;

  const whereSql = where.join(' AND ');
  const order = `ORDER BY ${c('Timestamp')} DESC, ${c('Id')} DESC`;
  const page =
    dialect === 'mssql'
      ? `${order} OFFSET $offset ROWS FETCH NEXT $limit ROWS ONLY`
      : `${order} LIMIT $limit OFFSET $offset`;
  return {
    countSql: `SELECT COUNT(*) AS ${quoteIdent(dialect, 'total')} FROM ${table} WHERE ${whereSql}`,
    pageSql: `SELECT ${c('Id')} AS ${quoteIdent(dialect, 'id')} FROM ${table} WHERE ${whereSql} ${page}`,
    bind,
  };
}
