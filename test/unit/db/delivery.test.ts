import { QueryTypes } from 'sequelize';
import { ackToStatus, isForwardMove, type DeliveryEventInput, type DeliveryStatus } from '../../../db/types';
import { assistantText, at } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('delivery status on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const event = (
    messageId: string,
    status: DeliveryStatus,
    extra: Partial<DeliveryEventInput> = {},
  ): DeliveryEventInput => ({
    session: 'clinic',
    messageId,
    status,
    at: at(60),
    source: 'webhook',
    ...extra,
  });

  async function storedEvents(messageId: string): Promise<{ Status: string; Ack: number | null; Source: string }[]> {
    return db.sequelize.query(
      'SELECT "Status", "Ack", "Source" FROM "DeliveryEvents" WHERE "MessageId" = :messageId ORDER BY "Id"',
      { replacements: { messageId }, type: QueryTypes.SELECT },
    );
  }

  const statusOf = async (messageId: string) => (await db.repo.getMessage('clinic', messageId))?.deliveryStatus;

  it('moves the status forward and says so', async () => {
    await db.repo.logMessage(assistantText({ messageId: 'fwd-1', deliveryStatus: 'sent' }));
    const result = await db.repo.recordDeliveryEvent(event('fwd-1', 'delivered', { ack: 2 }));
    expect(result).toEqual({ changed: true });
    expect(await statusOf('fwd-1')).toBe('delivered');
  });

  it('keeps read when a delivered ack arrives after it, and still stores that event', async () => {
    await db.repo.logMessage(assistantText({ messageId: 'late-1', deliveryStatus: 'sent' }));
    await db.repo.recordDeliveryEvent(event('late-1', 'read', { ack: 3 }));
    const late = await db.repo.recordDeliveryEvent(event('late-1', 'delivered', { ack: 2 }));
    expect(late).toEqual({ changed: false });
    expect(await statusOf('late-1')).toBe('read');
    expect(await storedEvents('late-1')).toEqual([
      { Status: 'read', Ack: 3, Source: 'webhook' },
      { Status: 'delivered', Ack: 2, Source: 'webhook' },
    ]);
  });

  it('ignores failed after read, but records failed with its reason on a message only sent', async () => {
    await db.repo.logMessage(assistantText({ messageId: 'fail-read', deliveryStatus: 'read' }));
    const ignored = await db.repo.recordDeliveryEvent(event('fail-read', 'failed', { source: 'timeout', reason: 'x' }));
    expect(ignored).toEqual({ changed: false });
    expect(await db.repo.getMessage('clinic', 'fail-read')).toMatchObject({
      deliveryStatus: 'read',
      statusReason: null,
    });

    await db.repo.logMessage(assistantText({ messageId: 'fail-sent', deliveryStatus: 'sent' }));
    const failed = await db.repo.recordDeliveryEvent(
      event('fail-sent', 'failed', { ack: -1, reason: 'recipient does not exist' }),
    );
    expect(failed).toEqual({ changed: true });
    expect(await db.repo.getMessage('clinic', 'fail-sent')).toMatchObject({
      deliveryStatus: 'failed',
      statusReason: 'recipient does not exist',
    });
    const revived = await db.repo.recordDeliveryEvent(event('fail-sent', 'read', { ack: 3 }));
    expect(revived).toEqual({ changed: false });
    expect(await statusOf('fail-sent')).toBe('failed');
  });

  it('keeps events for a message not recorded yet and applies the furthest forward one when it is logged', async () => {
    const early = await db.repo.recordDeliveryEvent(event('early-1', 'read', { ack: 3 }));
    expect(early).toEqual({ changed: false });
    await db.repo.recordDeliveryEvent(event('early-1', 'delivered', { ack: 2 }));
    const logged = await db.repo.logMessage(assistantText({ messageId: 'early-1', deliveryStatus: 'sent' }));
    expect(logged.created).toBe(true);
    expect(logged.message.deliveryStatus).toBe('read');
    expect((await db.repo.getMessage('clinic', 'early-1'))?.deliveryStatus).toBe('read');
  });

  it('stores an over-long failure reason cut to the column size instead of failing', async () => {
    await db.repo.logMessage(assistantText({ messageId: 'long-reason', deliveryStatus: 'sent' }));
    const result = await db.repo.recordDeliveryEvent(event('long-reason', 'failed', { reason: 'x'.repeat(2000) }));
    expect(result).toEqual({ changed: true });
    expect((await db.repo.getMessage('clinic', 'long-reason'))?.statusReason).toBe('x'.repeat(512));
  });

  it('applies an early failure with its reason when the message is logged', async () => {
    await db.repo.recordDeliveryEvent(event('early-fail', 'failed', { ack: -1, reason: 'number not on WhatsApp' }));
    const logged = await db.repo.logMessage(assistantText({ messageId: 'early-fail', deliveryStatus: 'pending' }));
    expect(logged.message).toMatchObject({ deliveryStatus: 'failed', statusReason: 'number not on WhatsApp' });
  });

  it('ends at read whatever order concurrent acks land in', async () => {
    await db.repo.logMessage(assistantText({ messageId: 'conc-1', deliveryStatus: 'pending' }));
    const order = ['read', 'sent', 'delivered', 'sent', 'read'] as const;
    const results = await Promise.all(order.map((s) => db.repo.recordDeliveryEvent(event('conc-1', s))));
    expect((await db.repo.getMessage('clinic', 'conc-1'))?.deliveryStatus).toBe('read');
    // Each compare-and-set that moved it went forward: at most the three steps up from pending, and only one
    // of the two reads.
    const changed = results.filter((r) => r.changed).length;
    expect(changed).toBeGreaterThanOrEqual(1);
    expect(changed).toBeLessThanOrEqual(3);
    expect(results.filter((r, i) => r.changed && order[i] === 'read')).toHaveLength(1);
    expect(await storedEvents('conc-1')).toHaveLength(5);
  });
});

describe('delivery rules', () => {
  it.each([
    [null, 'sent', true],
    ['pending', 'sent', true],
    ['sent', 'delivered', true],
    ['delivered', 'read', true],
    ['read', 'delivered', false],
    ['read', 'read', false],
    ['sent', 'failed', true],
    ['pending', 'failed', true],
    ['delivered', 'failed', false],
    ['read', 'failed', false],
    ['failed', 'read', false],
    ['received', 'read', true],
  ] as const)('from %s to %s is forward: %s', (from, to, expected) => {
    expect(isForwardMove(from, to)).toBe(expected);
  });

  it.each([
    [-1, 'failed'],
    [0, 'pending'],
    [1, 'sent'],
    [2, 'delivered'],
    [3, 'read'],
    [4, 'read'],
  ] as const)('maps WhatsApp ack %s to %s', (ack, status) => {
    expect(ackToStatus(ack)).toBe(status);
  });
});
