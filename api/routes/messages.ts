import { isForwardMove } from '../../db/types';
import { safeDisplayFilename } from '../../media/store';
import type { OutboundRequest } from '../../contracts';
import { toRecipientFields } from '../../wppconnect/ids';
import { badRequest, conflict, notFound } from '../errors';
import { deriveRequestId, payloadHash, resolveOutboundMime } from '../outbound';
import { defineRoute, type RouteDef, stateOf } from '../route';
import { chatIdOf, errorBodySchema } from '../schemas/common';
import {
  idempotencyHeaders,
  outboundStatusSchema,
  requestIdParams,
  sendMessageBodySchema,
  sendMessageResponseSchema,
} from '../schemas/messages';
import type { RouteContext } from './context';

export function messageRoutes({ deps, gateway, metrics }: RouteContext): RouteDef[] {
  const { config, repo, mediaStore } = deps;

  const send = defineRoute({
    method: 'post',
    path: '/api/messages',
    tag: 'messages',
    auth: 'api-key',
    scope: 'send',
    summary: 'Send a text, image or document to a chat',
    description:
      'Idempotent by Idempotency-Key (per API key): a replay with the same body answers 200 with the same ' +
      'requestId and sends nothing; the same key with a different body answers 409.',
    bodyLimitBytes: Math.ceil(config.media.maxBytes * 1.4),
    request: { headers: idempotencyHeaders, body: sendMessageBodySchema },
    responses: {
      202: { description: 'Accepted: the conversation workflow will send it', schema: sendMessageResponseSchema },
      200: { description: 'Replay of an Idempotency-Key already accepted', schema: sendMessageResponseSchema },
      400: { description: 'Invalid body, recipient, media type or session', schema: errorBodySchema },
      401: { description: 'Missing or invalid API key', schema: errorBodySchema },
      409: { description: 'Idempotency-Key reused with a different body', schema: errorBodySchema },
      413: { description: 'Body or media over the limit', schema: errorBodySchema },
      429: { description: 'Rate limited', schema: errorBodySchema },
      503: { description: 'Temporal or the database unreachable; nothing was sent', schema: errorBodySchema },
    },
    async handler(ctx, { headers, body }) {
      const keyId = stateOf(ctx).apiKeyId ?? 'anonymous';
      const session = body.session ?? config.wppconnect.sessions[0] ?? '';
      if (!config.wppconnect.sessions.includes(session)) {
        throw badRequest('UNKNOWN_SESSION', 'session is not one of the configured WhatsApp sessions');
      }
      const recipient = toRecipientFields(body.to);
      if (recipient === null) throw badRequest('INVALID_RECIPIENT', 'invalid recipient');
      const chatId = chatIdOf(recipient);
      const requestId = deriveRequestId(keyId, headers['idempotency-key']);
      const hash = payloadHash(body);

      const replay = (record: { payloadHash: string | null; workflowId: string }) => {
        if (record.payloadHash !== null && record.payloadHash !== hash) {
          throw conflict('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
        }
        metrics.duplicates.inc({ kind: 'api-message' });
        ctx.status = 200;
        ctx.body = { requestId, workflowId: record.workflowId, duplicate: true };
      };

      const existing = await repo.getOutboundRequest(requestId);
      if (existing !== null) return replay(existing);

      const request: OutboundRequest = {
        requestId,
        session,
        chatId,
        type: body.type,
        requestedBy: `api:${keyId}`,
        // Recorded as a person's message (and, with HUMAN_REPLY_PAUSES_BOT, pausing the assistant) only when asked.
        senderType: body.as ?? 'system',
        ...(body.as === 'human' && body.senderName !== undefined ? { senderName: body.senderName } : {}),
      };
      if (body.text !== undefined) request.text = body.text;
      if (body.caption !== undefined) request.caption = body.caption;
      if (body.type !== 'text' && body.mediaBase64 !== undefined) {
        const mimetype = resolveOutboundMime(body.type, body.mediaBase64, body.mimetype);
        request.mimetype = mimetype;
        request.mediaFile = await mediaStore.saveOutbound({ base64: body.mediaBase64, mimetype });
        if (body.type === 'document') request.filename = safeDisplayFilename(body.filename, 'bin');
      }

      // Temporal first: the row is written only once the conversation took the signal.
      let workflowId: string;
      try {
        workflowId = await gateway.sendMessage(request);
      } catch (err) {
        // Nothing half-done: a request Temporal did not take leaves no media file behind.
        if (request.mediaFile !== undefined) await mediaStore.discardOutbound(request.mediaFile);
        throw err;
      }
      const { record, created } = await repo.createOutboundRequest({
        requestId,
        session,
        chatId,
        workflowId,
        payloadHash: hash,
      });
      // A concurrent identical request won the insert; the conversation de-duplicates the signal. A row
      // without a hash was written by the worker, which can get there first: this request is the original.
      if (!created && record.payloadHash !== null) return replay(record);
      ctx.status = 202;
      ctx.body = { requestId, workflowId };
    },
  });

  const status = defineRoute({
    method: 'get',
    path: '/api/messages/:requestId',
    tag: 'messages',
    auth: 'api-key',
    scope: 'send',
    summary: 'Status of an outbound request: pending, sent, delivered, read or failed (+ reason)',
    request: { params: requestIdParams },
    responses: {
      200: { description: 'The request', schema: outboundStatusSchema },
      400: { description: 'Malformed requestId', schema: errorBodySchema },
      401: { description: 'Missing or invalid API key', schema: errorBodySchema },
      404: { description: 'No such request', schema: errorBodySchema },
    },
    async handler(ctx, { params }) {
      const record = await repo.getOutboundRequest(params.requestId);
      if (record === null) throw notFound('no outbound request with this id');
      const { payloadHash: _hash, ...visible } = record;
      // Acks keep arriving after the sending workflow finished (read receipts): the message row has the latest.
      const message = record.messageId ? await repo.getMessage(record.session, record.messageId) : null;
      const latest = message?.deliveryStatus;
      if (latest && latest !== 'received' && latest !== 'pending' && isForwardMove(visible.status, latest)) {
        visible.status = latest;
      }
      ctx.body = visible;
    },
  });

  return [send, status] as RouteDef[];
}
