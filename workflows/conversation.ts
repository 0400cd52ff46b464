/**
 * conversationWorkflow — one per chat (id conversation:<session>:<chatId>), the chat's single owner.
 *
 * Messages arrive as signals (the webhook and catch-up use signal-with-start) and this workflow runs every
 * step itself, one piece of work at a time, so nothing else needs a lock, a lease or a turn:
 *
 *   inboundMessage ─▶ accept (log it, local) ─▶ wait until the chat is quiet for QUIET_WINDOW_MS
 *     ─▶ assess the burst (local for the rules engine; a lone message was already assessed when it was
 *        accepted, and its reply goes to the send at once, which waits out the quiet window itself and
 *        sends nothing if the patient wrote again) ─▶ escalate if it is an emergency
 *     ─▶ send the reply (activity on the rate-limited send queue), which also records it and starts one
 *        inboundMessageWorkflow per message of the burst, naming what was done for it.
 *   sendMessage ─▶ send (same queue, same line) ─▶ record.
 *
 * Patient messages wait in the order the patient wrote them (webhooks arrive out of order); a request from
 * another service keeps its place in line. Delivery acks go straight to the database (the API); the session
 * keeper's delivery watch flags replies still undelivered after DELIVERY_TIMEOUT. docs/conversation.md has
 * the diagram.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertActivities, ClinicianAlert } from '../activities/alerts';
import type { AssessResult, MessageActivities, PipelineSettings } from '../activities/message-activities';
import type { SendActivities, SendResult } from '../activities/send-activities';
import {
  conversationStateQuery,
  FailureType,
  handoffSignal,
  inboundMessageSignal,
  messageAckSignal,
  patientLinkedSignal,
  recordedMessage,
  SA_PATIENT_ID,
  SA_TRIAGE_LEVEL,
  sendMessageSignal,
  type ConversationCarriedState,
  type ConversationItem,
  type ConversationState,
  type ConversationWorkflowInput,
  type InboundItem,
  type OutboundItem,
} from '../contracts';
import { ALERT, ASSESSMENT, LOCAL_DATABASE, MEDIA, SEND } from './presets';

/**
 * Ids remembered for de-duplication. The API and the catch-up skip messages the database already has, so
 * these only need to cover what is in flight (taken, not yet logged): seconds, not hundreds of messages.
 */
const SEEN_MESSAGE_IDS = 500;
const SEEN_REQUEST_IDS = 500;
/** Continue-as-new well before Temporal's history limits, even under a steady stream of messages. */
const MAX_HISTORY_EVENTS = 4000;
/**
 * Continue-as-new as soon as the line is idle past this many events (some 30 messages): a conversation
 * evicted from the worker's cache (a chat quiet for a while) is rebuilt by replaying its run's history on
 * its next message, which this bounds far below 4,000. Not lower: a new run cost the Temporal server about
 * as much CPU as six messages in `npm run bench` (60 events: +4.5 ms per message, no gain in the worker).
 */
const IDLE_HISTORY_EVENTS = 500;
/** A reply whose assessment expired while it waited is redone at most this many times, then sent as is. */
const MAX_REASSESSMENTS = 3;

const local = proxyLocalActivities<MessageActivities>(LOCAL_DATABASE);
const { storeInboundMedia } = proxyActivities<MessageActivities>(MEDIA);
const { alertClinician } = proxyActivities<AlertActivities>(ALERT);

/**
 * Patient messages wait in the order the patient wrote them, not the order their webhooks arrived
 * (WPPConnect posts concurrently): an inbound item moves ahead of waiting inbound items sent after it,
 * never ahead of an outbound one.
 */
export function enqueueInSentOrder(queue: ConversationItem[], item: InboundItem): void {
  const at = Date.parse(item.message.sentAt);
  let index = queue.length;
  if (!Number.isNaN(at)) {
    for (; index > 0; index--) {
      const previous = queue[index - 1];
      if (previous?.kind !== 'inbound' || Date.parse(previous.message.sentAt) <= at) break;
    }
  }
  queue.splice(index, 0, item);
}

/**
 * Puts a burst whose reply was not sent (the patient wrote again before the chat went quiet) back at the head
 * of the line, and the patient messages now leading it in the order they were written.
 */
export function requeueBurst(queue: ConversationItem[], burst: InboundItem[]): void {
  queue.unshift(...burst);
  let leading = 0;
  while (queue[leading]?.kind === 'inbound') leading++;
  const sorted: ConversationItem[] = [];
  for (const item of queue.splice(0, leading) as InboundItem[]) enqueueInSentOrder(sorted, item);
  queue.unshift(...sorted);
}

/** Keeps the newest `max` ids of a list and its set in step. */
function remember(list: string[], set: Set<string>, id: string, max: number): void {
  set.add(id);
  list.push(id);
  if (list.length > max) for (const dropped of list.splice(0, list.length - max)) set.delete(dropped);
}

/** The reason stored on a reply that could not be sent, from the activity failure that ended it. */
export function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? 'Error';
    if (type === FailureType.RecipientNotFound) return 'recipient does not exist on WhatsApp';
    return `${type}: ${err.cause.message}`.slice(0, 300);
  }
  if (err instanceof Error) return err.message.slice(0, 300);
  return 'unknown error';
}

function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure
    ? (err.cause.type ?? undefined)
    : undefined;
}

export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<void> {
  const { session, chatId } = input;
  const state: ConversationCarriedState = input.state ?? {
    queue: [],
    seenMessageIds: [],
    seenRequestIds: [],
    repliesSent: 0,
    messagesHandled: 0,
  };
  const seenMessages = new Set(state.seenMessageIds);
  const seenRequests = new Set(state.seenRequestIds);
  /** Items taken by a signal and not yet logged; carried items were logged by the previous run. */
  const fresh: InboundItem[] = [];
  const failedAcks: string[] = [];
  /** Media and alert activities run beside the line; continue-as-new waits for them. */
  const background = new Set<Promise<unknown>>();
  let step: ConversationState['step'] = 'idle';
  /**
   * Counts what can change a pending assessment: every message or request taken, handoff, patient link,
   * failed ack, and every step of the line. A lone message's early assessment (acceptFresh) is used only
   * if nothing of the kind happened since it was asked for.
   */
  let changes = 0;
  let early: { messageId: string; changes: number; assessment: AssessResult } | undefined;

  setHandler(inboundMessageSignal, ({ message, receivedVia }) => {
    if (seenMessages.has(message.messageId)) return;
    remember(state.seenMessageIds, seenMessages, message.messageId, SEEN_MESSAGE_IDS);
    changes += 1;
    const item: InboundItem = { kind: 'inbound', message, receivedVia, arrivedAt: Date.now() };
    enqueueInSentOrder(state.queue, item);
    fresh.push(item);
    if (!message.fromMe) state.lastArrivalAt = item.arrivedAt;
  });

  setHandler(sendMessageSignal, ({ request }) => {
    if (seenRequests.has(request.requestId)) return;
    remember(state.seenRequestIds, seenRequests, request.requestId, SEEN_REQUEST_IDS);
    changes += 1;
    state.queue.push({ kind: 'outbound', request });
  });

  setHandler(handoffSignal, ({ action, by }) => {
    changes += 1;
    if (action === 'resume') {
      state.pausedReason = undefined;
      state.pausedBy = undefined;
    } else if (action === 'escalate' || state.pausedReason !== 'escalated') {
      // An escalation is only ended by a resume: a later handoff does not hide it.
      state.pausedReason = action === 'escalate' ? 'escalated' : 'handoff';
      state.pausedBy = by;
    }
  });

  setHandler(patientLinkedSignal, ({ patientId, attribute }) => {
    changes += 1;
    state.patientId = patientId;
    upsertSearchAttributes([{ key: SA_PATIENT_ID, value: attribute }]);
  });

  setHandler(messageAckSignal, ({ messageId, status }) => {
    if (status !== 'failed') return;
    // A failed reply leaves the context the medical core reads.
    changes += 1;
    failedAcks.push(messageId);
  });

  setHandler(conversationStateQuery, (): ConversationState => ({
    session,
    chatId,
    paused: state.pausedReason !== undefined,
    pausedReason: state.pausedReason,
    pausedBy: state.pausedBy,
    patientId: state.patientId,
    triageLevel: state.triageLevel,
    queueLength: state.queue.length,
    step,
    repliesSent: state.repliesSent,
    messagesHandled: state.messagesHandled,
  }));

  // A fresh start (no state carried over): the database says whether a human has this chat (escalated,
  // handed off) and who the patient is.
  const opened = await local.openConversation({ session, chatId, restore: input.state === undefined });
  const settings: PipelineSettings = opened.settings;
  if (opened.restored) {
    state.pausedReason ??= opened.restored.pausedReason;
    if (opened.restored.pausedReason) state.pausedBy ??= 'database';
    state.patientId ??= opened.restored.patientId;
  }
  const send = proxyActivities<SendActivities>({ ...SEND, taskQueue: settings.sendTaskQueue });
  const assessActivity = settings.assessLocally
    ? local.assessConversation
    : proxyActivities<MessageActivities>(ASSESSMENT).assessConversation;

  const inBackground = (what: string, work: Promise<unknown>): void => {
    const tracked = work.catch((err: unknown) => {
      if (!isCancellation(err)) log.warn(`${what} failed`, { reason: failureReason(err) });
    });
    background.add(tracked);
    void tracked.finally(() => background.delete(tracked));
  };

  const alert = (a: Omit<ClinicianAlert, 'session' | 'chatId' | 'conversationWorkflowId'>): void => {
    inBackground(
      `clinician alert (${a.kind})`,
      alertClinician({ ...a, session, chatId, conversationWorkflowId: workflowInfo().workflowId }),
    );
  };

  /**
   * Logs new messages at once (the history, search and the console see them) and fetches their media beside
   * the line. A lone patient text message that the line will answer next (nothing before it in the line,
   * nothing else arriving with it, the chat not paused) is assessed in the same local activity: most
   * messages are such, and the step then needs no local activity of its own.
   */
  const acceptFresh = async (): Promise<void> => {
    const items = fresh.splice(0);
    if (items.length === 0) return;
    const [only] = items;
    const alone =
      settings.assessLocally &&
      items.length === 1 &&
      only !== undefined &&
      state.queue.length === 1 &&
      state.queue[0] === only &&
      !only.message.fromMe &&
      !only.message.isGroup &&
      only.message.messageType === 'text' &&
      state.pausedReason === undefined;
    const askedAt = changes;
    const { patientId, assessment } = await local.acceptInbound({
      session,
      chatId,
      items: items.map(({ message, receivedVia }) => ({ message, receivedVia })),
      ...(alone ? { assess: true } : {}),
    });
    if (patientId !== undefined) state.patientId = patientId;
    if (alone && only && assessment) early = { messageId: only.message.messageId, changes: askedAt, assessment };
    for (const { message } of items) {
      if (message.media) inBackground('media', storeInboundMedia({ message }));
    }
  };

  /** The messages at the head of the line, up to the first request of another service. */
  const takeBurst = (): InboundItem[] => {
    const burst: InboundItem[] = [];
    while (state.queue[0]?.kind === 'inbound') burst.push(state.queue.shift() as InboundItem);
    return burst;
  };

  /** The early assessment of this burst if it still holds (one message, nothing changed since); used once. */
  const takeEarly = (messageIds: string[]): AssessResult | undefined => {
    const held = early;
    early = undefined;
    if (held === undefined || held.changes !== changes) return undefined;
    return messageIds.length === 1 && messageIds[0] === held.messageId ? held.assessment : undefined;
  };

  /**
   * The head is a lone patient message whose early assessment still holds (and is not an emergency, which
   * escalates before anything is sent): its reply can go to the send before the chat is quiet.
   */
  const assessedAlone = (head: InboundItem): boolean =>
    early !== undefined &&
    early.changes === changes &&
    early.messageId === head.message.messageId &&
    early.assessment.triageLevel !== 'emergency' &&
    state.queue.length === 1 &&
    state.pausedReason === undefined;

  /**
   * Answers a burst. `quietUntil` (workflow ms): the burst is one message, assessed as it was logged, handed to
   * the send before the chat went quiet; the send waits for the quiet itself and sends nothing if the patient
   * wrote again meanwhile (`superseded`), and the burst goes back to the head of the line. This saves the
   * quiet-window timer and its workflow task for most messages.
   */
  const answer = async (burst: InboundItem[], quietUntil?: number): Promise<void> => {
    const messages = burst.map((item) => item.message);
    const messageIds = messages.map((m) => m.messageId);
    const base = { session, chatId, conversationWorkflowId: workflowInfo().workflowId };
    const prepared = takeEarly(messageIds);
    state.messagesHandled += burst.length;

    // Staff replies typed on the phone, group chats and paused chats get no assistant reply.
    const staff = burst.filter((item) => item.message.fromMe);
    if (staff.length > 0) {
      const { human } = await local.recordStaffMessages({ ...base, items: staff });
      if (human > 0 && settings.humanReplyPausesBot && state.pausedReason === undefined) {
        state.pausedReason = 'handoff';
        state.pausedBy = 'phone';
      }
    }
    const patients = burst.filter((item) => !item.message.fromMe);
    if (patients.length === 0) return;
    if (patients.some((item) => item.message.isGroup)) {
      await local.recordOutcomes({ ...base, items: patients, outcome: 'ignored', reason: 'group chat' });
      return;
    }
    if (state.pausedReason !== undefined) {
      await local.recordOutcomes({ ...base, items: patients, outcome: 'paused', reason: state.pausedReason });
      if (state.pausedReason === 'escalated') alert({ kind: 'message-while-escalated' });
      return;
    }

    step = 'assessing';
    let assessment: AssessResult = prepared ?? (await assessActivity({ session, chatId, messageIds }));
    if (assessment.triageLevel === 'emergency') {
      // Paused before the reply is sent: the next message waits for a human whatever happens to the send.
      state.pausedReason = 'escalated';
      state.pausedBy = 'safety-layer';
      state.triageLevel = 'emergency';
      upsertSearchAttributes([{ key: SA_TRIAGE_LEVEL, value: settings.emergencyAttribute }]);
      await local.recordEscalation({
        session,
        chatId,
        triageLevel: assessment.triageLevel,
        redFlags: assessment.redFlags,
      });
      alert({ kind: 'escalation', triageLevel: assessment.triageLevel, redFlags: assessment.redFlags });
    }

    step = 'sending';
    const anchorMessageId = messageIds[messageIds.length - 1];
    let sent: SendResult | undefined;
    for (let attempt = 0; sent === undefined; attempt++) {
      try {
        // The send records the reply and starts the message workflows as soon as WhatsApp took it.
        sent = await send.sendText({
          session,
          chatId,
          text: assessment.reply,
          anchorMessageId,
          notAfter: assessment.expiresAt,
          ...(quietUntil !== undefined && attempt === 0
            ? { quiet: { until: new Date(quietUntil).toISOString(), forMs: Math.max(0, quietUntil - Date.now()) } }
            : {}),
          reply: {
            conversationWorkflowId: base.conversationWorkflowId,
            messages: patients.map(recordedMessage),
            triageLevel: assessment.triageLevel,
            redFlags: assessment.redFlags,
            patientId: state.patientId ?? null,
          },
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        if (failureType(err) === FailureType.ReplyExpired && attempt < MAX_REASSESSMENTS) {
          // The session was down longer than REPLY_MAX_AGE: answer the conversation as it is now, and say so.
          step = 'assessing';
          assessment = await assessActivity({ session, chatId, messageIds, delayed: true });
          step = 'sending';
          continue;
        }
        step = 'recording';
        await local.recordFailedReply({
          ...base,
          items: patients,
          content: assessment.reply,
          reason: failureReason(err),
        });
        return;
      }
    }
    if (sent.superseded) {
      state.messagesHandled -= burst.length;
      requeueBurst(state.queue, burst);
      return;
    }
    state.repliesSent += 1;
  };

  const sendRequest = async ({ request }: OutboundItem): Promise<void> => {
    step = 'sending';
    let sent: SendResult;
    try {
      sent =
        request.type === 'text'
          ? await send.sendText({ session, chatId, text: request.text ?? '' })
          : await send.sendMedia({
              session,
              chatId,
              type: request.type,
              mediaFile: request.mediaFile ?? '',
              mimetype: request.mimetype ?? 'application/octet-stream',
              filename: request.filename,
              caption: request.caption,
            });
    } catch (err) {
      if (isCancellation(err)) throw err;
      step = 'recording';
      await local.recordRequestFailed({ request, reason: failureReason(err) });
      return;
    }
    step = 'recording';
    await local.recordRequestSent({ request, sent });
    if (request.senderType === 'human' && settings.humanReplyPausesBot && state.pausedReason === undefined) {
      state.pausedReason = 'handoff';
      state.pausedBy = request.requestedBy ?? 'human';
    }
  };

  const historyLimit = input.historyLimit ?? MAX_HISTORY_EVENTS;
  const longHistory = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  const idleHistoryLimit = input.idleHistoryLimit ?? IDLE_HISTORY_EVENTS;
  /** Nothing in line and nothing running beside it (a media fetch may take minutes: never waited for here). */
  const idleAndLong = () =>
    state.queue.length === 0 && background.size === 0 && workflowInfo().historyLength > idleHistoryLimit;

  // New messages are logged as they come, even while the line waits on a slow send (session down).
  let accepting = false;
  void (async () => {
    for (;;) {
      await condition(() => fresh.length > 0);
      accepting = true;
      await acceptFresh();
      accepting = false;
    }
  })();
  const allAccepted = () => fresh.length === 0 && !accepting;

  for (;;) {
    step = 'idle';
    await condition(
      () => (allAccepted() && (state.queue.length > 0 || longHistory() || idleAndLong())) || failedAcks.length > 0,
    );

    for (const messageId of failedAcks.splice(0)) {
      if (state.pausedReason === 'escalated') alert({ kind: 'undelivered-escalated-reply', messageId });
    }

    if (!allAccepted()) continue;
    if (longHistory() || idleAndLong()) {
      // Media and alerts of this run finish first; the queue (all of it logged) is carried over.
      await Promise.all([...background]);
      if (allAccepted()) {
        await continueAsNew<typeof conversationWorkflow>({
          session,
          chatId,
          state,
          historyLimit: input.historyLimit,
          idleHistoryLimit: input.idleHistoryLimit,
        });
      }
      continue;
    }

    const head = state.queue[0];
    if (head === undefined) continue;
    if (head.kind === 'outbound') {
      state.queue.shift();
      await sendRequest(head);
      changes += 1; // what it recorded is in the conversation an early assessment read
      continue;
    }
    // Let the burst finish: the chat must be quiet for the window (staff messages do not wait).
    const quietFor = Date.now() - (state.lastArrivalAt ?? 0);
    if (!head.message.fromMe && quietFor < settings.quietWindowMs) {
      if (assessedAlone(head)) {
        await answer(takeBurst(), (state.lastArrivalAt ?? 0) + settings.quietWindowMs);
        changes += 1;
        continue;
      }
      step = 'waiting-for-quiet';
      await condition(() => fresh.length > 0, settings.quietWindowMs - quietFor);
      continue;
    }
    await answer(takeBurst());
    changes += 1;
  }
}
