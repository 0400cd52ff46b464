import type Router from '@koa/router';
import type { Context } from 'koa';
import { badRequest } from '../../api/errors';
import { deriveRequestId } from '../../api/outbound';
import type { OutboundRequest } from '../../contracts';
import type { ChatSessionRecord } from '../../db/types';
import { consoleState } from '../auth';
import { actor, type ConsoleContext, type Named } from '../context';
import { formBody } from '../form';
import { acknowledgeForm, patientForm, replyForm, sessionRouteParams } from '../schemas';
import { chatPath } from '../views/parts';
import { requireActionSession, requireCsrf } from './guards';
import { chatOf } from './pages';

/** How long the page waits for the keeper's answer before saying the restart was requested. */
const RESTART_WAIT_MS = 10_000;

/**
 * What an operator does from the console. Each action goes the way the REST API's goes (Temporal first, then
 * the database), attributed to `console:<username>`, and answers with a redirect back to the page (303).
 */
export function actionRoutes(c: ConsoleContext, router: Router, named: Named): void {
  const guarded = [requireActionSession, formBody(), requireCsrf];

  const back = (ctx: Context, chat: ChatSessionRecord, done: string, anchor = ''): void => {
    ctx.status = 303;
    ctx.redirect(`${chatPath(chat.session, chat.chatId)}?done=${done}${anchor}`);
  };
  /** Actions on a chat need its WhatsApp session to be one this deployment runs. */
  const configuredChat = async (ctx: Context): Promise<ChatSessionRecord> => {
    const chat = await chatOf(c, ctx);
    if (!c.config.wppconnect.sessions.includes(chat.session)) {
      throw badRequest('UNKNOWN_SESSION', 'the chat belongs to a WhatsApp session that is not configured');
    }
    return chat;
  };
  const form = (ctx: Context): Record<string, string> => consoleState(ctx).form ?? {};
  const chatRoute = (action: string) => `/chats/:session/:chatId/${action}`;
  const name = (action: string) => named(`/console/chats/:session/:chatId/${action}`);

  router.post(chatRoute('reply'), name('reply'), ...guarded, async (ctx) => {
    const chat = await configuredChat(ctx);
    const { text, requestKey } = replyForm.parse(form(ctx));
    const operator = consoleState(ctx).session?.operator;
    const by = actor(ctx);
    // The form's key makes a double click or a resubmitted form one request: the conversation drops repeats.
    const requestId = deriveRequestId(by, requestKey);
    if ((await c.repo.getOutboundRequest(requestId)) === null) {
      const request: OutboundRequest = {
        requestId,
        session: chat.session,
        chatId: chat.chatId,
        type: 'text',
        text,
        requestedBy: by,
        senderType: 'human',
        senderName: operator?.displayName,
      };
      // Temporal first: the row is written only once the conversation took the signal.
      const workflowId = await c.gateway.sendMessage(request);
      await c.repo.createOutboundRequest({ requestId, session: chat.session, chatId: chat.chatId, workflowId });
    }
    back(ctx, chat, 'replied', '#composer');
  });

  router.post(chatRoute('takeover'), name('takeover'), ...guarded, async (ctx) => {
    const chat = await configuredChat(ctx);
    await c.gateway.signalHandoff(chat.session, chat.chatId, { action: 'handoff', by: actor(ctx) });
    // An escalated chat stays escalated (first in the inbox) until it is handed back.
    if (chat.status !== 'escalated') await c.repo.setChatStatus(chat.session, chat.chatId, 'handoff');
    back(ctx, chat, 'takeover');
  });

  router.post(chatRoute('handback'), name('handback'), ...guarded, async (ctx) => {
    const chat = await configuredChat(ctx);
    const by = actor(ctx);
    await c.gateway.signalHandoff(chat.session, chat.chatId, { action: 'resume', by });
    await c.repo.setChatStatus(chat.session, chat.chatId, 'active');
    await c.repo.resolveEscalations({ session: chat.session, chatId: chat.chatId, by, at: new Date(c.now()) });
    back(ctx, chat, 'handback');
  });

  router.post(chatRoute('acknowledge'), name('acknowledge'), ...guarded, async (ctx) => {
    const chat = await chatOf(c, ctx);
    const { note } = acknowledgeForm.parse(form(ctx));
    const record = await c.repo.acknowledgeEscalation({
      session: chat.session,
      chatId: chat.chatId,
      by: actor(ctx),
      at: new Date(c.now()),
      ...(note ? { note } : {}),
    });
    back(ctx, chat, record ? 'acknowledged' : 'no-escalation');
  });

  router.post(chatRoute('patient'), name('patient'), ...guarded, async (ctx) => {
    const chat = await configuredChat(ctx);
    const { patientId } = patientForm.parse(form(ctx));
    await c.gateway.signalPatientLinked(chat.session, chat.chatId, patientId);
    await c.repo.linkPatient(chat.session, chat.chatId, patientId);
    back(ctx, chat, 'linked');
  });

  router.post('/sessions/:session/restart', named('/console/sessions/:session/restart'), ...guarded, async (ctx) => {
    const { session } = sessionRouteParams.parse((ctx as Context & { params?: Record<string, string> }).params ?? {});
    if (!c.config.wppconnect.sessions.includes(session)) {
      throw badRequest('UNKNOWN_SESSION', 'session is not configured');
    }
    // The keeper's restartSession update says what happened (as POST /api/sessions/:session/restart does).
    const result = await c.gateway.restartSession(session, actor(ctx), RESTART_WAIT_MS);
    if (result === null) await c.gateway.signalSessionEvent(session, { type: 'restart-requested', by: actor(ctx) });
    const done =
      result === null || 'pending' in result || result.start === 'requested'
        ? 'restart'
        : result.start === 'scheduled'
          ? 'restart-scheduled'
          : 'restart-failed';
    ctx.status = 303;
    ctx.redirect(`/console/sessions?done=${done}`);
  });
}
