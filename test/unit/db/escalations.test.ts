import { at, patientText } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('escalations on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const where = (chatId: string) => ({ session: 'clinic', chatId });

  it('opens one escalation per chat until it is resolved; a repeat adds new red flags to it', async () => {
    const first = await db.repo.recordEscalation({
      ...where('e1@c.us'),
      triageLevel: 'emergency',
      redFlags: ['chest-pain-warning'],
      at: at(0),
    });
    expect(first).toEqual({
      created: true,
      record: {
        id: expect.any(Number),
        session: 'clinic',
        chatId: 'e1@c.us',
        escalatedAt: at(0),
        triageLevel: 'emergency',
        redFlags: ['chest-pain-warning'],
        alertStatus: 'pending',
        alertChannel: null,
        alertDetail: null,
        alertAt: null,
        acknowledgedBy: null,
        acknowledgedAt: null,
        note: null,
        resolvedBy: null,
        resolvedAt: null,
        updatedAt: expect.any(Date),
      },
    });
    const again = await db.repo.recordEscalation({
      ...where('e1@c.us'),
      triageLevel: 'emergency',
      redFlags: ['chest-pain-warning', 'breathing-difficulty'],
      at: at(5),
    });
    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ id: first.record.id, escalatedAt: at(0) });
    const [open] = await db.repo.getEscalations('clinic', 'e1@c.us', 10);
    expect(open?.redFlags).toEqual(['chest-pain-warning', 'breathing-difficulty']);

    expect(await db.repo.resolveEscalations({ ...where('e1@c.us'), by: 'console:ana', at: at(60) })).toBe(1);
    const next = await db.repo.recordEscalation({
      ...where('e1@c.us'),
      triageLevel: 'emergency',
      redFlags: ['stroke-signs'],
      at: at(120),
    });
    expect(next.created).toBe(true);
    expect((await db.repo.getEscalations('clinic', 'e1@c.us', 10)).map((e) => [e.redFlags, e.resolvedBy])).toEqual([
      [['stroke-signs'], null],
      [['chest-pain-warning', 'breathing-difficulty'], 'console:ana'],
    ]);
  });

  it('records the alert outcome, and a late "retrying" never hides a delivered alert', async () => {
    await db.repo.recordEscalation({ ...where('e2@c.us'), triageLevel: 'emergency', redFlags: [], at: at(0) });
    expect(
      await db.repo.recordEscalationAlert({
        ...where('e2@c.us'),
        status: 'retrying',
        channel: 'webhook',
        detail: 'alert endpoint answered 503',
        at: at(1),
      }),
    ).toMatchObject({ alertStatus: 'retrying', alertChannel: 'webhook', alertDetail: 'alert endpoint answered 503' });
    await db.repo.recordEscalationAlert({ ...where('e2@c.us'), status: 'delivered', channel: 'webhook', at: at(2) });
    const late = await db.repo.recordEscalationAlert({
      ...where('e2@c.us'),
      status: 'retrying',
      channel: 'webhook',
      at: at(3),
    });
    expect(late).toMatchObject({ alertStatus: 'delivered', alertAt: at(2), alertDetail: null });
    expect(
      await db.repo.recordEscalationAlert({
        ...where('none@c.us'),
        status: 'delivered',
        channel: 'webhook',
        at: at(4),
      }),
    ).toBeNull();
  });

  it('keeps the first acknowledgement: who, when and the note', async () => {
    await db.repo.recordEscalation({ ...where('e3@c.us'), triageLevel: 'emergency', redFlags: [], at: at(0) });
    const results = await Promise.all([
      db.repo.acknowledgeEscalation({ ...where('e3@c.us'), by: 'console:ana', at: at(10), note: 'calling now' }),
      db.repo.acknowledgeEscalation({ ...where('e3@c.us'), by: 'console:bruno', at: at(11) }),
    ]);
    const winners = new Set(results.map((r) => r?.acknowledgedBy));
    expect(winners.size).toBe(1);
    const [open] = await db.repo.getEscalations('clinic', 'e3@c.us', 1);
    expect([open?.acknowledgedBy, open?.acknowledgedAt]).toEqual(
      results[0] ? [results[0].acknowledgedBy, results[0].acknowledgedAt] : [],
    );
    expect(await db.repo.acknowledgeEscalation({ ...where('none@c.us'), by: 'console:ana', at: at(12) })).toBeNull();
  });

  it('lists open escalations newest first, and chats by status', async () => {
    const open = await db.repo.getOpenEscalations(10);
    expect(open.map((e) => [e.chatId, e.escalatedAt])).toEqual([
      ['e1@c.us', at(120)],
      ['e3@c.us', at(0)],
      ['e2@c.us', at(0)],
    ]);
    expect(open.every((e) => e.resolvedAt === null)).toBe(true);

    await db.repo.logMessage(patientText({ messageId: 's1', chatId: 's1@c.us', timestamp: at(1) }));
    await db.repo.logMessage(patientText({ messageId: 's2', chatId: 's2@c.us', timestamp: at(2) }));
    await db.repo.logMessage(patientText({ messageId: 's3', chatId: 's3@c.us', timestamp: at(3) }));
    await db.repo.setChatStatus('clinic', 's1@c.us', 'escalated');
    await db.repo.setChatStatus('clinic', 's3@c.us', 'handoff');
    const paused = await db.repo.getChatsByStatus(['escalated', 'handoff'], 10);
    expect(paused.map((c) => [c.chatId, c.status])).toEqual([
      ['s3@c.us', 'handoff'],
      ['s1@c.us', 'escalated'],
    ]);
  });

  it('reports what changed after a cursor: new messages, delivery events by chat, escalations and chats', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const start = await db.repo.latestChangeCursor(new Date());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sent = await db.repo.logMessage({
      ...patientText({ messageId: 'c-out', chatId: 'feed@c.us' }),
      direction: 'outbound',
      senderType: 'assistant',
      deliveryStatus: 'sent',
    });
    await db.repo.recordDeliveryEvent({
      session: 'clinic',
      messageId: 'c-out',
      status: 'delivered',
      ack: 2,
      at: at(1),
      source: 'webhook',
    });
    await db.repo.recordDeliveryEvent({
      session: 'clinic',
      messageId: 'not-recorded-yet',
      status: 'read',
      at: at(1),
      source: 'webhook',
    });
    await db.repo.recordEscalation({ ...where('feed@c.us'), triageLevel: 'emergency', redFlags: [], at: at(2) });

    const changes = await db.repo.getChangesSince(start, 100);
    expect(changes.messages).toEqual([{ id: sent.message.id, session: 'clinic', chatId: 'feed@c.us' }]);
    expect(changes.deliveries).toEqual([
      { id: expect.any(Number), session: 'clinic', chatId: 'feed@c.us', messageId: 'c-out', status: 'delivered' },
    ]);
    expect(changes.escalations).toEqual([
      { id: expect.any(Number), session: 'clinic', chatId: 'feed@c.us', updatedAt: expect.any(Date) },
    ]);
    expect(changes.chats).toEqual([
      { session: 'clinic', chatId: 'feed@c.us', status: 'active', updatedAt: expect.any(Date) },
    ]);
    expect(changes.next).toEqual({ messageId: sent.message.id, deliveryEventId: start.deliveryEventId + 2 });

    const after = await db.repo.getChangesSince({ ...changes.next, updatedAfter: new Date(Date.now() + 1000) }, 100);
    expect(after).toEqual({ next: changes.next, messages: [], deliveries: [], escalations: [], chats: [] });
  });
});
