import { median, percentile, responseTimesMs } from '../../../db/stats';
import type { LogMessageInput } from '../../../db/types';
import { assistantText, at, patientText } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('chat statistics on %s', (_name, target) => {
  let db: TestDatabase;
  const chatId = 'stats@c.us';

  beforeAll(async () => {
    db = await openTestDatabase(target);
    const messages: LogMessageInput[] = [
      patientText({ chatId, messageId: 's1', timestamp: at(0) }),
      patientText({ chatId, messageId: 's2', timestamp: at(2) }),
      assistantText({ chatId, messageId: 's3', timestamp: at(10), deliveryStatus: 'read' }),
      patientText({ chatId, messageId: 's4', timestamp: at(60), messageType: 'image', content: null }),
      assistantText({ chatId, messageId: 's5', timestamp: at(64), deliveryStatus: 'delivered' }),
      assistantText({ chatId, messageId: 's6', timestamp: at(100), senderType: 'system', deliveryStatus: 'sent' }),
      patientText({ chatId, messageId: 's7', timestamp: at(120), messageType: 'audio', content: null }),
      assistantText({ chatId, messageId: 's8', timestamp: at(150), senderType: 'human', deliveryStatus: 'failed' }),
      patientText({ chatId, messageId: 's9', timestamp: at(200) }),
      patientText({ chatId: 'someone-else@c.us', messageId: 'x1', timestamp: at(1) }),
    ];
    // Logged out of order on purpose: statistics follow message time, not insertion order.
    for (const m of [...messages].reverse()) await db.repo.logMessage(m);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('counts by direction, type and status and measures patient-to-reply times', async () => {
    expect(await db.repo.getStats(chatId)).toEqual({
      chatId,
      total: 9,
      byDirection: { inbound: 5, outbound: 4 },
      byType: { text: 7, image: 1, audio: 1 },
      byStatus: { received: 5, read: 1, delivered: 1, sent: 1, failed: 1 },
      firstMessageAt: at(0),
      lastMessageAt: at(200),
      responseTimeMs: { count: 3, median: 10_000, p90: 30_000 },
    });
  });

  it('reports zeros and nulls for a chat without messages', async () => {
    expect(await db.repo.getStats('empty@c.us')).toEqual({
      chatId: 'empty@c.us',
      total: 0,
      byDirection: { inbound: 0, outbound: 0 },
      byType: {},
      byStatus: {},
      firstMessageAt: null,
      lastMessageAt: null,
      responseTimeMs: { count: 0, median: null, p90: null },
    });
  });
});

describe('response-time arithmetic', () => {
  const entry = (session: string, seconds: number, senderType: 'patient' | 'assistant' | 'human' | 'system') => ({
    session,
    timestamp: at(seconds),
    senderType,
  });

  it('measures from the first unanswered patient message, per session, ignoring system messages', () => {
    expect(
      responseTimesMs([
        entry('a', 0, 'patient'),
        entry('b', 1, 'patient'),
        entry('a', 3, 'patient'),
        entry('a', 4, 'system'),
        entry('a', 5, 'assistant'),
        entry('a', 6, 'assistant'),
        entry('b', 9, 'human'),
        entry('a', 20, 'patient'),
      ]),
    ).toEqual([5000, 8000]);
  });

  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('uses the nearest rank for percentiles', () => {
    expect(percentile([], 90)).toBeNull();
    expect(percentile([5], 90)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11], 90)).toBe(10);
  });
});
