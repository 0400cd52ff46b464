import type { Client } from '@temporalio/client';
import type { SearchAttributePair, SignalDefinition } from '@temporalio/common';
import { SA_CHAT_ID, SA_WHATSAPP_SESSION, type ConversationWorkflowInput, type WorkflowIds } from '../contracts';

/**
 * Signal-with-start on a chat's conversationWorkflow, the one Temporal call every path into a chat makes
 * (webhook, catch-up, sendMessage, handoff, patient link): durable once it returns, and it never waits for a
 * worker. Every signal of the conversation takes one argument.
 */
export async function signalConversation<A>(
  client: Pick<Client, 'workflow'>,
  opts: { ids: WorkflowIds; taskQueue: string },
  where: { session: string; chatId: string },
  signal: SignalDefinition<[A]>,
  arg: A,
): Promise<string> {
  const workflowId = opts.ids.conversation(where.session, where.chatId);
  const typedSearchAttributes: SearchAttributePair[] = [
    { key: SA_CHAT_ID, value: opts.ids.chatAttribute(where.session, where.chatId) },
    { key: SA_WHATSAPP_SESSION, value: where.session },
  ];
  const input: ConversationWorkflowInput = { session: where.session, chatId: where.chatId };
  await client.workflow.signalWithStart<(input: ConversationWorkflowInput) => Promise<void>, [A]>(
    'conversationWorkflow',
    {
      workflowId,
      taskQueue: opts.taskQueue,
      args: [input],
      signal: signal.name,
      signalArgs: [arg],
      typedSearchAttributes,
    },
  );
  return workflowId;
}
