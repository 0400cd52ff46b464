import fc from 'fast-check';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import { databaseTargets, type FreshDatabase } from '../../unit/db/targets';
import { hostileMessageEvent, hostileSearchQuery } from '../../unit/api/support/hostile';
import { API_KEY, type ApiEnv, SESSION, startApi, WEBHOOK_TOKEN } from './support/api-env';

/**
 * Property-based tests against the running app (real HTTP, database and Temporal dev server): whatever
 * arrives at the webhook or the search route, the answer is never a 5xx. On SQLite always, and on
 * PostgreSQL when TEST_POSTGRES_URL is set (a NUL in search text once answered 500 there).
 */

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS * 2);

let testEnv: TestWorkflowEnvironment;
beforeAll(async () => {
  testEnv = await createDevServerEnv();
});
afterAll(async () => {
  await testEnv?.teardown();
});

describe.each(databaseTargets().map((t) => [t.name, t] as const))('on %s', (_name, target) => {
  let api: ApiEnv;
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await target.create();
    api = await startApi(testEnv, { DATABASE_URL: database.url, RATE_LIMIT_PER_MINUTE: '100000' });
    const texts = ['I have chest pain', 'dor de cabeça forte', 'fiebre y tos', '100% "quoted" _under_ [brackets]'];
    for (const [i, content] of texts.entries()) {
      await api.db.repo.logMessage({
        session: SESSION,
        chatId: `551199999000${i}@c.us`,
        messageId: `false_551199999000${i}@c.us_SEED${i}`,
        timestamp: new Date(Date.UTC(2026, 5, 1, 10, i)),
        direction: 'inbound',
        senderType: 'patient',
        messageType: 'text',
        content,
        deliveryStatus: 'received',
      });
    }
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('the webhook never answers 5xx, whatever the body', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileMessageEvent, fc.jsonValue()), async (body) => {
        const res = await api.server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, { json: body });
        seen.add(res.status);
        expect([200, 202, 400, 413]).toContain(res.status);
        expect(res.body).toEqual(expect.any(Object));
      }),
      { numRuns: 150 },
    );
    // Both accepted and refused bodies were generated.
    expect(seen.has(400)).toBe(true);
    expect([...seen].some((s) => s === 200 || s === 202)).toBe(true);
  });

  it('search never answers 5xx, whatever the text and filters', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(hostileSearchQuery, async (query) => {
        const search = new URLSearchParams(query as Record<string, string>).toString();
        const res = await api.server.request('GET', `/api/search?${search}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        seen.add(res.status);
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) {
          expect(res.body).toEqual({
            total: expect.any(Number),
            limit: expect.any(Number),
            offset: expect.any(Number),
            items: expect.any(Array),
          });
        }
      }),
      { numRuns: 200 },
    );
    expect(seen).toEqual(new Set([200, 400]));
  });
});
