/**
 * What happened to the patients' messages, read back from the two sources of truth: the conversation
 * database (inbound rows, replies with the ids they answer) and the simulator's record of every message
 * it was asked to send. The benchmark reads latencies from it; the chaos run its violations.
 */
import type { ConversationMessageRecord, IConversationRepository } from '../../db/types';
import type { Injected } from './load';
import type { SentRecordView, SimClient } from '../../simulator/control-client';

export interface Reply {
  row: ConversationMessageRecord;
  inReplyTo: string[];
  /** The simulator's record of this send, when it has one with the same message id. */
  send?: SentRecordView;
}

export interface ChatOutcome {
  chatId: string;
  messages: Injected[];
  inbound: ConversationMessageRecord[];
  replies: Reply[];
  /** Everything the simulator sent to this chat, oldest first. */
  sends: SentRecordView[];
}

export interface Outcome {
  chats: ChatOutcome[];
  /** Message id → the replies (normally one) whose inReplyTo names it. */
  repliesByMessage: Map<string, Reply[]>;
  sendsTotal: number;
}

function inReplyToOf(row: ConversationMessageRecord): string[] {
  const value = row.metadata.inReplyTo;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export async function collectOutcome(
  repo: IConversationRepository,
  sim: SimClient,
  session: string,
  injected: readonly Injected[],
): Promise<Outcome> {
  const allSends = await sim.sent(session);
  const sendById = new Map(allSends.map((s) => [s.messageId, s]));
  const byChat = new Map<string, Injected[]>();
  for (const m of injected) {
    if (!m.chatId) continue;
    const list = byChat.get(m.chatId) ?? [];
    list.push(m);
    byChat.set(m.chatId, list);
  }
  const chats: ChatOutcome[] = [];
  const repliesByMessage = new Map<string, Reply[]>();
  for (const [chatId, messages] of byChat) {
    const history = await repo.getHistory({ session, chatId, limit: 100_000 });
    const inbound = history.filter((r) => r.direction === 'inbound');
    const replies: Reply[] = history
      .filter((r) => r.direction === 'outbound' && r.senderType === 'assistant')
      .map((row) => ({ row, inReplyTo: inReplyToOf(row), send: sendById.get(row.messageId) }));
    for (const reply of replies) {
      for (const id of reply.inReplyTo) {
        const list = repliesByMessage.get(id) ?? [];
        list.push(reply);
        repliesByMessage.set(id, list);
      }
    }
    const sends = allSends.filter((s) => s.chatId === chatId).sort((a, b) => a.at.localeCompare(b.at));
    chats.push({ chatId, messages: messages.sort((a, b) => a.index - b.index), inbound, replies, sends });
  }
  return { chats, repliesByMessage, sendsTotal: allSends.length };
}

/** For each message with a sent reply: inject → the simulator's send record of the reply covering it (ms). */
export function replyLatencies(outcome: Outcome): {
  latenciesMs: number[];
  answered: number;
  firstInject: number;
  lastSend: number;
} {
  const latencies: number[] = [];
  let firstInject = Number.POSITIVE_INFINITY;
  let lastSend = 0;
  for (const chat of outcome.chats) {
    for (const m of chat.messages) {
      firstInject = Math.min(firstInject, m.injectedAt);
      const send = outcome.repliesByMessage.get(m.id)?.find((r) => r.send)?.send;
      if (!send) continue;
      const at = Date.parse(send.at);
      lastSend = Math.max(lastSend, at);
      latencies.push(at - m.injectedAt);
    }
  }
  return { latenciesMs: latencies, answered: latencies.length, firstInject, lastSend };
}

/** Polls until every injected message has a reply the simulator sent, or the deadline passes. */
export async function waitForAllAnswered(
  repo: IConversationRepository,
  sim: SimClient,
  session: string,
  injected: readonly Injected[],
  opts: { timeoutMs: number; everyMs?: number; onPoll?: (answered: number, total: number) => void },
): Promise<Outcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const total = injected.filter((m) => m.chatId).length;
  for (;;) {
    const outcome = await collectOutcome(repo, sim, session, injected);
    const answered = injected.filter((m) => outcome.repliesByMessage.get(m.id)?.some((r) => r.send)).length;
    opts.onPoll?.(answered, total);
    if (answered >= total || Date.now() > deadline) return outcome;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 1000));
  }
}
