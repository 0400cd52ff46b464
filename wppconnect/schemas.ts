/**
 * zod schemas for what WPPConnect Server sends us: REST response bodies and webhook bodies
 * (wppconnect/CONTRACT.md, samples/). Objects are loose: WhatsApp adds and removes raw fields with every
 * WhatsApp Web build, so unknown keys pass through and only the fields we read are checked.
 * Wids are accepted as strings or `{_serialized}` objects everywhere (REST vs webhook, §0.7).
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Building blocks

export const widSchema = z.union([z.string(), z.looseObject({ _serialized: z.string() })]);
export const msgKeySchema = z.union([
  z.string(),
  z.looseObject({ fromMe: z.boolean(), remote: widSchema, id: z.string(), _serialized: z.string() }),
]);

export const contactSchema = z.looseObject({
  id: widSchema,
  name: z.string().nullish(),
  shortName: z.string().nullish(),
  pushname: z.string().nullish(),
  formattedName: z.string().nullish(),
  isMe: z.boolean().optional(),
  isMyContact: z.boolean().optional(),
  isUser: z.boolean().optional(),
});

/** Fields of a serialized message (webhook `onmessage` data and REST message objects, §5.3). */
const messageFields = {
  id: z.string().min(1),
  from: widSchema,
  to: widSchema.nullish(),
  author: widSchema.nullish(),
  chatId: widSchema.optional(),
  fromMe: z.boolean().optional(),
  type: z.string().min(1),
  body: z.string().nullish(),
  content: z.string().nullish(),
  caption: z.string().nullish(),
  filename: z.string().nullish(),
  mimetype: z.string().nullish(),
  size: z.number().nullish(),
  t: z.number().optional(),
  timestamp: z.number().optional(),
  notifyName: z.string().nullish(),
  ack: z.number().optional(),
  sender: contactSchema.nullish(),
  isGroupMsg: z.boolean().optional(),
  isMedia: z.boolean().optional(),
  isMMS: z.boolean().optional(),
  isNotification: z.boolean().optional(),
  lat: z.number().nullish(),
  lng: z.number().nullish(),
  loc: z.string().nullish(),
  quotedMsgId: z.string().nullish(),
  quotedStanzaID: z.string().nullish(),
};

export const wppMessageSchema = z.looseObject(messageFields);
export type RawWppMessage = z.infer<typeof wppMessageSchema>;

export const chatSchema = z.looseObject({
  id: widSchema,
  name: z.string().nullish(),
  t: z.number().optional(),
  unreadCount: z.number().optional(),
  isGroup: z.boolean().optional(),
  kind: z.string().optional(),
  lastReceivedKey: msgKeySchema.nullish(),
  contact: contactSchema.nullish(),
});
export type RawWppChat = z.infer<typeof chatSchema>;

// ---------------------------------------------------------------------------------------------
// Auth (§1)

export const generateTokenResponseSchema = z.looseObject({
  status: z.string(),
  session: z.string(),
  token: z.string().min(1),
  full: z.string(),
});
/** 400 from generate-token, show-all-sessions, start-all and other secret-key routes. */
export const secretRejectedResponseSchema = z.looseObject({
  response: z.union([z.literal(false), z.literal('error')]),
  message: z.string(),
});
export const unauthorizedResponseSchema = z.union([
  z.looseObject({ error: z.string() }),
  z.looseObject({ message: z.string() }),
]);
export const showAllSessionsResponseSchema = z.looseObject({ response: z.array(z.string()) });
export const startAllResponseSchema = z.looseObject({ status: z.literal('success'), message: z.string() });

// ---------------------------------------------------------------------------------------------
// Session (§2)

export const SESSION_STATES = ['CLOSED', 'INITIALIZING', 'QRCODE', 'PHONECODE', 'CONNECTED'] as const;

/** status-session, and start-session's usual answer (the status before the call). */
export const sessionStatusResponseSchema = z.looseObject({
  status: z.enum(SESSION_STATES),
  qrcode: z.string().nullable(),
  urlcode: z.string().optional(),
  version: z.string().optional(),
});
export const sessionStatusErrorResponseSchema = z.looseObject({ status: z.literal('error'), message: z.string() });
/** start-session with waitQrCode: the first QR, the pairing code, or `status:null` after a reset. */
export const startSessionWaitResponseSchema = z.union([
  z.looseObject({ status: z.literal('qrcode'), qrcode: z.string(), urlcode: z.string() }),
  z.looseObject({ status: z.literal('phoneCode'), phone: z.string(), phoneCode: z.string() }),
  z.looseObject({ status: z.null(), qrcode: z.null() }),
]);
export const startSessionResponseSchema = z.union([sessionStatusResponseSchema, startSessionWaitResponseSchema]);
/** qrcode-session when it does not answer with a PNG. */
export const qrcodeSessionJsonResponseSchema = z.looseObject({
  status: z.union([z.enum(SESSION_STATES), z.null(), z.literal('error')]),
  message: z.string(),
});
export const checkConnectionResponseSchema = z.looseObject({ status: z.boolean(), message: z.string() });
/** close-session and logout-session, success (200) and failure (500). */
export const closeSessionResponseSchema = z.looseObject({ status: z.boolean(), message: z.string() });
/** 404 from the statusConnection middleware. */
export const sessionNotActiveResponseSchema = z.looseObject({
  response: z.null(),
  status: z.literal('Disconnected'),
  message: z.string(),
});
export const healthzResponseSchema = z.looseObject({ uptime: z.number(), message: z.string(), timestamp: z.number() });

// ---------------------------------------------------------------------------------------------
// Sending (§3)

export const numberNotExistsResponseSchema = z.looseObject({
  response: z.null(),
  status: z.literal('Connected'),
  message: z.string(),
});
export const sendMessageResponseSchema = z.looseObject({
  status: z.literal('success'),
  response: z.array(wppMessageSchema),
});
export const sendFileResponseSchema = z.looseObject({
  status: z.literal('success'),
  response: z.array(z.looseObject({ ack: z.number(), id: z.string().min(1) })),
});
export const sendErrorResponseSchema = z.looseObject({ status: z.literal('Error'), message: z.string() });
/** The bare JSON string some failures answer with (e.g. "Error sending message"). */
export const bareStringResponseSchema = z.string();
export const sendFileMissingResponseSchema = z.looseObject({ message: z.string() });

const booleanish = z.union([z.boolean(), z.string()]);
const phoneField = z.union([z.string(), z.array(z.string())]);
export const sendMessageRequestSchema = z.looseObject({
  phone: phoneField.optional(),
  message: z.string().optional(),
  isGroup: booleanish.optional(),
  isNewsletter: booleanish.optional(),
  isLid: booleanish.optional(),
  options: z.looseObject({ quotedMsg: z.string().optional() }).optional(),
});
export const sendFileRequestSchema = z.looseObject({
  phone: phoneField.optional(),
  isGroup: booleanish.optional(),
  isNewsletter: booleanish.optional(),
  isLid: booleanish.optional(),
  base64: z.string().optional(),
  path: z.string().optional(),
  filename: z.string().optional(),
  caption: z.string().optional(),
  message: z.string().optional(),
  quotedMessageId: z.string().nullish(),
  options: z.looseObject({ type: z.string().optional(), mimetype: z.string().optional() }).optional(),
});
export const sendVoiceRequestSchema = z.looseObject({
  phone: phoneField.optional(),
  isGroup: booleanish.optional(),
  base64Ptt: z.string(),
  quotedMessageId: z.string().nullish(),
});
export const startSessionRequestSchema = z.looseObject({
  webhook: z.string().optional(),
  waitQrCode: z.boolean().optional(),
  phone: z.string().optional(),
  proxy: z.looseObject({ url: z.string() }).optional(),
  deviceName: z.string().optional(),
  poweredBy: z.string().optional(),
});
export const listChatsRequestSchema = z.looseObject({
  id: z.string().optional(),
  count: z.number().optional(),
  direction: z.enum(['after', 'before']).optional(),
  onlyGroups: z.boolean().optional(),
  onlyUsers: z.boolean().optional(),
  onlyWithUnreadMessage: z.boolean().optional(),
  withLabels: z.array(z.string()).optional(),
});

// ---------------------------------------------------------------------------------------------
// Reading (§4)

export const messageListResponseSchema = z.looseObject({
  status: z.literal('success'),
  response: z.array(wppMessageSchema),
});
export const unreadMessagesResponseSchema = z.looseObject({
  status: z.literal('success'),
  response: z.array(chatSchema.extend({ messages: z.array(wppMessageSchema) })),
});
export const getMessagesErrorResponseSchema = z.looseObject({ status: z.literal('error'), response: z.string() });
export const listChatsResponseSchema = z.array(chatSchema);
export const chatByIdResponseSchema = chatSchema;
export const messageByIdResponseSchema = z.looseObject({
  status: z.literal('Success'),
  response: z.looseObject({ message: z.string(), data: wppMessageSchema }),
});
export const mediaResponseSchema = z.looseObject({ base64: z.string(), mimetype: z.string() });
export const readErrorResponseSchema = z.looseObject({ status: z.string(), message: z.string() });
export const checkNumberStatusResponseSchema = z.looseObject({
  status: z.literal('success'),
  response: z.looseObject({
    id: widSchema,
    numberExists: z.boolean(),
    canReceiveMessage: z.boolean().optional(),
    isBusiness: z.boolean().optional(),
    status: z.number(),
  }),
});
const pnLidWid = z.looseObject({ _serialized: z.string() });
export const contactPnLidResponseSchema = z.looseObject({
  lid: pnLidWid.nullish(),
  phoneNumber: pnLidWid.nullish(),
  contact: z.looseObject({}).nullish(),
});

// ---------------------------------------------------------------------------------------------
// Webhooks (§5). `session` is optional: it is missing in some events (§5.1).

const session = z.string().optional();

/**
 * Webhook bodies are bounded more tightly than REST answers: they come from outside, and every id ends up
 * in the database, in workflow ids and in logs. Message ids (`false_<chat>_<hex>[_<participant>]`) and
 * Wids (`5511999990001@c.us`, `…@g.us`, `…@lid`) are short runs of letters, digits and `@._:+-`; message
 * times are Unix seconds between 1970 and 2100 (a time of 1e300 once answered 500).
 */
export const WEBHOOK_ID_MAX_LENGTH = 200;
export const WEBHOOK_WID_MAX_LENGTH = 100;
export const WEBHOOK_MAX_EPOCH_SECONDS = 4_102_444_800;
const ID_CHARACTERS = /^[A-Za-z0-9@._:+-]+$/;
const boundedId = (max: number) =>
  z.string().min(1).max(max).regex(ID_CHARACTERS, 'must be letters, digits and @._:+- only');
const webhookWid = z.union([
  boundedId(WEBHOOK_WID_MAX_LENGTH),
  z.looseObject({ _serialized: boundedId(WEBHOOK_WID_MAX_LENGTH) }),
]);
const webhookMsgKey = z.union([
  boundedId(WEBHOOK_ID_MAX_LENGTH),
  z.looseObject({
    fromMe: z.boolean(),
    remote: webhookWid,
    id: boundedId(WEBHOOK_ID_MAX_LENGTH),
    _serialized: boundedId(WEBHOOK_ID_MAX_LENGTH),
  }),
]);
const epochSeconds = z.number().int().min(0).max(WEBHOOK_MAX_EPOCH_SECONDS);
const webhookMessageFields = {
  ...messageFields,
  id: boundedId(WEBHOOK_ID_MAX_LENGTH),
  from: webhookWid,
  to: webhookWid.nullish(),
  author: webhookWid.nullish(),
  chatId: webhookWid.optional(),
  type: z.string().min(1).max(64),
  mimetype: z.string().max(200).nullish(),
  t: epochSeconds.optional(),
  timestamp: epochSeconds.optional(),
  sender: contactSchema.extend({ id: webhookWid }).nullish(),
  quotedMsgId: boundedId(WEBHOOK_ID_MAX_LENGTH).nullish(),
};

function messageEvent<E extends string>(event: E) {
  return z.looseObject({ event: z.literal(event), session, ...webhookMessageFields });
}
export const onMessageEventSchema = messageEvent('onmessage');
export const onSelfMessageEventSchema = messageEvent('onselfmessage');
export const unreadMessagesEventSchema = messageEvent('unreadmessages');

/** onack carries the raw message JSON: `id` is a MsgKey object, no sender/chatId/fromMe (§5.5). */
export const onAckEventSchema = z.looseObject({
  event: z.literal('onack'),
  session,
  id: webhookMsgKey,
  ack: z.number().int().min(-10).max(10),
  from: webhookWid.optional(),
  to: webhookWid.optional(),
  type: z.string().max(64).optional(),
  t: epochSeconds.optional(),
});
export const statusFindEventSchema = z.looseObject({ event: z.literal('status-find'), session, status: z.string() });
export const qrcodeEventSchema = z.looseObject({
  event: z.literal('qrcode'),
  session,
  qrcode: z.string(),
  urlcode: z.string().optional(),
});
export const phoneCodeEventSchema = z.looseObject({
  event: z.literal('phoneCode'),
  session,
  phoneCode: z.string(),
  phone: z.string().optional(),
});
export const closeSessionEventSchema = z.looseObject({
  event: z.literal('closesession'),
  session,
  message: z.string().optional(),
  connected: z.boolean().optional(),
});
export const logoutSessionEventSchema = z.looseObject({
  event: z.literal('logoutsession'),
  session,
  message: z.string().optional(),
  connected: z.boolean().optional(),
});

// Events we do not act on: schemas document their shape (and are checked against the samples),
// but parseWebhookEvent accepts them as `other` without validating their fields.
export const onPresenceChangedEventSchema = z.looseObject({
  event: z.literal('onpresencechanged'),
  session,
  id: widSchema,
  state: z.string(),
  t: z.number(),
  isGroup: z.boolean(),
});
export const onParticipantsChangedEventSchema = z.looseObject({
  event: z.literal('onparticipantschanged'),
  session,
  groupId: widSchema,
  action: z.string(),
  who: z.array(widSchema),
});
export const onReactionMessageEventSchema = z.looseObject({
  event: z.literal('onreactionmessage'),
  session,
  id: msgKeySchema,
  msgId: msgKeySchema,
  reactionText: z.string(),
  timestamp: z.number(),
});
export const onRevokedMessageEventSchema = z.looseObject({
  event: z.literal('onrevokedmessage'),
  session,
  from: widSchema,
  id: z.string(),
  refId: z.string(),
});
export const onPollResponseEventSchema = z.looseObject({
  event: z.literal('onpollresponse'),
  session,
  msgId: msgKeySchema,
  chatId: widSchema,
  selectedOptions: z.array(z.looseObject({ name: z.string(), localId: z.number() }).nullable()),
  timestamp: z.number(),
});
export const incomingCallEventSchema = z.looseObject({
  event: z.literal('incomingcall'),
  session,
  id: z.string(),
  peerJid: widSchema,
  offerTime: z.number(),
  isVideo: z.boolean(),
});
export const onUpdateLabelEventSchema = z.looseObject({
  event: z.literal('onupdatelabel'),
  session,
  chat: chatSchema,
  ids: z.array(z.string()),
  type: z.string(),
});
export const locationEventSchema = z.looseObject({
  event: z.literal('location'),
  session,
  type: z.string(),
  id: widSchema,
  lat: z.number(),
  lng: z.number(),
});

export type OnMessageEvent = z.infer<typeof onMessageEventSchema>;
export type OnSelfMessageEvent = z.infer<typeof onSelfMessageEventSchema>;
export type UnreadMessagesEvent = z.infer<typeof unreadMessagesEventSchema>;
/** Any webhook that carries one serialized message. */
export type MessageWebhookEvent = OnMessageEvent | OnSelfMessageEvent | UnreadMessagesEvent;
export type OnAckEvent = z.infer<typeof onAckEventSchema>;
export type StatusFindEvent = z.infer<typeof statusFindEventSchema>;
export type QrCodeEvent = z.infer<typeof qrcodeEventSchema>;
export type PhoneCodeEvent = z.infer<typeof phoneCodeEventSchema>;
export type CloseSessionEvent = z.infer<typeof closeSessionEventSchema>;
export type LogoutSessionEvent = z.infer<typeof logoutSessionEventSchema>;
/** Anything else WPPConnect posts (onpresencechanged, incomingcall, location, ...): kept as-is. */
export interface OtherWebhookEvent {
  event: 'other';
  /** The `event` value WPPConnect sent. */
  name: string;
  session?: string;
  payload: Record<string, unknown>;
}

export type WebhookEvent =
  | OnMessageEvent
  | OnSelfMessageEvent
  | UnreadMessagesEvent
  | OnAckEvent
  | StatusFindEvent
  | QrCodeEvent
  | PhoneCodeEvent
  | CloseSessionEvent
  | LogoutSessionEvent
  | OtherWebhookEvent;

const KNOWN_WEBHOOK_SCHEMAS = {
  onmessage: onMessageEventSchema,
  onselfmessage: onSelfMessageEventSchema,
  unreadmessages: unreadMessagesEventSchema,
  onack: onAckEventSchema,
  'status-find': statusFindEventSchema,
  qrcode: qrcodeEventSchema,
  phoneCode: phoneCodeEventSchema,
  closesession: closeSessionEventSchema,
  logoutsession: logoutSessionEventSchema,
} as const;
export const KNOWN_WEBHOOK_EVENTS = Object.keys(KNOWN_WEBHOOK_SCHEMAS) as (keyof typeof KNOWN_WEBHOOK_SCHEMAS)[];

export interface WebhookIssue {
  path: string;
  message: string;
}
export type ParseWebhookResult = { ok: true; event: WebhookEvent } | { ok: false; issues: WebhookIssue[] };

function toIssues(error: z.ZodError): WebhookIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Validates a webhook body and tells which event it is; unknown events become `other`. */
export function parseWebhookEvent(body: unknown): ParseWebhookResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'expected a JSON object' }] };
  }
  const record = body as Record<string, unknown>;
  const name = record.event;
  if (typeof name !== 'string' || name.length === 0) {
    return { ok: false, issues: [{ path: 'event', message: 'expected a non-empty string' }] };
  }
  if (record.session !== undefined && typeof record.session !== 'string') {
    return { ok: false, issues: [{ path: 'session', message: 'expected a string' }] };
  }
  if (Object.hasOwn(KNOWN_WEBHOOK_SCHEMAS, name)) {
    const schema = KNOWN_WEBHOOK_SCHEMAS[name as keyof typeof KNOWN_WEBHOOK_SCHEMAS];
    const parsed = schema.safeParse(body);
    return parsed.success ? { ok: true, event: parsed.data } : { ok: false, issues: toIssues(parsed.error) };
  }
  const session = typeof record.session === 'string' ? record.session : undefined;
  return { ok: true, event: { event: 'other', name, session, payload: record } };
}
