/**
 * Every file in wppconnect/samples/ is listed here with the schema it belongs to, so a new sample
 * without a schema (or a schema that drifts from the contract) fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import * as s from '../../../wppconnect/schemas';
import { SAMPLES_DIR, sample, sampleAs, sampleFiles } from './support';

type Entry =
  | { kind: 'response' | 'request'; schema: z.ZodType }
  | { kind: 'webhook'; event: string; schema: z.ZodType }
  | { kind: 'png' }
  | { kind: 'webhook-headers' };

const response = (schema: z.ZodType): Entry => ({ kind: 'response', schema });
const request = (schema: z.ZodType): Entry => ({ kind: 'request', schema });
/** `event` is what parseWebhookEvent reports: the WPPConnect name, or `other` for events we ignore. */
const webhook = (event: string, schema: z.ZodType): Entry => ({ kind: 'webhook', event, schema });

const CATALOGUE: Record<string, Entry> = {
  'all-unread-messages.json': response(s.messageListResponseSchema),
  'chat-by-id.json': response(s.chatByIdResponseSchema),
  'check-connection-connected.json': response(s.checkConnectionResponseSchema),
  'check-connection-disconnected.json': response(s.checkConnectionResponseSchema),
  'check-number-status-not-found.json': response(s.checkNumberStatusResponseSchema),
  'check-number-status.json': response(s.checkNumberStatusResponseSchema),
  'close-session-error.json': response(s.closeSessionResponseSchema),
  'close-session.json': response(s.closeSessionResponseSchema),
  'contact-pn-lid.json': response(s.contactPnLidResponseSchema),
  'generate-token-wrong-secret.json': response(s.secretRejectedResponseSchema),
  'generate-token.json': response(s.generateTokenResponseSchema),
  'get-media-by-message.json': response(s.mediaResponseSchema),
  'get-messages-error.json': response(s.getMessagesErrorResponseSchema),
  'get-messages.json': response(s.messageListResponseSchema),
  'healthz.json': response(s.healthzResponseSchema),
  'list-chats-request.json': request(s.listChatsRequestSchema),
  'list-chats.json': response(s.listChatsResponseSchema),
  'logout-session.json': response(s.closeSessionResponseSchema),
  'message-by-id.json': response(s.messageByIdResponseSchema),
  'number-not-exists.json': response(s.numberNotExistsResponseSchema),
  'qrcode-session-not-available.json': response(s.qrcodeSessionJsonResponseSchema),
  'qrcode-session-not-started.json': response(s.qrcodeSessionJsonResponseSchema),
  'qrcode-session.png': { kind: 'png' },
  'send-file-base64-request.json': request(s.sendFileRequestSchema),
  'send-file-missing-file.json': response(s.sendFileMissingResponseSchema),
  'send-file-response.json': response(s.sendFileResponseSchema),
  'send-image-request.json': request(s.sendFileRequestSchema),
  'send-message-empty-phone-json.json': response(s.sendMessageResponseSchema),
  'send-message-empty-phone.json': response(s.bareStringResponseSchema),
  'send-message-error.json': response(s.sendErrorResponseSchema),
  'send-message-request-group-reply.json': request(s.sendMessageRequestSchema),
  'send-message-request-multi.json': request(s.sendMessageRequestSchema),
  'send-message-request.json': request(s.sendMessageRequestSchema),
  'send-message-response.json': response(s.sendMessageResponseSchema),
  'send-voice-base64-request.json': request(s.sendVoiceRequestSchema),
  'send-voice-base64-response.json': response(s.sendFileResponseSchema),
  'session-not-active.json': response(s.sessionNotActiveResponseSchema),
  'show-all-sessions-wrong-secret.json': response(s.secretRejectedResponseSchema),
  'show-all-sessions.json': response(s.showAllSessionsResponseSchema),
  'start-all-wrong-secret.json': response(s.secretRejectedResponseSchema),
  'start-all.json': response(s.startAllResponseSchema),
  'start-session-request-full.json': request(s.startSessionRequestSchema),
  'start-session-request-phone-code.json': request(s.startSessionRequestSchema),
  'start-session-request.json': request(s.startSessionRequestSchema),
  'start-session-response-fresh.json': response(s.startSessionResponseSchema),
  'start-session-response-initializing.json': response(s.startSessionResponseSchema),
  'start-session-response-waitqrcode-phonecode.json': response(s.startSessionResponseSchema),
  'start-session-response-waitqrcode.json': response(s.startSessionResponseSchema),
  'status-session-closed-after-qr-timeout.json': response(s.sessionStatusResponseSchema),
  'status-session-closed.json': response(s.sessionStatusResponseSchema),
  'status-session-connected-after-qr-login.json': response(s.sessionStatusResponseSchema),
  'status-session-connected.json': response(s.sessionStatusResponseSchema),
  'status-session-error.json': response(s.sessionStatusErrorResponseSchema),
  'status-session-initializing.json': response(s.sessionStatusResponseSchema),
  'status-session-phonecode.json': response(s.sessionStatusResponseSchema),
  'status-session-qrcode.json': response(s.sessionStatusResponseSchema),
  'unauthorized-token-invalid.json': response(s.unauthorizedResponseSchema),
  'unauthorized-token-missing.json': response(s.unauthorizedResponseSchema),
  'unread-messages.json': response(s.unreadMessagesResponseSchema),
  'webhook-closesession.json': webhook('closesession', s.closeSessionEventSchema),
  'webhook-incomingcall.json': webhook('other', s.incomingCallEventSchema),
  'webhook-location.json': webhook('other', s.locationEventSchema),
  'webhook-logoutsession.json': webhook('logoutsession', s.logoutSessionEventSchema),
  'webhook-onack-delivered.json': webhook('onack', s.onAckEventSchema),
  'webhook-onack-failed.json': webhook('onack', s.onAckEventSchema),
  'webhook-onack.json': webhook('onack', s.onAckEventSchema),
  'webhook-onmessage-document.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-group-text.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-image-no-autodownload.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-image.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-lid.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-location.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-ptt.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-reply.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onmessage-text.json': webhook('onmessage', s.onMessageEventSchema),
  'webhook-onparticipantschanged.json': webhook('other', s.onParticipantsChangedEventSchema),
  'webhook-onpollresponse.json': webhook('other', s.onPollResponseEventSchema),
  'webhook-onpresencechanged-group.json': webhook('other', s.onPresenceChangedEventSchema),
  'webhook-onpresencechanged.json': webhook('other', s.onPresenceChangedEventSchema),
  'webhook-onreactionmessage.json': webhook('other', s.onReactionMessageEventSchema),
  'webhook-onrevokedmessage.json': webhook('other', s.onRevokedMessageEventSchema),
  'webhook-onselfmessage.json': webhook('onselfmessage', s.onSelfMessageEventSchema),
  'webhook-onupdatelabel.json': webhook('other', s.onUpdateLabelEventSchema),
  'webhook-phonecode.json': webhook('phoneCode', s.phoneCodeEventSchema),
  'webhook-qrcode.json': webhook('qrcode', s.qrcodeEventSchema),
  'webhook-request-headers.json': { kind: 'webhook-headers' },
  'webhook-status-find-disconnected-mobile.json': webhook('status-find', s.statusFindEventSchema),
  'webhook-status-find-no-session.json': webhook('status-find', s.statusFindEventSchema),
  'webhook-status-find.json': webhook('status-find', s.statusFindEventSchema),
  'webhook-unreadmessages.json': webhook('unreadmessages', s.unreadMessagesEventSchema),
};

describe('WPPConnect samples against the schemas', () => {
  it('lists every sample file, and only existing ones, in the catalogue', () => {
    expect(sampleFiles()).toEqual(Object.keys(CATALOGUE).sort());
  });

  const jsonEntries = Object.entries(CATALOGUE).filter(([, e]) => e.kind === 'response' || e.kind === 'request');
  it.each(jsonEntries)('%s parses with the schema it belongs to', (file, entry) => {
    if (entry.kind !== 'response' && entry.kind !== 'request') throw new Error('unreachable');
    const result = entry.schema.safeParse(sample(file));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  const webhookEntries = Object.entries(CATALOGUE).filter(([, e]) => e.kind === 'webhook');
  it.each(webhookEntries)('%s is accepted by parseWebhookEvent as the right event', (file, entry) => {
    if (entry.kind !== 'webhook') throw new Error('unreachable');
    const body = sample(file);
    const parsed = s.parseWebhookEvent(body);
    expect(parsed).toMatchObject({ ok: true, event: { event: entry.event } });
    if (parsed.ok && parsed.event.event === 'other') expect(parsed.event.name).toBe(body.event);
    expect(entry.schema.safeParse(body).error?.issues ?? []).toEqual([]);
  });

  it('qrcode-session.png is a PNG image', () => {
    const png = readFileSync(path.join(SAMPLES_DIR, 'qrcode-session.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('the captured webhook headers carry no authorization of any kind', () => {
    const headers = sampleAs<{ headers: Record<string, string> }>('webhook-request-headers.json').headers;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toMatch(/^axios\/1\./);
    expect(Object.keys(headers).filter((h) => /auth|signature|token/i.test(h))).toEqual([]);
  });

  it('the message-shaped REST samples keep Wids as objects while webhooks keep strings', () => {
    const rest = sampleAs<{ response: { chatId: unknown }[] }>('get-messages.json').response[0];
    const hook = sample('webhook-onmessage-text.json');
    expect(rest?.chatId).toEqual({ server: 'c.us', user: '5511999990001', _serialized: '5511999990001@c.us' });
    expect(hook.chatId).toBe('5511999990001@c.us');
  });
});

describe('schemas reject bodies that break the contract', () => {
  it('rejects a status-session with a state WPPConnect never reports', () => {
    const result = s.sessionStatusResponseSchema.safeParse({ status: 'DISCONNECTED', qrcode: null });
    expect(result.success).toBe(false);
  });

  it('rejects a send-file response whose items have no id', () => {
    const result = s.sendFileResponseSchema.safeParse({ status: 'success', response: [{ ack: 1 }] });
    expect(result.success).toBe(false);
  });
});
