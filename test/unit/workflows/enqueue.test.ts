import type { ConversationItem, InboundItem } from '../../../contracts';
import { enqueueInSentOrder, requeueBurst } from '../../../workflows/conversation';

const inbound = (id: string, sentAt: string): InboundItem => ({
  kind: 'inbound',
  receivedVia: 'webhook',
  arrivedAt: 0,
  message: {
    session: 's',
    chatId: 'c@c.us',
    messageId: id,
    sentAt,
    senderId: 'c@c.us',
    isGroup: false,
    messageType: 'text',
    rawType: 'chat',
  },
});
const ids = (queue: ConversationItem[]) =>
  queue.map((item) => (item.kind === 'inbound' ? item.message.messageId : item.request.requestId));

describe('enqueueInSentOrder (the order messages wait in)', () => {
  it('puts a message whose webhook came late before waiting messages the patient wrote after it', () => {
    const queue: ConversationItem[] = [inbound('m2', '2026-11-24T10:00:02Z'), inbound('m3', '2026-11-24T10:00:03Z')];
    enqueueInSentOrder(queue, inbound('m1', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps arrival order for messages sent in the same second', () => {
    const queue: ConversationItem[] = [inbound('a', '2026-11-24T10:00:01Z')];
    enqueueInSentOrder(queue, inbound('b', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['a', 'b']);
  });

  it('never moves a message ahead of a request of another service already waiting', () => {
    const queue: ConversationItem[] = [
      inbound('m2', '2026-11-24T10:00:02Z'),
      { kind: 'outbound', request: { requestId: 'out', session: 's', chatId: 'c@c.us', type: 'text', text: 'hi' } },
    ];
    enqueueInSentOrder(queue, inbound('m1', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['m2', 'out', 'm1']);
  });
});

describe('requeueBurst (a lone reply superseded before the quiet)', () => {
  const request = (id: string): ConversationItem => ({
    kind: 'outbound',
    request: { requestId: id, session: 's', chatId: 'c@c.us', type: 'text', text: 'x' },
  });

  it('puts the message back ahead of everything that came while its reply waited, patients in written order', () => {
    const queue: ConversationItem[] = [
      inbound('m3', '2026-11-24T10:00:03Z'),
      inbound('m0', '2026-11-24T10:00:00Z'), // its webhook came late
      request('r1'),
      inbound('m4', '2026-11-24T10:00:04Z'),
    ];
    requeueBurst(queue, [inbound('m1', '2026-11-24T10:00:01Z')]);
    expect(ids(queue)).toEqual(['m0', 'm1', 'm3', 'r1', 'm4']);
  });

  it('keeps the message first when nothing else waits before a request', () => {
    const queue: ConversationItem[] = [request('r1')];
    requeueBurst(queue, [inbound('m1', '2026-11-24T10:00:01Z')]);
    expect(ids(queue)).toEqual(['m1', 'r1']);
  });
});
