import fc from 'fast-check';
import { buildSearchSql, parseSearchTerms, type SearchDialect } from '../../../db/search-sql';
import { toInboundMessage } from '../../../wppconnect/normalize';
import { parseWebhookEvent } from '../../../wppconnect/schemas';
import { anyText, hostileMessageEvent } from './support/hostile';

/**
 * Property-based tests of the two places hostile text meets our code first: the webhook schema (and the
 * normalisation right after it) and the search SQL builder. The app-level properties (no answer is ever a
 * 500) are in test/integration/api/hostile-input-properties.test.ts.
 */

describe('the webhook schema under arbitrary input', () => {
  it('never throws: any JSON value is either an event or a list of issues', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), hostileMessageEvent), (body) => {
        const parsed = parseWebhookEvent(body);
        expect(typeof parsed.ok).toBe('boolean');
        if (!parsed.ok) expect(parsed.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('every message event it accepts normalises without throwing (a time of 1e300 once did)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileMessageEvent, (body) => {
        const parsed = parseWebhookEvent(body);
        if (!parsed.ok) return;
        const event = parsed.event;
        if (event.event !== 'onmessage' && event.event !== 'onselfmessage' && event.event !== 'unreadmessages') return;
        accepted += 1;
        const { message } = toInboundMessage(event, 'demo-session');
        expect(Number.isNaN(Date.parse(message.sentAt))).toBe(false);
        expect(message.messageId.length).toBeLessThanOrEqual(200);
        expect(message.chatId.length).toBeLessThanOrEqual(100);
      }),
      { numRuns: 3000 },
    );
    // The generator reaches the accepting branch often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(20);
  });

  it('accepts only ids and chat ids of bounded length and safe characters', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileMessageEvent, (body) => {
        const parsed = parseWebhookEvent({ ...body, event: 'onmessage' });
        if (!parsed.ok || parsed.event.event !== 'onmessage') return;
        accepted += 1;
        const { message } = toInboundMessage(parsed.event, 'demo-session');
        for (const id of [message.messageId, message.chatId, message.senderId]) {
          expect(id).toMatch(/^[A-Za-z0-9@._:+-]{1,200}$/);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});

describe('the search SQL builder under arbitrary text', () => {
  const dialects: SearchDialect[] = ['sqlite', 'postgres', 'mssql'];
  const filters = fc.record({
    chatId: fc.option(anyText, { nil: undefined }),
    senderType: fc.option(fc.constantFrom('patient', 'assistant', 'human', 'system') as fc.Arbitrary<never>, {
      nil: undefined,
    }),
    limit: fc.integer({ min: 1, max: 100 }),
    offset: fc.integer({ min: 0, max: 10_000 }),
  });

  it('builds the same SQL for any text with the same shape of terms: user text never reaches the SQL string', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dialects),
        fc.string({ unit: 'binary', maxLength: 200 }),
        filters,
        (dialect, q, f) => {
          const built = buildSearchSql(dialect, q, f, { mssqlFullText: dialect === 'mssql' });
          const terms = parseSearchTerms(q);
          if (terms.length === 0) {
            expect(built).toBeNull();
            return;
          }
          // The same number of terms, phrases where q had phrases, but innocuous words.
          const innocuous = terms.map((t, i) => (t.phrase ? `"w${i} x"` : `w${i}`)).join(' ');
          const reference = buildSearchSql(dialect, innocuous, f, { mssqlFullText: dialect === 'mssql' });
          expect(built?.countSql).toBe(reference?.countSql);
          expect(built?.pageSql).toBe(reference?.pageSql);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps at most 16 terms of at most 200 characters, each with a letter or digit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (q) => {
        const terms = parseSearchTerms(q);
        expect(terms.length).toBeLessThanOrEqual(16);
        for (const t of terms) {
          expect(t.text.length).toBeLessThanOrEqual(200);
          expect(t.text).toMatch(/[\p{L}\p{N}]/u);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
