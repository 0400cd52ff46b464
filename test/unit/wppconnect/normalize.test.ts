import {
  WPP_ERROR_TYPES,
  WppRecipientNotFoundError,
  WppTransientError,
  scrubExcerpt,
} from '../../../wppconnect/errors';
import { chatIdFromMessageId, toRecipientFields } from '../../../wppconnect/ids';
import {
  isPatientMessage,
  mapMessageType,
  normalizePhone,
  toInboundMessage,
  wppMessageToInbound,
} from '../../../wppconnect/normalize';
import { parseWebhookEvent, type MessageWebhookEvent } from '../../../wppconnect/schemas';
import { sample } from './support';

function messageEvent(file: string, patch: Record<string, unknown> = {}): MessageWebhookEvent {
  const parsed = parseWebhookEvent({ ...sample(file), ...patch });
  if (!parsed.ok || parsed.event.event === 'other') throw new Error(`${file} did not parse as a message`);
  const event = parsed.event;
  if (event.event !== 'onmessage' && event.event !== 'onselfmessage' && event.event !== 'unreadmessages') {
    throw new Error(`${file} is not a message event`);
  }
  return event;
}

describe('parseWebhookEvent', () => {
  it('rejects an onmessage without id and from, naming both fields', () => {
    const body = { ...sample('webhook-onmessage-text.json') };
    delete body.id;
    delete body.from;
    const result = parseWebhookEvent(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path).sort()).toEqual(['from', 'id']);
  });

  it('rejects an onack whose ack is not a number', () => {
    const result = parseWebhookEvent({ ...sample('webhook-onack.json'), ack: '3' });
    expect(result).toEqual({ ok: false, issues: [{ path: 'ack', message: expect.any(String) as string }] });
  });

  it('rejects bodies that are not objects or have no event name', () => {
    expect(parseWebhookEvent([]).ok).toBe(false);
    expect(parseWebhookEvent({ session: 'x' })).toEqual({
      ok: false,
      issues: [{ path: 'event', message: 'expected a non-empty string' }],
    });
  });

  it('accepts unknown events as `other` keeping the original name and payload', () => {
    const result = parseWebhookEvent({ event: 'onnewthing', session: 's1', x: 1 });
    expect(result).toEqual({
      ok: true,
      event: {
        event: 'other',
        name: 'onnewthing',
        session: 's1',
        payload: { event: 'onnewthing', session: 's1', x: 1 },
      },
    });
  });

  it('keeps unknown keys of known events', () => {
    const result = parseWebhookEvent({ ...sample('webhook-status-find.json'), extra: true });
    expect(result).toEqual({
      ok: true,
      event: { event: 'status-find', session: 'demo-session', status: 'inChat', extra: true },
    });
  });
});

describe('toInboundMessage', () => {
  it('maps a 1:1 text message with phone, sender and time', () => {
    const { message, mediaBase64 } = toInboundMessage(messageEvent('webhook-onmessage-text.json'), 'demo-session');
    expect(mediaBase64).toBeUndefined();
    expect(message).toEqual({
      session: 'demo-session',
      chatId: '5511999990001@c.us',
      messageId: 'false_5511999990001@c.us_3A5C1F0E2B7D4A9C8E11',
      sentAt: new Date(1780300000 * 1000).toISOString(),
      senderId: '5511999990001@c.us',
      senderName: 'Alice Example',
      contactPhone: '5511999990001',
      isGroup: false,
      messageType: 'text',
      rawType: 'chat',
      text: 'Olá! Gostaria de agendar um horário.',
    });
  });

  it('returns the downloaded image apart from the message, which only says where media lives', () => {
    const event = messageEvent('webhook-onmessage-image.json');
    const { message, mediaBase64 } = toInboundMessage(event, 'demo-session');
    expect(mediaBase64).toBe(event.body);
    expect(message).toMatchObject({ messageType: 'image', caption: 'Foto do comprovante', mimetype: 'image/jpeg' });
    expect(message.media).toEqual({ source: 'wppconnect' });
    expect(message.text).toBeUndefined();
  });

  it('returns no media bytes when autoDownload left only the thumbnail', () => {
    const { message, mediaBase64 } = toInboundMessage(
      messageEvent('webhook-onmessage-image-no-autodownload.json'),
      'demo-session',
    );
    expect(mediaBase64).toBeUndefined();
    expect(message.media).toEqual({ source: 'wppconnect' });
  });

  it('maps documents, voice notes, locations, replies, groups and LIDs', () => {
    const doc = toInboundMessage(messageEvent('webhook-onmessage-document.json'), 's').message;
    expect(doc).toMatchObject({ messageType: 'document', filename: 'comprovante.pdf', mimetype: 'application/pdf' });
    const ptt = toInboundMessage(messageEvent('webhook-onmessage-ptt.json'), 's');
    expect(ptt.message).toMatchObject({ messageType: 'audio', rawType: 'ptt' });
    expect(ptt.mediaBase64).toBe('T2dnUwACAAAAAAAAAAA=');
    const loc = toInboundMessage(messageEvent('webhook-onmessage-location.json'), 's').message;
    expect(loc.location).toEqual({ lat: -23.5613, lng: -46.6565, address: 'Av. Paulista, 1000' });
    expect(loc.media).toBeUndefined();
    const reply = toInboundMessage(messageEvent('webhook-onmessage-reply.json'), 's').message;
    expect(reply.quotedMessageId).toBe('true_5511999990001@c.us_3EB0C4F1A2B3D4E5F6A7');
    const group = toInboundMessage(messageEvent('webhook-onmessage-group-text.json'), 's').message;
    expect(group).toMatchObject({
      chatId: '120363000000000001@g.us',
      senderId: '5511999990002@c.us',
      isGroup: true,
      contactPhone: undefined,
    });
    const lid = toInboundMessage(messageEvent('webhook-onmessage-lid.json'), 's').message;
    expect(lid).toMatchObject({ chatId: '123456789012345@lid', contactPhone: undefined, isGroup: false });
  });
});

describe('isPatientMessage', () => {
  it('is true for a text a patient wrote', () => {
    expect(isPatientMessage(messageEvent('webhook-onmessage-text.json'))).toBe(true);
  });

  it('is false for own messages, status broadcasts, notifications, revoked and undecrypted messages', () => {
    expect(isPatientMessage(messageEvent('webhook-onselfmessage.json'))).toBe(false);
    expect(isPatientMessage(messageEvent('webhook-onmessage-text.json', { fromMe: true }))).toBe(false);
    expect(
      isPatientMessage(
        messageEvent('webhook-onmessage-text.json', { from: 'status@broadcast', chatId: 'status@broadcast' }),
      ),
    ).toBe(false);
    expect(isPatientMessage(messageEvent('webhook-onmessage-text.json', { isNotification: true }))).toBe(false);
    expect(isPatientMessage(messageEvent('webhook-onmessage-text.json', { type: 'revoked' }))).toBe(false);
    expect(isPatientMessage(messageEvent('webhook-onmessage-text.json', { type: 'ciphertext' }))).toBe(false);
  });
});

describe('message types, phones and recipients', () => {
  it('maps WhatsApp types to the store types', () => {
    const mapped = [
      'chat',
      'image',
      'video',
      'ptt',
      'audio',
      'document',
      'location',
      'sticker',
      'vcard',
      'poll_creation',
    ].map(mapMessageType);
    expect(mapped).toEqual([
      'text',
      'image',
      'video',
      'audio',
      'audio',
      'document',
      'location',
      'sticker',
      'contact',
      'other',
    ]);
  });

  it('normalizes phone numbers and refuses ids that are not phones', () => {
    expect(normalizePhone('+55 (11) 99999-0001')).toBe('5511999990001');
    expect(normalizePhone('5511999990001@c.us')).toBe('5511999990001');
    expect(normalizePhone('123456789012345@lid')).toBeNull();
    expect(normalizePhone('120363000000000001@g.us')).toBeNull();
    expect(normalizePhone('12345')).toBeNull();
    expect(normalizePhone('call me')).toBeNull();
  });

  it('turns recipients into send fields with the flag the server needs (§3.1)', () => {
    expect(toRecipientFields('+55 11 99999-0001')).toEqual({ phone: '5511999990001' });
    expect(toRecipientFields('120363000000000001@g.us')).toEqual({ phone: '120363000000000001', isGroup: true });
    expect(toRecipientFields('123456789012345@lid')).toEqual({ phone: '123456789012345', isLid: true });
    expect(toRecipientFields('123456789012345')).toEqual({ phone: '123456789012345', isLid: true });
    expect(toRecipientFields('abc')).toBeNull();
    expect(chatIdFromMessageId('false_120363000000000001@g.us_3A5C_5511999990002@c.us')).toBe(
      '120363000000000001@g.us',
    );
  });

  it('maps a catch-up message to an inbound message that fetches media from WPPConnect, size announced', () => {
    const inbound = wppMessageToInbound(
      {
        id: 'false_5511999990001@c.us_X1',
        chatId: '5511999990001@c.us',
        from: '5511999990001@c.us',
        to: '5511999990000@c.us',
        fromMe: false,
        type: 'image',
        caption: 'exame',
        mimetype: 'image/jpeg',
        size: 48213,
        t: 1780300000,
        isGroupMsg: false,
        notifyName: 'Alice',
      },
      's',
    );
    expect(inbound).toEqual({
      session: 's',
      chatId: '5511999990001@c.us',
      messageId: 'false_5511999990001@c.us_X1',
      sentAt: new Date(1780300000 * 1000).toISOString(),
      senderId: '5511999990001@c.us',
      senderName: 'Alice',
      contactPhone: '5511999990001',
      isGroup: false,
      messageType: 'image',
      rawType: 'image',
      caption: 'exame',
      mimetype: 'image/jpeg',
      size: 48213,
      media: { source: 'wppconnect' },
    });
  });
});

describe('errors', () => {
  it('scrubs tokens and secrets from excerpts and keeps them short', () => {
    const token = '$2b$10$abcdefghijklmnopqrstuv_wxyz0123456789ABCDEFGHIJKLMNOPQRS';
    const text = `bad ${token} with MYSECRETKEY ${'x'.repeat(300)}`;
    const out = scrubExcerpt(text, ['MYSECRETKEY']);
    expect(out).toContain('[token]');
    expect(out).toContain('[secret]');
    expect(out).not.toContain('$2b$');
    expect(out.length).toBeLessThanOrEqual(200);
  });

  it('gives every error a stable type from the exported list and says whether a retry helps', () => {
    const permanent = new WppRecipientNotFoundError('x', { status: 400, bodyExcerpt: 'O número 1 não existe.' });
    const transient = new WppTransientError('y', { status: 503 });
    expect([permanent.type, permanent.retryable, permanent.status, permanent.name]).toEqual([
      'WppRecipientNotFound',
      false,
      400,
      'WppRecipientNotFound',
    ]);
    expect([transient.type, transient.retryable]).toEqual(['WppTransient', true]);
    expect(WPP_ERROR_TYPES).toContain(permanent.type);
    expect(WPP_ERROR_TYPES).toContain(transient.type);
  });
});
