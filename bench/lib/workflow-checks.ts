/**
 * The chaos run's checks on Temporal's side of the pipeline (workflows/conversation.ts): each chat has one
 * owner, `conversation:<session>:<chatId>`, still running; each patient message gets its own
 * `inbound:<session>:<message id>` workflow, started by that conversation once the message's fate is known,
 * naming the reply the database and the simulator agree answered it; and no workflow of the run failed,
 * was terminated or timed out.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { conversationWorkflowId, inboundWorkflowId, type InboundWorkflowResult } from '../../contracts';
import type { Check } from './checks';
import type { Injected } from './load';
import type { Outcome } from './outcome';

const BAD_ENDINGS = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);
const ANSWERED = new Set(['replied', 'coalesced']);

function check(name: string, value: string, problems: string[]): Check {
  return { name, value, violations: problems.length, examples: problems.slice(0, 5) };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function workflowChecks(
  client: Client,
  session: string,
  outcome: Outcome,
  injected: readonly Injected[],
): Promise<{ checks: Check[]; info: Array<[string, string]> }> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list()) executions.push(info);
  // The newest run of each workflow id (a conversation continued as new has several).
  const latest = new Map<string, WorkflowExecutionInfo>();
  for (const e of executions) {
    const seen = latest.get(e.workflowId);
    if (!seen || e.startTime > seen.startTime) latest.set(e.workflowId, e);
  }

  // 6. One owner per chat, alive.
  const ownerProblems: string[] = [];
  for (const chat of outcome.chats) {
    const id = conversationWorkflowId(session, chat.chatId);
    const e = latest.get(id);
    if (!e) ownerProblems.push(`${id}: no conversation workflow`);
    else if (e.status.name !== 'RUNNING') ownerProblems.push(`${id}: ${e.status.name}`);
  }

  // 7. Each message named by its own workflow, which agrees with the database and the simulator.
  const messages = injected.filter((m) => m.chatId !== '');
  const recordProblems: string[] = [];
  const outcomes: Record<string, number> = {};
  await inBatches(messages, 16, async (m) => {
    const id = inboundWorkflowId(session, m.id);
    const e = latest.get(id);
    if (!e) {
      recordProblems.push(`${id}: no message workflow`);
      return;
    }
    if (e.status.name !== 'COMPLETED') {
      recordProblems.push(`${id}: ${e.status.name}`);
      return;
    }
    let result: InboundWorkflowResult;
    try {
      result = await client.workflow.getHandle<() => Promise<InboundWorkflowResult>>(id).result();
    } catch (err) {
      recordProblems.push(`${id}: result unreadable (${(err as Error).message})`);
      return;
    }
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    const owner = conversationWorkflowId(session, m.chatId);
    if (result.conversationWorkflowId !== owner) {
      recordProblems.push(`${id}: names ${result.conversationWorkflowId} as its owner, not ${owner}`);
    }
    const replies = outcome.repliesByMessage.get(m.id) ?? [];
    const reply = replies[0];
    if (ANSWERED.has(result.outcome)) {
      if (!reply || result.replyMessageId !== reply.row.messageId) {
        recordProblems.push(
          `${id}: ${result.outcome} by ${result.replyMessageId ?? '?'}, the database says ${reply?.row.messageId ?? 'none'}`,
        );
      } else if (!(result.coveredMessageIds ?? []).includes(m.id)) {
        recordProblems.push(`${id}: its reply's covered messages leave it out`);
      }
    } else if (result.outcome === 'failed') {
      if (!reply || reply.row.deliveryStatus !== 'failed') {
        recordProblems.push(`${id}: failed, but the database has ${reply ? reply.row.deliveryStatus : 'no'} reply`);
      }
    } else {
      // Patients of the chaos run are never paused, in a group or staff.
      recordProblems.push(`${id}: unexpected outcome ${result.outcome}`);
    }
  });
  const strayInbound = [...latest.keys()].filter(
    (id) => id.startsWith(`inbound:${session}:`) && !messages.some((m) => inboundWorkflowId(session, m.id) === id),
  );
  for (const id of strayInbound) recordProblems.push(`${id}: a message workflow for a message nobody sent`);

  // 8. Nothing ended badly.
  const badProblems = executions
    .filter((e) => BAD_ENDINGS.has(e.status.name))
    .map((e) => `${e.type} ${e.workflowId} (run ${e.runId.slice(0, 8)}): ${e.status.name}`);

  const byType = executions.reduce<Record<string, number>>((acc, e) => {
    acc[e.type] = (acc[e.type] ?? 0) + 1;
    return acc;
  }, {});
  return {
    checks: [
      check('one conversation workflow per chat, still running', `${outcome.chats.length} chats`, ownerProblems),
      check(
        'every message named by its own workflow, agreeing with the reply',
        Object.entries(outcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '0',
        recordProblems,
      ),
      check('no workflow failed, terminated or timed out', `${executions.length} executions`, badProblems),
    ],
    info: [
      [
        'workflow executions by type',
        Object.entries(byType)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ],
    ],
  };
}
