import type { Context, Middleware } from 'koa';
import type { WorkflowIds } from '../../contracts';
import { type Logger, maskDigits } from '../../observability/logger';
import { toRecipientFields } from '../../wppconnect/ids';
import { stateOf } from '../route';
import { chatIdOf } from '../schemas/common';
import { mapError } from './error-handler';

/** More chats than this in one answer are counted, not listed (a search page holds at most 100). */
const MAX_LISTED_CHATS = 100;

type Chat = { session?: string; chatId: string };

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
    ? (value as Record<string, unknown>)
    : undefined;

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function chatOf(value: unknown): Chat | undefined {
  const item = record(value);
  const chatId = asString(item?.chatId);
  return chatId === undefined ? undefined : { session: asString(item?.session), chatId };
}

/**
 * The chats a request touched: the chat in its path or query, the recipient of a send, and every chat
 * in the answer (a history, a search page, a list of conversations, one chat's record).
 */
export function chatsOfRequest(input: unknown, responseBody: unknown): Chat[] {
  const parts = record(input) ?? {};
  const params = record(parts.params);
  const query = record(parts.query);
  const body = record(parts.body);
  const session = asString(query?.session) ?? asString(body?.session);
  const chats: Chat[] = [];
  for (const chatId of [asString(params?.chatId), asString(query?.chatId)]) {
    if (chatId !== undefined) chats.push({ session, chatId });
  }
  const to = asString(body?.to);
  const recipient = to === undefined ? null : toRecipientFields(to);
  if (recipient !== null) chats.push({ session, chatId: chatIdOf(recipient) });
  const answer = record(responseBody);
  if (answer !== undefined) {
    const own = chatOf(answer);
    if (own !== undefined) chats.push({ session: own.session ?? session, chatId: own.chatId });
    for (const list of [answer.items, answer.messages, answer.conversations]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const chat = chatOf(item);
        if (chat !== undefined) chats.push({ session: chat.session ?? session, chatId: chat.chatId });
      }
    }
  }
  return chats;
}

/**
 * The access log that audits ask for: one `data access` line per request made with an API key, after it
 * was authenticated, with the key's id, the route pattern, the outcome and the pseudonyms of the chats it
 * touched (WorkflowIds.chatAttribute: keyed with a payload key, never a phone number then). The line is
 * written whether the request succeeded or not: a refused read is part of the trail (its chats are those
 * of the request as far as it was read).
 */
export function auditAccess(logger: Logger, ids: WorkflowIds, defaultSession: string): Middleware {
  const pseudonyms = (ctx: Context): string[] => {
    const state = stateOf(ctx);
    const seen = new Set<string>();
    for (const chat of chatsOfRequest(state.input, ctx.body)) {
      const attribute = ids.chatAttribute(chat.session ?? defaultSession, chat.chatId);
      // Readable ids (no payload key) carry the phone number: only its last digits go to the log then.
      seen.add(ids.pseudonymous ? attribute : maskDigits(attribute));
    }
    return [...seen];
  };
  const write = (ctx: Context, status: number): void => {
    const state = stateOf(ctx);
    const chats = pseudonyms(ctx);
    logger.info(
      {
        audit: 'data-access',
        requestId: state.requestId,
        keyId: state.apiKeyId,
        method: ctx.method,
        route: state.route,
        status,
        chats: chats.slice(0, MAX_LISTED_CHATS),
        ...(chats.length > MAX_LISTED_CHATS ? { chatCount: chats.length } : {}),
      },
      'data access',
    );
  };
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      write(ctx, mapError(err).status);
      throw err;
    }
    write(ctx, ctx.status);
  };
}
