/**
 * The non-durable anchor of the benchmark: webhook → database → triage → send, with no Temporal. Same
 * repository, medical core and WPPConnect client as the pipeline, and the same per-chat order and
 * QUIET_WINDOW_MS coalescing, but all of it in memory: a crash here loses whatever was in flight. It only
 * exists to show what the durable pipeline costs.
 */
import Koa from 'koa';
import { turnText } from '../../activities/message-activities';
import { ackToStatus, type IConversationRepository } from '../../db/types';
import type { MedicalCore } from '../../triage/types';
import { widToString } from '../../wppconnect/ids';
import { isPatientMessage, toInboundMessage } from '../../wppconnect/normalize';
import { parseWebhookEvent } from '../../wppconnect/schemas';
import type { IWhatsAppService } from '../../wppconnect/types';

export interface DirectReceiverDeps {
  repo: IConversationRepository;
  medicalCore: MedicalCore;
  wpp: IWhatsAppService;
  webhookToken: string;
  quietWindowMs: number;
  /** Errors of background turns (there is nobody to retry them). */
  onError?: (err: unknown) => void;
}

interface ChatQueue {
  pending: string[];
  timer?: NodeJS.Timeout;
  /** The chat's turns run one after another. */
  tail: Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

async function readJson(req: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(buf);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

export function createDirectReceiver(deps: DirectReceiverDeps): Koa {
  const { repo, medicalCore, wpp } = deps;
  const chats = new Map<string, ChatQueue>();

  const reply = async (session: string, chatId: string, messageIds: string[]): Promise<void> => {
    const history = await repo.getHistory({ session, chatId, limit: 30 });
    const assessment = await medicalCore.assess({
      messages: history
        .filter((m) => m.deliveryStatus !== 'failed')
        .map((m) => ({
          role: m.direction === 'inbound' ? 'patient' : 'assistant',
          text: turnText(m),
          at: m.timestamp.toISOString(),
        })),
    });
    const sent = await wpp.sendText(session, { to: chatId, text: assessment.reply });
    await repo.logMessage({
      session,
      chatId,
      messageId: sent.messageId,
      timestamp: new Date(),
      direction: 'outbound',
      senderType: 'assistant',
      messageType: 'text',
      content: assessment.reply,
      metadata: { inReplyTo: messageIds, triageLevel: assessment.triageLevel },
      deliveryStatus: 'sent',
    });
  };

  const arrived = (session: string, chatId: string, messageId: string): void => {
    const key = `${session}\u0000${chatId}`;
    let q = chats.get(key);
    if (!q) {
      q = { pending: [], tail: Promise.resolve() };
      chats.set(key, q);
    }
    const queue = q;
    queue.pending.push(messageId);
    clearTimeout(queue.timer);
    queue.timer = setTimeout(() => {
      const burst = queue.pending.splice(0);
      queue.tail = queue.tail.then(() => reply(session, chatId, burst)).catch((err: unknown) => deps.onError?.(err));
    }, deps.quietWindowMs);
  };

  const app = new Koa();
  app.use(async (ctx) => {
    const match = /^\/webhook\/([^/]+)$/.exec(ctx.path);
    if (ctx.method === 'GET' && ctx.path === '/health') {
      ctx.body = { ok: true };
      return;
    }
    if (ctx.method !== 'POST' || !match || decodeURIComponent(match[1] ?? '') !== deps.webhookToken) {
      ctx.status = 404;
      return;
    }
    const parsed = parseWebhookEvent(await readJson(ctx.req));
    if (!parsed.ok) {
      ctx.status = 400;
      ctx.body = { issues: parsed.issues };
      return;
    }
    const event = parsed.event;
    const session = event.session;
    if (session === undefined) {
      ctx.body = { ignored: true };
      return;
    }
    if (event.event === 'onmessage' && isPatientMessage(event)) {
      const { message } = toInboundMessage(event, session);
      const { created } = await repo.logMessage({
        session,
        chatId: message.chatId,
        messageId: message.messageId,
        timestamp: new Date(message.sentAt),
        direction: 'inbound',
        senderType: 'patient',
        senderId: message.senderId,
        senderName: message.senderName ?? null,
        messageType: message.messageType,
        content: message.text ?? null,
        deliveryStatus: 'received',
      });
      if (created) arrived(session, message.chatId, message.messageId);
      ctx.status = created ? 202 : 200;
      ctx.body = { duplicate: !created };
      return;
    }
    if (event.event === 'onack') {
      const messageId = widToString(event.id);
      if (messageId !== undefined) {
        await repo.recordDeliveryEvent({
          session,
          messageId,
          status: ackToStatus(event.ack),
          ack: event.ack,
          source: 'webhook',
          at: new Date(),
        });
      }
      ctx.body = { recorded: true };
      return;
    }
    ctx.body = { ignored: true };
  });
  return app;
}
