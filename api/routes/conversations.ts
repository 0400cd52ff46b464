import type { ChatSessionRecord, IConversationRepository } from '../../db/types';
import { AppError, notFound } from '../errors';
import { defineRoute, type RouteDef, stateOf } from '../route';
import { chatParams, errorBodySchema, optionalSessionQuery } from '../schemas/common';
import {
  conversationsResponseSchema,
  handoffBody,
  handoffResponse,
  historyQuery,
  historyResponseSchema,
  chatWorkflowsResponse,
  workflowsQuery,
  linkPatientBody,
  linkPatientResponse,
  recentConversationsQuery,
  statsResponseSchema,
} from '../schemas/conversations';
import type { RouteContext } from './context';

const errors = {
  400: { description: 'Invalid chat id, query or body', schema: errorBodySchema },
  401: { description: 'Missing or invalid API key', schema: errorBodySchema },
  404: { description: 'Chat unknown (in that session)', schema: errorBodySchema },
};

/**
 * The chat a write applies to: `?session=` picks one; without it the chat must exist in exactly one
 * session (a chat id can exist in several WhatsApp sessions).
 */
async function resolveChat(
  repo: IConversationRepository,
  chatId: string,
  session?: string,
): Promise<ChatSessionRecord> {
  if (session !== undefined) {
    const chat = await repo.getChatSession(session, chatId);
    if (chat === null) throw notFound('chat unknown in this session');
    return chat;
  }
  const chats = await repo.findChatSessions(chatId);
  const [first] = chats;
  if (first === undefined) throw notFound('chat unknown');
  if (chats.length > 1) {
    throw new AppError(409, 'AMBIGUOUS_CHAT', 'the chat exists in several sessions: pass ?session=', {
      sessions: chats.map((c) => c.session),
    });
  }
  return first;
}

export function conversationRoutes({ deps, gateway }: RouteContext): RouteDef[] {
  const { repo, config } = deps;
  const ambiguous = {
    409: { description: 'Chat exists in several sessions: pass ?session=', schema: errorBodySchema },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/conversations',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'read',
      summary: 'Recent chat sessions, most recent first',
      request: { query: recentConversationsQuery },
      responses: {
        200: { description: 'Chats', schema: conversationsResponseSchema },
        400: errors[400],
        401: errors[401],
      },
      async handler(ctx, { query }) {
        ctx.body = { conversations: await repo.getRecentConversations({ since: query.since, limit: query.limit }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/conversations/:chatId/messages',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'read',
      summary: 'Message history of a chat, newest last',
      request: { params: chatParams, query: historyQuery },
      responses: { 200: { description: 'History', schema: historyResponseSchema }, ...errors },
      async handler(ctx, { params, query }) {
        if (query.session !== undefined) await resolveChat(repo, params.chatId, query.session);
        else if ((await repo.findChatSessions(params.chatId)).length === 0) throw notFound('chat unknown');
        const messages = await repo.getHistory({
          chatId: params.chatId,
          session: query.session,
          limit: query.limit,
          before: query.before,
        });
        ctx.body = { chatId: params.chatId, messages };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/conversations/:chatId/workflows',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'read',
      summary: "A chat's workflows (its conversation and its recent messages' workflows) with Web UI links",
      description:
        'With TEMPORAL_PAYLOAD_KEY set, workflow ids are keyed pseudonyms that carry no phone number: this is ' +
        "how an operator finds a chat's workflows in the Temporal Web UI.",
      request: { params: chatParams, query: workflowsQuery },
      responses: {
        200: { description: 'Workflow ids and links', schema: chatWorkflowsResponse },
        ...errors,
        ...ambiguous,
      },
      async handler(ctx, { params, query }) {
        const chat = await resolveChat(repo, params.chatId, query.session);
        const link = (workflowId: string) => ({
          workflowId,
          url: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
        });
        const history = await repo.getHistory({ session: chat.session, chatId: chat.chatId, limit: query.limit });
        ctx.body = {
          session: chat.session,
          chatId: chat.chatId,
          conversation: link(gateway.ids.conversation(chat.session, chat.chatId)),
          messages: history
            .filter((m) => m.direction === 'inbound')
            .map((m) => ({
              messageId: m.messageId,
              at: m.timestamp.toISOString(),
              ...link(gateway.ids.inbound(chat.session, m.messageId)),
            })),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/conversations/:chatId/stats',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'read',
      summary: 'Counts by direction/type/status, first/last message, response-time median and p90',
      request: { params: chatParams },
      responses: { 200: { description: 'Statistics', schema: statsResponseSchema }, ...errors },
      async handler(ctx, { params }) {
        if ((await repo.findChatSessions(params.chatId)).length === 0) throw notFound('chat unknown');
        ctx.body = await repo.getStats(params.chatId);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/conversations/:chatId/patient',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'admin',
      summary: 'Link the chat to a patient record',
      request: { params: chatParams, query: optionalSessionQuery, body: linkPatientBody },
      responses: {
        200: { description: 'Linked', schema: linkPatientResponse },
        ...errors,
        ...ambiguous,
        503: { description: 'Temporal unreachable; nothing changed', schema: errorBodySchema },
      },
      async handler(ctx, { params, query, body }) {
        const chat = await resolveChat(repo, params.chatId, query.session);
        await gateway.signalPatientLinked(chat.session, chat.chatId, body.patientId);
        await repo.linkPatient(chat.session, chat.chatId, body.patientId);
        ctx.body = { session: chat.session, chatId: chat.chatId, patientId: body.patientId };
      },
    }),
    ...(['handoff', 'resume'] as const).map((action) =>
      defineRoute({
        method: 'post',
        path: `/api/conversations/:chatId/${action}`,
        tag: 'conversations',
        auth: 'api-key',
        scope: 'admin',
        summary:
          action === 'handoff'
            ? 'A human takes the chat over: the assistant stops replying'
            : 'Give the chat back to the assistant',
        request: { params: chatParams, query: optionalSessionQuery, body: handoffBody },
        responses: {
          200: { description: 'Done', schema: handoffResponse },
          ...errors,
          ...ambiguous,
          503: { description: 'Temporal unreachable; nothing changed', schema: errorBodySchema },
        },
        async handler(ctx, { params, query, body }) {
          const chat = await resolveChat(repo, params.chatId, query.session);
          const by = body?.by ?? `api:${stateOf(ctx).apiKeyId ?? 'anonymous'}`;
          await gateway.signalHandoff(chat.session, chat.chatId, { action, by });
          const status = action === 'handoff' ? 'handoff' : 'active';
          await repo.setChatStatus(chat.session, chat.chatId, status);
          // Back with the assistant: the chat's escalation leaves the console inbox (who and when are kept).
          if (action === 'resume') {
            await repo.resolveEscalations({ session: chat.session, chatId: chat.chatId, by, at: new Date() });
          }
          ctx.body = {
            session: chat.session,
            chatId: chat.chatId,
            status,
            workflowId: gateway.ids.conversation(chat.session, chat.chatId),
          };
        },
      }),
    ),
  ] as RouteDef[];
}
