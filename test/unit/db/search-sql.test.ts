import { buildSearchSql, likeContains, parseSearchTerms, quoteFtsString } from '../../../db/search-sql';

const page = { limit: 20, offset: 40 };

describe('search term parsing', () => {
  it('splits words and quoted phrases and drops terms without letters or digits', () => {
    expect(parseSearchTerms('dor  "dor de  cabeça" febre ! "" *')).toEqual([
      { text: 'dor', phrase: false },
      { text: 'dor de cabeça', phrase: true },
      { text: 'febre', phrase: false },
    ]);
  });

  it('turns an unbalanced quote into a word boundary', () => {
    expect(parseSearchTerms('foo" OR')).toEqual([
      { text: 'foo', phrase: false },
      { text: 'OR', phrase: false },
    ]);
    expect(parseSearchTerms('"dor de')).toEqual([
      { text: 'dor', phrase: false },
      { text: 'de', phrase: false },
    ]);
  });

  it('treats a one-word phrase as a word and caps the number of terms', () => {
    expect(parseSearchTerms('"febre"')).toEqual([{ text: 'febre', phrase: false }]);
    expect(parseSearchTerms(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))).toHaveLength(16);
  });

  it('quotes FTS strings and escapes LIKE wildcards', () => {
    expect(quoteFtsString('a"b')).toBe('"a""b"');
    expect(likeContains('50%_off[1]!')).toBe('%50!%!_off![1]!!%');
  });
});

describe('search SQL for SQL Server', () => {
  it('uses CONTAINS with every term as a quoted literal when a full-text index exists', () => {
    const sql = buildSearchSql(
      'mssql',
      'dor "dor de cabeça" OR',
      { ...page, chatId: 'c1@c.us' },
      { mssqlFullText: true },
    );
    expect(sql).toEqual({
      countSql:
        'SELECT COUNT(*) AS [total] FROM [ConversationMessages] m WHERE CONTAINS((m.[Content], m.[Caption]), $contains) AND m.[ChatId] = $chatId',
      pageSql:
        'SELECT m.[Id] AS [id] FROM [ConversationMessages] m WHERE CONTAINS((m.[Content], m.[Caption]), $contains) AND m.[ChatId] = $chatId ' +
        'ORDER BY m.[Timestamp] DESC, m.[Id] DESC OFFSET $offset ROWS FETCH NEXT $limit ROWS ONLY',
      bind: { contains: '"dor" AND "dor de cabeça" AND "OR"', chatId: 'c1@c.us', limit: 20, offset: 40 },
    });
  });

  it('falls back to escaped LIKE over content and caption, one condition per term, without a full-text index', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-02-01T00:00:00Z');
    const sql = buildSearchSql(
      'mssql',
      '100% "dor forte"',
      { ...page, senderType: 'patient', messageType: 'text', from, to },
      { mssqlFullText: false },
    );
    const like = (i: number) => `(m.[Content] LIKE $l${i} ESCAPE '!' OR m.[Caption] LIKE $l${i} ESCAPE '!')`;
    const where =
      `${like(0)} AND ${like(1)} AND m.[SenderType] = $senderType AND m.[MessageType] = $messageType ` +
      'AND m.[Timestamp] >= $from AND m.[Timestamp] <= $to';
    expect(sql).toEqual({
      countSql: `SELECT COUNT(*) AS [total] FROM [ConversationMessages] m WHERE ${where}`,
      pageSql:
        `SELECT m.[Id] AS [id] FROM [ConversationMessages] m WHERE ${where} ` +
        'ORDER BY m.[Timestamp] DESC, m.[Id] DESC OFFSET $offset ROWS FETCH NEXT $limit ROWS ONLY',
      bind: {
        l0: '%100!%%',
        l1: '%dor forte%',
        senderType: 'patient',
        messageType: 'text',
        from: '2026-01-01 00:00:00.000 +00:00',
        to: '2026-02-01 00:00:00.000 +00:00',
        limit: 20,
        offset: 40,
      },
    });
  });

  it('sends every value as a T-SQL parameter (@name), the statement holding none of them', () => {
    // Sequelize's own bind step for SQL Server (no connection needed): the text and the parameters tedious gets.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const MssqlQuery = require('sequelize/lib/dialects/mssql/query') as {
      formatBindParameters(sql: string, values: object, dialect: string): [string, Record<string, unknown>];
    };
    const sql = buildSearchSql('mssql', "it's 5%", { ...page, chatId: 'c1' }, { mssqlFullText: false })!;
    const [text, parameters] = MssqlQuery.formatBindParameters(sql.pageSql, sql.bind, 'mssql');
    expect(text).toBe(
      "SELECT m.[Id] AS [id] FROM [ConversationMessages] m WHERE (m.[Content] LIKE @l0 ESCAPE '!' OR " +
        "m.[Caption] LIKE @l0 ESCAPE '!') AND (m.[Content] LIKE @l1 ESCAPE '!' OR m.[Caption] LIKE @l1 " +
        "ESCAPE '!') AND m.[ChatId] = @chatId ORDER BY m.[Timestamp] DESC, m.[Id] DESC OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY",
    );
    expect(parameters).toEqual({ l0: "%it's%", l1: '%5!%%', chatId: 'c1', offset: 40, limit: 20 });
  });

  it('never puts user text into the SQL string', () => {
    const hostile = `x'; DROP TABLE [ConversationMessages]; --`;
    for (const mssqlFullText of [true, false]) {
      const sql = buildSearchSql('mssql', hostile, page, { mssqlFullText });
      expect(sql?.countSql).not.toContain('DROP');
      expect(sql?.pageSql).not.toContain('DROP');
    }
  });
});

describe('search SQL for SQLite and PostgreSQL', () => {
  it('matches the FTS5 table with quoted terms on SQLite', () => {
    const sql = buildSearchSql('sqlite', 'dor "de cabeça"', page);
    expect(sql?.bind).toEqual({ match: '"dor" AND "de cabeça"', limit: 20, offset: 40 });
    expect(sql?.pageSql).toBe(
      'SELECT m."Id" AS "id" FROM "ConversationMessages" m WHERE m."Id" IN (SELECT rowid FROM "ConversationMessagesFts" ' +
        'WHERE "ConversationMessagesFts" MATCH $match) ORDER BY m."Timestamp" DESC, m."Id" DESC LIMIT $limit OFFSET $offset',
    );
  });

  it('builds a tsquery from bound words and phrases with the simple configuration on PostgreSQL', () => {
    const sql = buildSearchSql('postgres', 'dor "de cabeça"', page);
    expect(sql?.bind).toEqual({ t0: 'dor', t1: 'de cabeça', limit: 20, offset: 40 });
    expect(sql?.countSql).toBe(
      'SELECT COUNT(*) AS "total" FROM "ConversationMessages" m WHERE m."SearchVector" @@ ' +
        "(plainto_tsquery('simple', $t0) && phraseto_tsquery('simple', $t1))",
    );
  });

  it('returns null when the text holds nothing searchable', () => {
    expect(buildSearchSql('sqlite', ' "" ! * ', page)).toBeNull();
    expect(buildSearchSql('mssql', '', page)).toBeNull();
  });
});
