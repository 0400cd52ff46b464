import type { Context } from 'koa';
import { ackToStatus, type SessionEventSignal } from '../../contracts';
import { widToString } from '../../wppconnect/ids';
import { isPatientMessage, isStaffMessage, toInboundMessage } from '../../wppconnect/normalize';
import type { MessageWebhookEvent, OnAckEvent, WebhookEvent } from '../../wppconnect/schemas';
import { badRequest } from '../errors';
import { defineRoute, type RouteDef, type RouteRequest } from '../route';
import { errorBodySchema } from '../schemas/common';
import {
  webhookBodySchema,
  webhookResponseSchema,
  webhookSessionParams,
  webhookTokenParams,
  webhookTokenQuery,
} from '../schemas/webhook';
import type { RouteContext } from './context';

/**
 * POST /api/webhook[/:token]: WPPConnect events. WPPConnect never retries, so a 2xx means "durable":
 * an incoming message gets 2xx only once its chat's conversation workflow has taken it (one
 * signal-with-start).
 */
export function webhookRoutes({ deps, gateway, metrics }: RouteContext): RouteDef[] {
  const { config, mediaStore, repo } = deps;
  const sessions = config.wppconnect.sessions;
  const count = (event: string, outcome: string) => metrics.webhookEvents.inc({ event, outcome });

  /** The session named by the webhook URL wins: some events carry no `session` field (wppconnect/CONTRACT.md §5.1). */
  const resolveSession = (event: WebhookEvent, urlSession?: string): string => {
    if (urlSession !== undefined && event.session !== undefined && event.session !== urlSession) {
      throw badRequest('UNKNOWN_SESSION', 'the event names another session than its webhook URL');
    }
    const session = urlSession ?? event.session ?? (sessions.length === 1 ? sessions[0] : undefined);
    if (session === undefined) {
      throw badRequest('UNKNOWN_SESSION', 'the event names no session and several sessions are configured');
    }
    if (!sessions.includes(session))
      throw badRequest('UNKNOWN_SESSION', 'the event is for a session not configured here');
    return session;
  };

  const onMessage = async (ctx: Context, event: MessageWebhookEvent, session: string): Promise<void> => {
    // A message typed on the clinic's phone is a human reply; our own sends come back the same way.
    const staff = isStaffMessage(event);
    if (!staff && !isPatientMessage(event)) {
      count(event.event, 'ignored');
      ctx.body = { ignored: true };
      return;
    }
    const { message, mediaBase64 } = toInboundMessage(event, session);
    if (staff && message.isGroup) {
      count(event.event, 'ignored');
      ctx.body = { ignored: true };
      return;
    }
    const workflowId = gateway.ids.conversation(session, message.chatId);
    const messageWorkflowId = gateway.ids.inbound(session, message.messageId);
    if (await repo.hasMessage(session, message.messageId)) {
      // Recorded already: a duplicate webhook, or one of our own sends echoed back.
      metrics.duplicates.inc({ kind: 'webhook-message' });
      count(event.event, 'duplicate');
      ctx.status = 200;
      ctx.body = { workflowId, messageWorkflowId, duplicate: true };
      return;
    }
    if (message.contactPhone === undefined && !message.isGroup && deps.contacts) {
      // An @lid sender: its phone number (cached) lets patient matching by phone work.
      const phone = await deps.contacts.phoneFor(session, message.chatId);
      if (phone !== undefined) message.contactPhone = phone;
    }
    let stagingName: string | undefined;
    if (mediaBase64 !== undefined) {
      // MediaError → 413 (too large) or 400 (type/encoding), before anything is started.
      stagingName = await mediaStore.stage(mediaBase64, message.mimetype ?? 'application/octet-stream');
      message.media = { source: 'staged', stagingName };
    }
    try {
      await gateway.deliverInbound({ message, receivedVia: 'webhook' });
    } catch (err) {
      if (stagingName !== undefined) await mediaStore.discardStaged(stagingName);
      count(event.event, 'failed');
      throw err;
    }
    count(event.event, 'accepted');
    ctx.status = 202;
    ctx.body = { workflowId, messageWorkflowId, duplicate: false };
  };

  const onAck = async (ctx: Context, event: OnAckEvent, session: string): Promise<void> => {
    const messageId = widToString(event.id);
    const fromMe = typeof event.id === 'string' ? event.id.startsWith('true_') : event.id.fromMe === true;
    // Acks of patients' messages are WhatsApp noise for us: only receipts of what we sent matter.
    if (!fromMe || messageId === undefined) {
      count('onack', 'ignored');
      ctx.body = { ignored: true };
      return;
    }
    const status = ackToStatus(event.ack);
    const result = await repo.recordDeliveryEvent({
      session,
      messageId,
      status,
      ack: event.ack,
      source: 'webhook',
      at: new Date(),
    });
    // Only a failed reply changes what the conversation does (an escalated chat alerts at once); the
    // database has every status, and the session keeper's delivery watch handles lost acks.
    let signalled = false;
    if (status === 'failed' && result.changed) {
      const message = await repo.getMessage(session, messageId);
      if (message) signalled = await gateway.signalAck(session, message.chatId, { messageId, ack: event.ack, status });
    }
    count('onack', 'recorded');
    ctx.body = { recorded: true, status, signalled };
  };

  const onSessionEvent = async (ctx: Context, name: string, session: string, signal: SessionEventSignal) => {
    try {
      const workflowId = await gateway.signalSessionEvent(session, signal);
      count(name, 'signalled');
      ctx.body = { workflowId, signalled: true };
    } catch (err) {
      count(name, 'failed');
      throw err;
    }
  };

  const handle = async (ctx: Context, event: WebhookEvent, urlSession?: string): Promise<void> => {
    const session = resolveSession(event, urlSession);
    switch (event.event) {
      case 'onmessage':
      case 'unreadmessages':
      case 'onselfmessage':
        return onMessage(ctx, event, session);
      case 'onack':
        return onAck(ctx, event, session);
      case 'status-find':
        return onSessionEvent(ctx, event.event, session, { type: 'status-find', status: event.status });
      case 'qrcode':
        return onSessionEvent(ctx, event.event, session, { type: 'qrcode' });
      case 'phoneCode':
        return onSessionEvent(ctx, event.event, session, { type: 'phone-code' });
      case 'closesession':
      case 'logoutsession':
        return onSessionEvent(ctx, event.event, session, { type: 'closed', event: event.event });
      default:
        // One label for every event we do not act on: names come from outside and must not grow /metrics.
        count('other', 'ignored');
        ctx.body = { ignored: true };
    }
  };

  const common = {
    method: 'post' as const,
    tag: 'webhook',
    auth: 'webhook' as const,
    rateLimited: false,
    // Media arrive as base64 inside the JSON: 4/3 of the file plus the message fields.
    bodyLimitBytes: Math.ceil(config.media.maxBytes * 1.4),
    responses: {
      200: {
        description: 'Duplicate message, ack recorded, session event signalled, or event ignored',
        schema: webhookResponseSchema,
      },
      202: {
        description: "Incoming message accepted: its chat's conversation has it (durable)",
        schema: webhookResponseSchema,
      },
      400: { description: 'Not JSON, invalid event, or unknown session', schema: errorBodySchema },
      401: { description: 'Missing or wrong webhook token', schema: errorBodySchema },
      413: { description: 'Body or media over the limit', schema: errorBodySchema },
      503: { description: 'Temporal or the database unreachable; nothing was started', schema: errorBodySchema },
    },
  };
  const request = <R extends RouteRequest>(r: R) => r;
  return [
    defineRoute({
      ...common,
      path: '/api/webhook',
      summary: 'WPPConnect webhook (token in ?token= or Authorization: Bearer)',
      request: request({ query: webhookTokenQuery, body: webhookBodySchema }),
      handler: (ctx, input) => handle(ctx, input.body),
    }),
    defineRoute({
      ...common,
      path: '/api/webhook/:token',
      summary: 'WPPConnect webhook with the token as a path segment (the URL given to start-session)',
      request: request({ params: webhookTokenParams, query: webhookTokenQuery, body: webhookBodySchema }),
      handler: (ctx, input) => handle(ctx, input.body),
    }),
    defineRoute({
      ...common,
      path: '/api/webhook/:session/:token',
      summary:
        "WPPConnect webhook of one session, the URL the keeper gives start-session: events without a `session` field are that session's",
      request: request({ params: webhookSessionParams, query: webhookTokenQuery, body: webhookBodySchema }),
      handler: (ctx, input) => handle(ctx, input.body, input.params.session),
    }),
  ] as RouteDef[];
}
