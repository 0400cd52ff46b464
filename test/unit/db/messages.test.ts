import { QueryTypes } from 'sequelize';
import { assistantText, at, patientText } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('conversation messages on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  async function countRows(table: string, where: string, replacements: Record<string, string>): Promise<number> {
    const [row] = await db.sequelize.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM "${table}" WHERE ${where}`,
      {
        replacements,
        type: QueryTypes.SELECT,
      },
    );
    return Number(row?.n);
  }

  it('logs a new message as a plain record and opens the chat session with its contact details', async () => {
    const chatId = 'new-chat@c.us';
    const result = await db.repo.logMessage(
      patientText({
        chatId,
        messageId: 'new-1',
        timestamp: at(10),
        content: 'Estou com febre',
        senderId: chatId,
        senderName: 'Ana',
        metadata: { quotedMsgId: 'q-1' },
        contactName: 'Ana Souza',
        contactPhone: '+5511999990001',
      }),
    );
    expect(result.created).toBe(true);
    expect(Object.getPrototypeOf(result.message)).toBe(Object.prototype);
    expect(result.message).toEqual({
      id: expect.any(Number),
      session: 'clinic',
      chatId,
      messageId: 'new-1',
      timestamp: at(10),
      direction: 'inbound',
      senderType: 'patient',
      senderId: chatId,
      senderName: 'Ana',
      messageType: 'text',
      content: 'Estou com febre',
      mediaPath: null,
      mediaFilename: null,
      caption: null,
      metadata: { quotedMsgId: 'q-1' },
      deliveryStatus: 'received',
      statusReason: null,
      createdAt: expect.any(Date),
    });
    expect(await db.repo.getMessage('clinic', 'new-1')).toEqual(result.message);
    expect(await db.repo.getChatSession('clinic', chatId)).toEqual({
      session: 'clinic',
      chatId,
      contactName: 'Ana Souza',
      contactPhone: '+5511999990001',
      firstMessageAt: at(10),
      lastMessageAt: at(10),
      totalMessages: 1,
      status: 'active',
      patientId: null,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('treats a second insert of the same (session, messageId) as a no-op that returns the first row', async () => {
    const chatId = 'dup-chat@c.us';
    const first = await db.repo.logMessage(patientText({ chatId, messageId: 'dup-1', content: 'first' }));
    const second = await db.repo.logMessage(patientText({ chatId, messageId: 'dup-1', content: 'second' }));
    expect(first.created).toBe(true);
    expect(second).toEqual({ created: false, message: first.message });
    expect(await countRows('ConversationMessages', '"MessageId" = :id', { id: 'dup-1' })).toBe(1);
    expect((await db.repo.getChatSession('clinic', chatId))?.totalMessages).toBe(1);
  });

  it('creates exactly one row when the same message is logged concurrently', async () => {
    const chatId = 'race-chat@c.us';
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.repo.logMessage(patientText({ chatId, messageId: 'race-1', content: `copy ${i}` })),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(await countRows('ConversationMessages', '"MessageId" = :id', { id: 'race-1' })).toBe(1);
    expect((await db.repo.getChatSession('clinic', chatId))?.totalMessages).toBe(1);
  });

  it('counts every distinct message of a chat logged concurrently and keeps first/last across out-of-order times', async () => {
    const chatId = 'busy-chat@c.us';
    const offsets = [50, 10, 90, 30, 70, 20, 80, 40, 60, 100];
    await Promise.all(
      offsets.map((s) => db.repo.logMessage(patientText({ chatId, messageId: `busy-${s}`, timestamp: at(s) }))),
    );
    const chat = await db.repo.getChatSession('clinic', chatId);
    expect(chat).toMatchObject({ totalMessages: 10, firstMessageAt: at(10), lastMessageAt: at(100) });
  });

  it('opens the chat row again when it was deleted by hand after the repository saw it', async () => {
    const chatId = 'deleted-chat@c.us';
    await db.repo.logMessage(patientText({ chatId, messageId: 'del-1', timestamp: at(10) }));
    await db.sequelize.query('DELETE FROM "ChatSessions" WHERE "ChatId" = :chatId', { replacements: { chatId } });
    expect(await db.repo.getChatSession('clinic', chatId)).toBeNull();
    const again = await db.repo.logMessage(patientText({ chatId, messageId: 'del-2', timestamp: at(20) }));
    expect(again.created).toBe(true);
    expect(await db.repo.getChatSession('clinic', chatId)).toMatchObject({
      totalMessages: 1,
      firstMessageAt: at(20),
      lastMessageAt: at(20),
    });
  });

  it('keeps the same message id in two sessions as two messages of two chat sessions', async () => {
    const chatId = 'two-sessions@c.us';
    const a = await db.repo.logMessage(patientText({ session: 'clinic', chatId, messageId: 'shared-id' }));
    const b = await db.repo.logMessage(patientText({ session: 'pharmacy', chatId, messageId: 'shared-id' }));
    expect([a.created, b.created]).toEqual([true, true]);
    expect(a.message.id).not.toBe(b.message.id);
    const sessions = await db.repo.findChatSessions(chatId);
    expect(sessions.map((s) => s.session).sort()).toEqual(['clinic', 'pharmacy']);
  });

  it('updates contact details only when a message carries them', async () => {
    const chatId = 'contact-chat@c.us';
    await db.repo.logMessage(
      patientText({ chatId, messageId: 'c-1', contactName: 'Old Name', contactPhone: '+551100' }),
    );
    await db.repo.logMessage(assistantText({ chatId, messageId: 'c-2', timestamp: at(5) }));
    expect(await db.repo.getChatSession('clinic', chatId)).toMatchObject({
      contactName: 'Old Name',
      contactPhone: '+551100',
    });
    await db.repo.logMessage(patientText({ chatId, messageId: 'c-3', timestamp: at(9), contactName: 'New Name' }));
    expect(await db.repo.getChatSession('clinic', chatId)).toMatchObject({
      contactName: 'New Name',
      contactPhone: '+551100',
      totalMessages: 3,
    });
  });

  it('pages history newest last, before a given time, optionally within one session', async () => {
    const chatId = 'history-chat@c.us';
    for (let i = 1; i <= 5; i++) {
      await db.repo.logMessage(patientText({ chatId, messageId: `h-${i}`, timestamp: at(i * 10) }));
    }
    await db.repo.logMessage(patientText({ session: 'other', chatId, messageId: 'h-other', timestamp: at(45) }));

    const latest = await db.repo.getHistory({ chatId, limit: 3 });
    expect(latest.map((m) => m.messageId)).toEqual(['h-4', 'h-other', 'h-5']);
    const latestInClinic = await db.repo.getHistory({ session: 'clinic', chatId, limit: 3 });
    expect(latestInClinic.map((m) => m.messageId)).toEqual(['h-3', 'h-4', 'h-5']);
    const older = await db.repo.getHistory({ session: 'clinic', chatId, limit: 3, before: at(30) });
    expect(older.map((m) => m.messageId)).toEqual(['h-1', 'h-2']);
    expect(await db.repo.getHistory({ chatId: 'nobody@c.us', limit: 3 })).toEqual([]);
  });

  it('lists recent conversations by last message, newest first, since a time and up to a limit', async () => {
    const base = 10_000;
    await db.repo.logMessage(
      patientText({ session: 'recent', chatId: 'r1@c.us', messageId: 'r1', timestamp: at(base + 1) }),
    );
    await db.repo.logMessage(
      patientText({ session: 'recent', chatId: 'r2@c.us', messageId: 'r2', timestamp: at(base + 3) }),
    );
    await db.repo.logMessage(
      patientText({ session: 'recent', chatId: 'r3@c.us', messageId: 'r3', timestamp: at(base + 2) }),
    );
    await db.repo.setChatStatus('recent', 'silent@c.us', 'handoff');

    const all = await db.repo.getRecentConversations({ since: at(base), limit: 10 });
    expect(all.map((c) => c.chatId)).toEqual(['r2@c.us', 'r3@c.us', 'r1@c.us']);
    const two = await db.repo.getRecentConversations({ since: at(base), limit: 2 });
    expect(two.map((c) => c.chatId)).toEqual(['r2@c.us', 'r3@c.us']);
    const newer = await db.repo.getRecentConversations({ since: at(base + 2), limit: 10 });
    expect(newer.map((c) => c.chatId)).toEqual(['r2@c.us', 'r3@c.us']);
    const unbounded = await db.repo.getRecentConversations({ limit: 1 });
    expect(unbounded.map((c) => c.chatId)).toEqual(['r2@c.us']);
  });

  it('sets chat status and links a patient, creating the chat row when it does not exist yet', async () => {
    await db.repo.linkPatient('clinic', 'linked@c.us', 'patient-42');
    await db.repo.setChatStatus('clinic', 'linked@c.us', 'escalated');
    expect(await db.repo.getChatSession('clinic', 'linked@c.us')).toMatchObject({
      patientId: 'patient-42',
      status: 'escalated',
      totalMessages: 0,
      firstMessageAt: null,
      lastMessageAt: null,
    });
  });

  it('tells whether a chat logged a patient message after a given one', async () => {
    const chatId = 'after-chat@c.us';
    await db.repo.logMessage(patientText({ chatId, messageId: 'after-1', timestamp: at(10) }));
    await db.repo.logMessage(assistantText({ chatId, messageId: 'after-reply', timestamp: at(11) }));
    await db.repo.logMessage(patientText({ chatId: 'other-chat@c.us', messageId: 'after-other', timestamp: at(12) }));
    expect(await db.repo.hasInboundAfter('clinic', chatId, 'after-1')).toBe(false);
    // Written earlier, logged later (webhooks come out of order): still after it in the line.
    await db.repo.logMessage(patientText({ chatId, messageId: 'after-0', timestamp: at(5) }));
    expect(await db.repo.hasInboundAfter('clinic', chatId, 'after-1')).toBe(true);
    expect(await db.repo.hasInboundAfter('clinic', chatId, 'after-0')).toBe(false);
    expect(await db.repo.hasInboundAfter('clinic', chatId, 'unknown')).toBe(false);
  });

  it('answers which message ids already exist, per session', async () => {
    await db.repo.logMessage(patientText({ chatId: 'ids@c.us', messageId: 'ids-1' }));
    await db.repo.logMessage(patientText({ chatId: 'ids@c.us', messageId: 'ids-2' }));
    const found = await db.repo.findExistingMessageIds('clinic', ['ids-1', 'ids-2', 'ids-3', 'ids-1']);
    expect([...found].sort()).toEqual(['ids-1', 'ids-2']);
    expect(await db.repo.findExistingMessageIds('other', ['ids-1'])).toEqual(new Set());
    expect(await db.repo.findExistingMessageIds('clinic', [])).toEqual(new Set());
    expect(await db.repo.hasMessage('clinic', 'ids-1')).toBe(true);
    expect(await db.repo.hasMessage('clinic', 'ids-3')).toBe(false);
    expect(await db.repo.getMessage('clinic', 'ids-3')).toBeNull();
  });

  it('flags a message once per flag, sets its reason and leaves the delivery status alone', async () => {
    await db.repo.logMessage(
      assistantText({ chatId: 'flag@c.us', messageId: 'flag-1', metadata: { source: 'triage' } }),
    );
    await db.repo.flagMessage('clinic', 'flag-1', 'undelivered', 'undelivered after 10 minutes');
    await db.repo.flagMessage('clinic', 'flag-1', 'undelivered', 'undelivered after 10 minutes');
    await db.repo.flagMessage('clinic', 'flag-1', 'reviewed', 'seen by nurse');
    await db.repo.flagMessage('clinic', 'no-such-message', 'undelivered', 'x');
    const message = await db.repo.getMessage('clinic', 'flag-1');
    expect(message).toMatchObject({
      deliveryStatus: 'pending',
      statusReason: 'seen by nurse',
      metadata: { source: 'triage', flags: ['undelivered', 'reviewed'] },
    });
    expect(await db.repo.hasMessage('clinic', 'no-such-message')).toBe(false);
  });

  it('attaches stored media to a recorded message', async () => {
    await db.repo.logMessage(
      patientText({ chatId: 'media@c.us', messageId: 'media-1', messageType: 'image', content: null }),
    );
    await db.repo.setMessageMedia('clinic', 'media-1', 'clinic/media-1.jpg', 'photo.jpg');
    expect(await db.repo.getMessage('clinic', 'media-1')).toMatchObject({
      mediaPath: 'clinic/media-1.jpg',
      mediaFilename: 'photo.jpg',
    });
  });

  it('answers ping while the connection is open', async () => {
    await expect(db.repo.ping()).resolves.toBeUndefined();
  });
});
