import { assistantText, at, patientText } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('pending replies on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const chatId = (n: number) => `55119999901${String(n).padStart(2, '0')}@c.us`;
  const pending = (n: number, content: string, reason: string) => {
    const { deliveryStatus: _status, ...input } = assistantText({
      messageId: `pending:conversation:${n}`,
      chatId: chatId(n),
      timestamp: at(10),
      content,
      statusReason: reason,
      metadata: { pending: true },
    });
    return input;
  };

  it('writes a pending row with its reason, then refreshes text and reason while it is still pending', async () => {
    await db.repo.logMessage(patientText({ messageId: 'p-1', chatId: chatId(1) }));
    const first = await db.repo.upsertPendingMessage(pending(1, 'reply A', 'session is QRCODE'));
    expect(first.created).toBe(true);
    const again = await db.repo.upsertPendingMessage(pending(1, 'reply B', 'WPPConnect answered 500'));
    expect(again.created).toBe(false);
    expect(await db.repo.getHistory({ chatId: chatId(1), limit: 10 })).toEqual([
      expect.objectContaining({ messageId: 'p-1' }),
      expect.objectContaining({
        messageId: 'pending:conversation:1',
        content: 'reply B',
        deliveryStatus: 'pending',
        statusReason: 'WPPConnect answered 500',
        timestamp: at(10),
      }),
    ]);
    expect((await db.repo.getChatSession('clinic', chatId(1)))?.totalMessages).toBe(2);
  });

  it('puts the sent reply in the pending row: one row, counted once, with acks that came first applied', async () => {
    await db.repo.logMessage(patientText({ messageId: 'p-2', chatId: chatId(2) }));
    await db.repo.upsertPendingMessage(pending(2, 'reply', 'session is CLOSED'));
    await db.repo.recordDeliveryEvent({
      session: 'clinic',
      messageId: 'true_real-2',
      status: 'delivered',
      ack: 2,
      at: at(31),
      source: 'webhook',
    });
    const sent = assistantText({
      messageId: 'true_real-2',
      chatId: chatId(2),
      timestamp: at(30),
      content: 'reply',
      deliveryStatus: 'sent',
      metadata: { inReplyTo: ['p-2'] },
    });
    const replaced = await db.repo.replacePendingMessage('clinic', 'pending:conversation:2', sent);
    expect(replaced).toMatchObject({
      created: true,
      message: { messageId: 'true_real-2', deliveryStatus: 'delivered' },
    });
    expect(await db.repo.getHistory({ chatId: chatId(2), limit: 10 })).toEqual([
      expect.objectContaining({ messageId: 'p-2' }),
      expect.objectContaining({
        messageId: 'true_real-2',
        deliveryStatus: 'delivered',
        statusReason: null,
        timestamp: at(30),
        metadata: { inReplyTo: ['p-2'] },
      }),
    ]);
    expect(await db.repo.getChatSession('clinic', chatId(2))).toMatchObject({
      totalMessages: 2,
      lastMessageAt: at(30),
    });
    // A retried record finds the real row and changes nothing.
    expect(await db.repo.replacePendingMessage('clinic', 'pending:conversation:2', sent)).toMatchObject({
      created: false,
      message: { messageId: 'true_real-2' },
    });
    expect(await db.repo.getHistory({ chatId: chatId(2), limit: 10 })).toHaveLength(2);
  });

  it('records a failed reply in the pending row, and a pending row never comes back once it moved on', async () => {
    await db.repo.upsertPendingMessage(pending(3, 'reply', 'waiting'));
    await db.repo.replacePendingMessage(
      'clinic',
      'pending:conversation:3',
      assistantText({
        messageId: 'failed:inbound:3',
        chatId: chatId(3),
        timestamp: at(40),
        deliveryStatus: 'failed',
        statusReason: 'SendRejected: WPPConnect answered 500 five times',
      }),
    );
    expect(await db.repo.getHistory({ chatId: chatId(3), limit: 10 })).toEqual([
      expect.objectContaining({ messageId: 'failed:inbound:3', deliveryStatus: 'failed' }),
    ]);
    // The next reply of the chat gets a pending row of its own.
    expect((await db.repo.upsertPendingMessage(pending(3, 'next reply', 'waiting'))).created).toBe(true);
    expect((await db.repo.getChatSession('clinic', chatId(3)))?.totalMessages).toBe(2);
  });

  it('logs the reply as new when nothing was pending', async () => {
    const result = await db.repo.replacePendingMessage(
      'clinic',
      'pending:conversation:4',
      assistantText({ messageId: 'true_real-4', chatId: chatId(4), deliveryStatus: 'sent' }),
    );
    expect(result).toMatchObject({ created: true, message: { messageId: 'true_real-4', deliveryStatus: 'sent' } });
    expect((await db.repo.getChatSession('clinic', chatId(4)))?.totalMessages).toBe(1);
  });

  it('drops the pending row when the real reply was already written by an earlier try', async () => {
    await db.repo.upsertPendingMessage(pending(5, 'reply', 'waiting'));
    const sent = assistantText({ messageId: 'true_real-5', chatId: chatId(5), deliveryStatus: 'sent' });
    await db.repo.logMessage(sent);
    expect(await db.repo.replacePendingMessage('clinic', 'pending:conversation:5', sent)).toMatchObject({
      created: false,
    });
    expect((await db.repo.getHistory({ chatId: chatId(5), limit: 10 })).map((m) => m.messageId)).toEqual([
      'true_real-5',
    ]);
    expect((await db.repo.getChatSession('clinic', chatId(5)))?.totalMessages).toBe(1);
  });

  it('finds the replaced reply by full-text search under its new id', async () => {
    await db.repo.upsertPendingMessage(pending(6, 'old words', 'waiting'));
    await db.repo.replacePendingMessage(
      'clinic',
      'pending:conversation:6',
      assistantText({
        messageId: 'true_real-6',
        chatId: chatId(6),
        content: 'paracetamol dose',
        deliveryStatus: 'sent',
      }),
    );
    const found = await db.repo.search({ q: 'paracetamol', limit: 10, offset: 0 });
    expect(found.items.map((m) => m.messageId)).toEqual(['true_real-6']);
    expect((await db.repo.search({ q: 'old', chatId: chatId(6), limit: 10, offset: 0 })).total).toBe(0);
  });
});
