import type { SearchQuery } from '../../../db/types';
import { assistantText, at, patientText } from './factories';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('full-text search on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    const a = 'chat-a@c.us';
    const b = 'chat-b@c.us';
    await db.repo.logMessage(
      patientText({
        chatId: a,
        messageId: 'm1',
        timestamp: at(1),
        content: 'Estou com dor de cabeça forte desde ontem',
      }),
    );
    await db.repo.logMessage(
      assistantText({ chatId: a, messageId: 'm2', timestamp: at(2), content: 'Dor de cabeça: beba água e descanse' }),
    );
    await db.repo.logMessage(
      patientText({
        chatId: a,
        messageId: 'm3',
        timestamp: at(3),
        messageType: 'image',
        content: null,
        caption: 'foto da mancha na pele',
      }),
    );
    await db.repo.logMessage(
      patientText({ chatId: b, messageId: 'm4', timestamp: at(4), content: 'tengo dolor de cabeza y fiebre' }),
    );
    await db.repo.logMessage(
      patientText({ chatId: b, messageId: 'm5', timestamp: at(5), content: 'cabeça dói, dor muito forte' }),
    );
    await db.repo.logMessage(
      assistantText({
        chatId: b,
        messageId: 'm6',
        timestamp: at(6),
        senderType: 'human',
        content: 'O médico vai ligar para você',
      }),
    );
  });
  afterAll(async () => {
    await db.dispose();
  });

  async function ids(
    q: string,
    filters: Partial<Omit<SearchQuery, 'q'>> = {},
  ): Promise<{ total: number; ids: string[] }> {
    const result = await db.repo.search({ q, limit: 20, offset: 0, ...filters });
    return { total: result.total, ids: result.items.map((m) => m.messageId) };
  }

  it('finds a word in any message, newest first, ignoring case', async () => {
    expect(await ids('cabeça')).toEqual({ total: 3, ids: ['m5', 'm2', 'm1'] });
    expect(await ids('FIEBRE')).toEqual({ total: 1, ids: ['m4'] });
  });

  it('requires every word when several are given', async () => {
    expect(await ids('dor forte')).toEqual({ total: 2, ids: ['m5', 'm1'] });
  });

  it('matches a quoted phrase only where the words are adjacent', async () => {
    expect(await ids('"dor de cabeça"')).toEqual({ total: 2, ids: ['m2', 'm1'] });
    expect(await ids('"dor de cabeça" ontem')).toEqual({ total: 1, ids: ['m1'] });
  });

  it('searches captions of media messages too', async () => {
    expect(await ids('mancha')).toEqual({ total: 1, ids: ['m3'] });
  });

  it('narrows by chat, sender type, message type and an inclusive time range', async () => {
    expect(await ids('dor', { chatId: 'chat-b@c.us' })).toEqual({ total: 1, ids: ['m5'] });
    expect(await ids('cabeça', { senderType: 'assistant' })).toEqual({ total: 1, ids: ['m2'] });
    expect(await ids('médico', { senderType: 'human' })).toEqual({ total: 1, ids: ['m6'] });
    expect(await ids('pele', { messageType: 'image' })).toEqual({ total: 1, ids: ['m3'] });
    expect(await ids('pele', { messageType: 'text' })).toEqual({ total: 0, ids: [] });
    expect(await ids('cabeça', { from: at(2), to: at(2) })).toEqual({ total: 1, ids: ['m2'] });
    expect(await ids('cabeça', { from: at(2) })).toEqual({ total: 2, ids: ['m5', 'm2'] });
    expect(await ids('cabeça', { to: at(2) })).toEqual({ total: 2, ids: ['m2', 'm1'] });
  });

  it('pages with limit and offset while total counts every match', async () => {
    const first = await db.repo.search({ q: 'dor', limit: 2, offset: 0 });
    const second = await db.repo.search({ q: 'dor', limit: 2, offset: 2 });
    const beyond = await db.repo.search({ q: 'dor', limit: 2, offset: 4 });
    expect([first.total, first.items.map((m) => m.messageId)]).toEqual([3, ['m5', 'm2']]);
    expect([second.total, second.items.map((m) => m.messageId)]).toEqual([3, ['m1']]);
    expect([beyond.total, beyond.items]).toEqual([3, []]);
  });

  it('treats search syntax in user input as plain words instead of failing', async () => {
    expect(await ids('dor" OR')).toEqual({ total: 0, ids: [] });
    expect(await ids('"dor de cabeça')).toEqual({ total: 2, ids: ['m2', 'm1'] });
    expect(await ids('dor AND cabeça')).toEqual({ total: 0, ids: [] });
    expect(await ids('NEAR(dor cabeça)')).toEqual({ total: 0, ids: [] });
    expect(await ids('\'; DROP TABLE "ConversationMessages"; --')).toEqual({ total: 0, ids: [] });
    for (const q of ['*', 'dor*', 'Content:dor', '-dor', '^dor', '(dor', 'dor)', '"', '""', '!!!', '\\', '%', '_']) {
      const result = await db.repo.search({ q, limit: 20, offset: 0 });
      expect(result.items.length).toBe(Math.min(result.total, 20));
    }
    expect(await ids('   ')).toEqual({ total: 0, ids: [] });
    expect(await ids('dor')).toEqual({ total: 3, ids: ['m5', 'm2', 'm1'] });
  });

  it('does not treat LIKE wildcards as wildcards', async () => {
    expect(await ids('d%r')).toEqual({ total: 0, ids: [] });
  });
});
