import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../api/errors';
import type { ChatSessionRecord } from '../../db/types';
import { type ConsoleContext, isPartial, sendHtml, viewOf, type Named } from '../context';
import { loadChat, loadInbox, loadSessionCard } from '../data';
import { chatQuery, chatRouteParams, searchForm } from '../schemas';
import { fmt, type Strings } from '../strings';
import { chatHistory, chatPage, chatPanel } from '../views/chat';
import { inboxLists, inboxPage } from '../views/inbox';
import { searchPage, type SearchForm } from '../views/search';
import { sessionCards, sessionsPage } from '../views/sessions';
import { requirePage } from './guards';

/** Messages shown after an action (the action redirects here with `?done=`). */
function doneText(t: Strings, done: string | undefined, chat?: ChatSessionRecord): string | undefined {
  switch (done) {
    case 'replied':
      return t.replyQueued;
    case 'takeover':
      return t.tookOver;
    case 'handback':
      return t.handedBack;
    case 'acknowledged':
      return t.acknowledged;
    case 'no-escalation':
      return t.noOpenEscalation;
    case 'linked':
      return chat?.patientId ? fmt(t.patientLinked, { id: chat.patientId }) : undefined;
    case 'restart':
      return t.restartRequested;
    case 'restart-scheduled':
      return t.restartScheduled;
    case 'restart-failed':
      return t.restartFailed;
    default:
      return undefined;
  }
}

/** The chat a console URL names (404 when unknown). */
export async function chatOf(c: ConsoleContext, ctx: Context): Promise<ChatSessionRecord> {
  const params = chatRouteParams.parse((ctx as Context & { params?: Record<string, string> }).params ?? {});
  const chat = await c.repo.getChatSession(params.session, params.chatId);
  if (chat === null) throw new AppError(404, 'CHAT_NOT_FOUND', 'chat unknown');
  return chat;
}

export function pageRoutes(c: ConsoleContext, router: Router, named: Named): void {
  router.get('/inbox', named('/console/inbox'), requirePage, async (ctx) => {
    const view = await loadInbox(c.repo, c.operators);
    const v = await viewOf(c, ctx, { count: !isPartial(ctx) });
    sendHtml(ctx, isPartial(ctx) ? inboxLists(v, view) : inboxPage(v, view));
  });

  router.get('/chats/:session/:chatId', named('/console/chats/:session/:chatId'), requirePage, async (ctx) => {
    const chat = await chatOf(c, ctx);
    const query = chatQuery.parse(ctx.query);
    const view = await loadChat(c, chat, {
      before: query.before ? new Date(query.before) : undefined,
      configured: c.config.wppconnect.sessions.includes(chat.session),
      requestKey: randomBytes(18).toString('base64url'),
    });
    const v = await viewOf(c, ctx, { count: query.partial === undefined });
    if (query.partial === 'history') return sendHtml(ctx, chatHistory(v, view));
    if (query.partial === 'panel') return sendHtml(ctx, chatPanel(v, view));
    sendHtml(ctx, chatPage(v, { ...view, done: doneText(v.t, query.done, chat) }));
  });

  router.get('/sessions', named('/console/sessions'), requirePage, async (ctx) => {
    const sessions = await Promise.all(c.config.wppconnect.sessions.map((s) => loadSessionCard(c, s)));
    const v = await viewOf(c, ctx, { count: !isPartial(ctx) });
    if (isPartial(ctx)) return sendHtml(ctx, sessionCards(v, { sessions }));
    const done = typeof ctx.query.done === 'string' ? doneText(v.t, ctx.query.done) : undefined;
    sendHtml(ctx, sessionsPage(v, { sessions, done }));
  });

  router.get('/search', named('/console/search'), requirePage, async (ctx) => {
    const v = await viewOf(c, ctx);
    const raw = ctx.query as Record<string, string | string[] | undefined>;
    const text = (name: string): string | undefined => (typeof raw[name] === 'string' ? raw[name] : undefined);
    const form: SearchForm = {
      q: text('q'),
      chatId: text('chatId'),
      senderType: text('senderType'),
      messageType: text('messageType'),
      from: text('from'),
      to: text('to'),
      tz: text('tz'),
    };
    if (!form.q) return sendHtml(ctx, searchPage(v, { form }));
    const parsed = searchForm.safeParse(ctx.query);
    if (!parsed.success) return sendHtml(ctx, searchPage(v, { form, error: v.t.errorInvalid }), 400);
    const q = parsed.data;
    const limit = 20;
    const offset = q.offset ?? 0;
    const offsetMs = (q.tz ?? 0) * 60_000;
    const asUtc = (local: string | undefined) =>
      local ? new Date(Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`) - offsetMs) : undefined;
    const result = await c.repo.search({
      q: q.q ?? '',
      chatId: q.chatId,
      senderType: q.senderType,
      messageType: q.messageType,
      from: asUtc(q.from),
      to: asUtc(q.to),
      limit,
      offset,
    });
    sendHtml(ctx, searchPage(v, { form, result: { ...result, offset, limit } }));
  });
}
