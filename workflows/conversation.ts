/**
 * conversationWorkflow — one per chat (id conversation:<session>:<chatId>), the chat's single point of
 * order. Message workflows ask for the chat's turn; turns are granted one at a time, in arrival order.
 * A burst (messages closer together than QUIET_WINDOW_MS) is granted as one turn: the first message's
 * workflow writes one reply covering all of them, the others finish as "coalesced". sendMessage signals
 * from other services become outboundMessageWorkflow children that take their turn like everyone else.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { ConversationActivities } from '../activities/conversation-activities';
import {
  conversationStateQuery,
  handoffSignal,
  outboundWorkflowId,
  patientLinkedSignal,
  releaseTurnSignal,
  requestTurnSignal,
  SA_CHAT_ID,
  SA_PATIENT_ID,
  SA_TRIAGE_LEVEL,
  SA_WHATSAPP_SESSION,
  sendMessageSignal,
  turnGrantedSignal,
  type ConversationCarriedState,
  type ConversationWorkflowInput,
  type OutboundRequest,
  type TurnGrant,
  type TurnRequest,
} from './definitions';
import { SETTINGS, TEMPORAL_CALL } from './presets';
import type { outboundMessageWorkflow } from './outbound';

const { getPipelineSettings } = proxyLocalActivities<ConversationActivities>(SETTINGS);
const { isWorkflowRunning } = proxyActivities<ConversationActivities>(TEMPORAL_CALL);

/** requestIds remembered for de-duplication; older ones belong to requests long finished. */
const SEEN_REQUEST_IDS = 1000;
/** Turns remembered as granted; a late duplicate request comes seconds after, not a thousand turns later. */
const GRANTED_REMEMBERED = 1000;
/** Continue-as-new well before Temporal's history limits; the state carried over is small. */
const MAX_HISTORY_EVENTS = 4000;

/**
 * Patient messages wait in the order the patient wrote them, not the order their webhooks arrived
 * (WPPConnect posts concurrently): a turn moves ahead of waiting inbound turns sent after it, never
 * ahead of an outbound one.
 */
export function enqueueInSentOrder(queue: TurnRequest[], turn: TurnRequest): void {
  const at = turn.kind === 'inbound' && turn.sentAt ? Date.parse(turn.sentAt) : Number.NaN;
  let index = queue.length;
  if (!Number.isNaN(at)) {
    for (; index > 0; index--) {
      const previous = queue[index - 1];
      if (!previous || previous.kind !== 'inbound' || !previous.sentAt || Date.parse(previous.sentAt) <= at) break;
    }
  }
  queue.splice(index, 0, turn);
}

export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<void> {
  const { session, chatId } = input;
  const state: ConversationCarriedState = input.state ?? { queue: [], seenRequestIds: [], turnsGranted: 0 };
  const seen = new Set(state.seenRequestIds);
  state.grantedWorkflowIds ??= [];
  const granted = new Set(state.grantedWorkflowIds);
  const rememberGranted = (workflowId: string) => {
    if (granted.has(workflowId)) return;
    granted.add(workflowId);
    const list = state.grantedWorkflowIds ?? [];
    list.push(workflowId);
    if (list.length > GRANTED_REMEMBERED)
      for (const id of list.splice(0, list.length - GRANTED_REMEMBERED)) granted.delete(id);
    state.grantedWorkflowIds = list;
  };
  const outboundToStart: OutboundRequest[] = [];

  setHandler(requestTurnSignal, (turn: TurnRequest) => {
    if (state.holder?.workflowId === turn.workflowId || granted.has(turn.workflowId)) return;
    if (state.queue.some((q) => q.workflowId === turn.workflowId)) return;
    enqueueInSentOrder(state.queue, turn);
    state.lastArrivalAt = Date.now();
  });

  setHandler(releaseTurnSignal, ({ workflowId }) => {
    if (state.holder?.workflowId === workflowId) state.holder = undefined;
  });

  setHandler(sendMessageSignal, ({ request }) => {
    if (seen.has(request.requestId)) return;
    seen.add(request.requestId);
    state.seenRequestIds.push(request.requestId);
    if (state.seenRequestIds.length > SEEN_REQUEST_IDS) {
      const dropped = state.seenRequestIds.splice(0, state.seenRequestIds.length - SEEN_REQUEST_IDS);
      for (const id of dropped) seen.delete(id);
    }
    outboundToStart.push(request);
  });

  setHandler(handoffSignal, ({ action, triageLevel }) => {
    if (action === 'resume') {
      state.pausedReason = undefined;
    } else if (action === 'handoff') {
      state.pausedReason = state.pausedReason === 'escalated' ? 'escalated' : 'handoff';
    } else {
      state.pausedReason = 'escalated';
      if (triageLevel) {
        state.triageLevel = triageLevel;
        upsertSearchAttributes([{ key: SA_TRIAGE_LEVEL, value: triageLevel }]);
      }
    }
  });

  setHandler(patientLinkedSignal, ({ patientId }) => {
    state.patientId = patientId;
    upsertSearchAttributes([{ key: SA_PATIENT_ID, value: patientId }]);
  });

  setHandler(conversationStateQuery, () => ({
    session,
    chatId,
    paused: state.pausedReason !== undefined,
    pausedReason: state.pausedReason,
    patientId: state.patientId,
    triageLevel: state.triageLevel,
    queueLength: state.queue.length,
    holder: state.holder?.workflowId,
    turnsGranted: state.turnsGranted,
  }));

  upsertSearchAttributes([
    { key: SA_CHAT_ID, value: chatId },
    { key: SA_WHATSAPP_SESSION, value: session },
    ...(state.patientId ? [{ key: SA_PATIENT_ID, value: state.patientId }] : []),
    ...(state.triageLevel ? [{ key: SA_TRIAGE_LEVEL, value: state.triageLevel }] : []),
  ]);

  const settings = await getPipelineSettings();

  const grant = async (workflowId: string, turnGrant: TurnGrant): Promise<boolean> => {
    rememberGranted(workflowId);
    try {
      await getExternalWorkflowHandle(workflowId).signal(turnGrantedSignal, turnGrant);
      return true;
    } catch (err) {
      // The message workflow is gone (terminated by an operator): skip it rather than block the chat.
      log.warn('could not grant a turn; skipping that workflow', { workflowId, error: String(err) });
      return false;
    }
  };

  const startOutbound = async (request: OutboundRequest): Promise<void> => {
    const workflowId = outboundWorkflowId(session, request.requestId);
    try {
      await startChild<typeof outboundMessageWorkflow>('outboundMessageWorkflow', {
        workflowId,
        args: [{ request }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: SA_CHAT_ID, value: chatId },
          { key: SA_WHATSAPP_SESSION, value: session },
        ],
      });
    } catch (err) {
      // Already started by an earlier run of this conversation (before continue-as-new): it still waits.
      log.info('outbound workflow already exists', { workflowId, error: String(err) });
    }
    const known =
      granted.has(workflowId) ||
      state.holder?.workflowId === workflowId ||
      state.queue.some((q) => q.workflowId === workflowId);
    if (!known) {
      state.queue.push({ workflowId, kind: 'outbound' });
      state.lastArrivalAt ??= Date.now();
    }
  };

  const historyLimit = input.historyLimit ?? MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;

  for (;;) {
    const ready = () =>
      outboundToStart.length > 0 || (state.holder === undefined && state.queue.length > 0) || shouldContinueAsNew();
    if (state.holder) await condition(ready, settings.turnLeaseMs);
    else await condition(ready);

    while (outboundToStart.length > 0) {
      const request = outboundToStart.shift();
      if (request) await startOutbound(request);
    }

    if (state.holder !== undefined) {
      if (Date.now() - state.holder.grantedAt >= settings.turnLeaseMs) {
        // A long turn is normal while sends wait for the session; only a vanished holder frees it.
        const running = await isWorkflowRunning({ workflowId: state.holder.workflowId });
        if (!running) {
          log.warn('turn holder is no longer running; freeing the turn', { workflowId: state.holder.workflowId });
          state.holder = undefined;
        } else {
          state.holder.grantedAt = Date.now();
        }
      }
    } else if (state.queue.length > 0) {
      await grantNext();
    }

    if (shouldContinueAsNew() && outboundToStart.length === 0) {
      await condition(allHandlersFinished);
      if (outboundToStart.length === 0) {
        await continueAsNew<typeof conversationWorkflow>({ session, chatId, state, historyLimit: input.historyLimit });
      }
    }
  }

  async function grantNext(): Promise<void> {
    const head = state.queue[0];
    if (!head) return;
    if (head.kind === 'outbound') {
      state.queue.shift();
      await grantTurn(head.workflowId, { role: 'send' }, 1);
      return;
    }

    // Let the burst finish: wait until the chat has been quiet for the window.
    for (;;) {
      const quietFor = Date.now() - (state.lastArrivalAt ?? 0);
      if (quietFor >= settings.quietWindowMs) break;
      const arrivalsBefore = state.lastArrivalAt;
      await condition(() => state.lastArrivalAt !== arrivalsBefore, settings.quietWindowMs - quietFor);
    }

    // The burst: the inbound turns at the head of the queue, up to the first outbound one.
    const burst: TurnRequest[] = [];
    while (state.queue[0]?.kind === 'inbound') {
      const next = state.queue.shift();
      if (next) burst.push(next);
    }
    const [leader, ...followers] = burst;
    if (!leader) return;

    if (state.pausedReason !== undefined) {
      for (const turn of burst) await grant(turn.workflowId, { role: 'paused', reason: state.pausedReason });
      state.turnsGranted += burst.length;
      return;
    }

    const granted = await grantTurn(
      leader.workflowId,
      {
        role: 'reply',
        messageIds: burst.map((t) => t.messageId).filter((id): id is string => id !== undefined),
        coveredWorkflowIds: followers.map((t) => t.workflowId),
      },
      burst.length,
    );
    if (!granted) {
      // Give the rest of the burst back to the queue; the next grant picks a new leader.
      state.queue.unshift(...followers);
      return;
    }
    for (const follower of followers) await grant(follower.workflowId, { role: 'coalesced', into: leader.workflowId });
  }

  /**
   * The holder is recorded before the grant is sent: a fast holder's releaseTurn can be delivered in
   * the same activation as the completion of our grant signal, and signals are handled first. Recorded
   * afterwards, that release would be ignored and the chat blocked until the lease runs out.
   */
  async function grantTurn(workflowId: string, turnGrant: TurnGrant, turns: number): Promise<boolean> {
    state.holder = { workflowId, grantedAt: Date.now() };
    if (await grant(workflowId, turnGrant)) {
      state.turnsGranted += turns;
      return true;
    }
    if (state.holder?.workflowId === workflowId) state.holder = undefined;
    return false;
  }
}
