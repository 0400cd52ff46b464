/**
 * The "loses nothing" checks of the chaos run and the crash test, over an Outcome (database + simulator):
 * each message recorded once, each answered by exactly one reply, no send the database does not know,
 * order kept per chat, and every reply at a final delivery status.
 */
import type { Injected } from './load';
import type { Outcome, Reply } from './outcome';
import type { Table } from './table';

export interface Check {
  name: string;
  /** What was found, e.g. "500 / 500". */
  value: string;
  violations: number;
  /** Examples of violations, for the log. */
  examples: string[];
}

export interface CheckReport {
  checks: Check[];
  /** Facts that are not pass/fail (catch-up recoveries, bursts split...). */
  info: Array<[string, string]>;
  violations: number;
}

const FINAL = new Set(['delivered', 'read', 'failed']);

function check(name: string, value: string, problems: string[]): Check {
  return { name, value, violations: problems.length, examples: problems.slice(0, 5) };
}

export function runChecks(outcome: Outcome, injected: readonly Injected[]): CheckReport {
  const info: Array<[string, string]> = [];
  const messages = injected.filter((m) => m.chatId !== '');
  const failedInjects = injected.length - messages.length;
  const ids = new Set(messages.map((m) => m.id));

  // 1. Every patient message recorded exactly once.
  const recorded = new Map<string, number>();
  let strangers = 0;
  const viaCatchUp = new Set<string>();
  for (const chat of outcome.chats) {
    for (const row of chat.inbound) {
      if (!ids.has(row.messageId)) strangers += 1;
      recorded.set(row.messageId, (recorded.get(row.messageId) ?? 0) + 1);
      if (row.metadata.receivedVia === 'catch-up') viaCatchUp.add(row.messageId);
    }
  }
  const recordProblems = messages
    .filter((m) => recorded.get(m.id) !== 1)
    .map((m) => `${m.id}: recorded ${recorded.get(m.id) ?? 0} times`);
  if (strangers > 0) recordProblems.push(`${strangers} inbound rows for messages nobody sent`);
  if (failedInjects > 0) recordProblems.push(`${failedInjects} injects failed (the run itself is broken)`);
  const recordedOnce = messages.filter((m) => recorded.get(m.id) === 1).length;

  // 2. Every message answered by exactly one reply (a failed reply with a reason counts as its answer).
  const answerProblems: string[] = [];
  let answeredBySend = 0;
  let answeredByFailure = 0;
  for (const m of messages) {
    const replies = outcome.repliesByMessage.get(m.id) ?? [];
    if (replies.length === 0) answerProblems.push(`${m.id}: no reply`);
    else if (replies.length > 1) answerProblems.push(`${m.id}: ${replies.length} replies`);
    else if (replies[0]?.send) answeredBySend += 1;
    else if (replies[0]?.row.deliveryStatus === 'failed' && replies[0].row.statusReason) answeredByFailure += 1;
    else answerProblems.push(`${m.id}: its reply is in the database but the simulator never sent it`);
  }

  // 3. No duplicate sends: every send the simulator made is one reply of the database, and once.
  const sendProblems: string[] = [];
  let sends = 0;
  for (const chat of outcome.chats) {
    sends += chat.sends.length;
    const known = new Set(chat.replies.map((r) => r.row.messageId));
    for (const s of chat.sends)
      if (!known.has(s.messageId)) sendProblems.push(`${chat.chatId}: send ${s.messageId} matches no reply`);
    const byMessages = new Map<string, number>();
    for (const r of chat.replies) {
      const key = `${r.inReplyTo.join(',')}`;
      byMessages.set(key, (byMessages.get(key) ?? 0) + 1);
    }
    for (const [key, n] of byMessages)
      if (n > 1) sendProblems.push(`${chat.chatId}: ${n} replies for the same messages ${key}`);
  }

  // 4. Order per chat: replies go out in the order the patient wrote. Messages whose webhook never came
  // (recovered by the keeper's catch-up) can only be answered once found: reported, not a violation.
  const orderProblems: string[] = [];
  let lateCatchUp = 0;
  for (const chat of outcome.chats) {
    const indexOf = new Map(chat.messages.map((m) => [m.id, m.index]));
    const bySend = chat.replies
      .filter((r): r is Reply & { send: NonNullable<Reply['send']> } => r.send !== undefined)
      .sort((a, b) => a.send.at.localeCompare(b.send.at));
    let highest = -1;
    for (const r of bySend) {
      const idx = r.inReplyTo.filter((id) => !viaCatchUp.has(id)).map((id) => indexOf.get(id) ?? -1);
      const late = r.inReplyTo.filter((id) => viaCatchUp.has(id)).map((id) => indexOf.get(id) ?? -1);
      lateCatchUp += late.filter((i) => i < highest).length;
      if (idx.length === 0) continue;
      const low = Math.min(...idx);
      if (low < highest) orderProblems.push(`${chat.chatId}: message #${low} answered after #${highest}`);
      highest = Math.max(highest, ...idx);
    }
  }

  // 5. Every reply at a final status. A reply still "sent" is acceptable only when WhatsApp really never
  // delivered it (the simulator's own ack is still 1) and the pipeline flagged it with a reason.
  const deliveryProblems: string[] = [];
  const statusCounts: Record<string, number> = {};
  let flaggedTruly = 0;
  let replies = 0;
  for (const chat of outcome.chats) {
    for (const r of chat.replies) {
      replies += 1;
      const status = r.row.deliveryStatus;
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      if (status === 'failed' && !r.row.statusReason)
        deliveryProblems.push(`${r.row.messageId}: failed without a reason`);
      if (FINAL.has(status)) continue;
      const simAck = r.send?.ack ?? 0;
      if (simAck <= 1 && r.row.statusReason) {
        flaggedTruly += 1;
        continue;
      }
      deliveryProblems.push(
        `${r.row.messageId}: ${status}${r.row.statusReason ? ` (${r.row.statusReason})` : ''}, simulator ack ${simAck}`,
      );
    }
  }

  // Bursts: messages the patient sent within the quiet window, answered by one reply (informational:
  // a burst whose webhooks were lost or delayed by a crash is legitimately answered in parts).
  const bursts = new Map<string, Injected[]>();
  for (const m of messages) {
    const key = `${m.chatId}#${m.burst}`;
    bursts.set(key, [...(bursts.get(key) ?? []), m]);
  }
  let together = 0;
  for (const list of bursts.values()) {
    const replyIds = new Set(list.map((m) => outcome.repliesByMessage.get(m.id)?.[0]?.row.messageId));
    if (replyIds.size === 1) together += 1;
  }

  const checks = [
    check(
      'every message recorded exactly once in the database',
      `${recordedOnce} / ${messages.length}`,
      recordProblems,
    ),
    check(
      'every message answered by exactly one reply',
      `${answeredBySend + answeredByFailure} / ${messages.length}${answeredByFailure > 0 ? ` (${answeredByFailure} failed with a reason)` : ''}`,
      answerProblems,
    ),
    check(
      'no duplicate sends (simulator sends = replies in the database)',
      `${sends} sends, ${replies} replies`,
      sendProblems,
    ),
    check('order kept per chat', `${outcome.chats.length} chats`, orderProblems),
    check(
      'every reply at a final delivery status',
      Object.entries(statusCounts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      deliveryProblems,
    ),
  ];
  info.push(['messages recovered by the keeper catch-up', String(viaCatchUp.size)]);
  info.push(['catch-up messages answered after later ones (no webhook came)', String(lateCatchUp)]);
  info.push(['bursts answered by a single reply', `${together} / ${bursts.size}`]);
  info.push(['replies never delivered by WhatsApp, flagged with a reason', String(flaggedTruly)]);
  return { checks, info, violations: checks.reduce((n, c) => n + c.violations, 0) };
}

export function checksTable(report: CheckReport): Table {
  return {
    title: 'Chaos checks',
    headers: ['check', 'found', 'violations', 'result'],
    rows: [
      ...report.checks.map((c) => [c.name, c.value, String(c.violations), c.violations === 0 ? 'PASS' : 'FAIL']),
      ...report.info.map(([k, v]) => [k, v, '', 'info']),
    ],
  };
}
