import { createHash } from 'node:crypto';
import type { WorkflowGateway } from '../api/workflows';
import type { OperatorRepository } from '../db/operators';
import type { ChatSessionRecord, EscalationRecord, IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { ChatView } from './views/chat';
import type { InboxItem, InboxView } from './views/inbox';
import type { SessionCard } from './views/sessions';

/**
 * What the pages show, read from the same places as the REST API: the conversation repository, the media
 * store and the workflow gateway. Temporal being down never breaks a page: its parts say "unavailable".
 */

/** A page does not wait longer than this for Temporal: that part says "unavailable" instead. */
const TEMPORAL_WAIT_MS = 3000;
const WAITING_LIMIT = 200;
const RECENT_LIMIT = 50;
const HISTORY_LIMIT = 100;

/** The answer, or 'unavailable' when Temporal fails or is slow (the page renders anyway). */
export function orUnavailable<T>(work: Promise<T>, ms = TEMPORAL_WAIT_MS): Promise<T | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unavailable'>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), ms);
  });
  return Promise.race([work.catch(() => 'unavailable' as const), late]).finally(() => clearTimeout(timer));
}

/** Display names of the `console:<username>` people named in these fields. */
async function peopleNamed(
  operators: OperatorRepository,
  names: (string | null | undefined)[],
): Promise<Map<string, string>> {
  const people = new Map<string, string>();
  for (const by of new Set(names)) {
    if (!by?.startsWith('console:') || people.has(by)) continue;
    const operator = await operators.find(by.slice('console:'.length));
    if (operator) people.set(by, operator.displayName);
  }
  return people;
}

const key = (c: { session: string; chatId: string }): string => `${c.session}\n${c.chatId}`;

export async function loadInbox(repo: IConversationRepository, operators: OperatorRepository): Promise<InboxView> {
  const [open, paused, recent] = await Promise.all([
    repo.getOpenEscalations(WAITING_LIMIT),
    repo.getChatsByStatus(['escalated', 'handoff'], WAITING_LIMIT),
    repo.getRecentConversations({ limit: RECENT_LIMIT }),
  ]);
  const escalationOf = new Map<string, EscalationRecord>();
  for (const e of open) if (!escalationOf.has(key(e))) escalationOf.set(key(e), e);

  const chats = new Map<string, ChatSessionRecord>(paused.map((c) => [key(c), c]));
  for (const e of escalationOf.values()) {
    if (chats.has(key(e))) continue;
    const chat = await repo.getChatSession(e.session, e.chatId);
    if (chat) chats.set(key(e), chat);
  }
  const waiting: InboxItem[] = [...chats.values()].map((chat) => ({ chat, escalation: escalationOf.get(key(chat)) }));
  // Emergencies nobody acknowledged first, newest escalation first; then acknowledged ones; then take-overs.
  const rank = (item: InboxItem): number => (item.escalation ? (item.escalation.acknowledgedAt ? 1 : 0) : 2);
  const when = (item: InboxItem): number =>
    (item.escalation?.escalatedAt ?? item.chat.lastMessageAt ?? item.chat.updatedAt).getTime();
  waiting.sort((a, b) => rank(a) - rank(b) || when(b) - when(a));

  const shown = new Set(waiting.map((item) => key(item.chat)));
  return {
    waiting,
    recent: recent.filter((c) => !shown.has(key(c))),
    people: await peopleNamed(
      operators,
      open.map((e) => e.acknowledgedBy),
    ),
  };
}

export async function loadChat(
  deps: { repo: IConversationRepository; operators: OperatorRepository; gateway: WorkflowGateway },
  chat: ChatSessionRecord,
  opts: { before?: Date; configured: boolean; requestKey: string },
): Promise<ChatView> {
  const { repo, operators, gateway } = deps;
  const [messages, escalations, stats, state] = await Promise.all([
    repo.getHistory({ session: chat.session, chatId: chat.chatId, limit: HISTORY_LIMIT + 1, before: opts.before }),
    repo.getEscalations(chat.session, chat.chatId, 1),
    repo.getStats(chat.chatId),
    orUnavailable(gateway.conversationState(chat.session, chat.chatId)),
  ]);
  const hasOlder = messages.length > HISTORY_LIMIT;
  const shown = hasOlder ? messages.slice(1) : messages;
  const escalation = escalations.find((e) => e.resolvedAt === null);
  return {
    chat,
    messages: shown,
    olderBefore: hasOlder ? shown[0]?.timestamp : undefined,
    escalation,
    state,
    stats,
    people: await peopleNamed(operators, [
      escalation?.acknowledgedBy,
      typeof state === 'object' ? state?.pausedBy : undefined,
    ]),
    configured: opts.configured,
    requestKey: opts.requestKey,
  };
}

/** One session's card: the keeper's status and, while a QR waits, a version that changes with the image. */
export async function loadSessionCard(
  deps: { gateway: WorkflowGateway; mediaStore: MediaStore },
  session: string,
): Promise<SessionCard> {
  const status = await orUnavailable(deps.gateway.sessionStatus(session));
  if (status === 'unavailable' || status === null || !status.qrAvailable) return { session, status };
  const png = await deps.mediaStore.readQr(session);
  if (png === null) return { session, status };
  return { session, status, qrVersion: createHash('sha256').update(png).digest('hex').slice(0, 16) };
}
