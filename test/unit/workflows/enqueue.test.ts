import { enqueueInSentOrder } from '../../../workflows/conversation';
import type { TurnRequest } from '../../../workflows/definitions';

const inbound = (id: string, sentAt?: string): TurnRequest => ({
  workflowId: id,
  kind: 'inbound',
  messageId: id,
  sentAt,
});
const ids = (queue: TurnRequest[]) => queue.map((t) => t.workflowId);

describe('enqueueInSentOrder (the order turns wait in)', () => {
  it('puts a message whose webhook came late before waiting messages the patient wrote after it', () => {
    const queue = [inbound('m2', '2026-11-24T10:00:02Z'), inbound('m3', '2026-11-24T10:00:03Z')];
    enqueueInSentOrder(queue, inbound('m1', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps arrival order for messages sent in the same second', () => {
    const queue = [inbound('a', '2026-11-24T10:00:01Z')];
    enqueueInSentOrder(queue, inbound('b', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['a', 'b']);
  });

  it('never moves a message ahead of an outbound send already waiting', () => {
    const queue: TurnRequest[] = [inbound('m2', '2026-11-24T10:00:02Z'), { workflowId: 'out', kind: 'outbound' }];
    enqueueInSentOrder(queue, inbound('m1', '2026-11-24T10:00:01Z'));
    expect(ids(queue)).toEqual(['m2', 'out', 'm1']);
  });
});
