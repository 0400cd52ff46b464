import type { ConversationItem, InboundItem } from '../../../contracts';
import { enqueueInSentOrder } from '../../../workflows/conversation';

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
