/**
 * Builders for the objects WPPConnect Server emits, shaped (keys and key order) like the samples
 * of wppconnect/CONTRACT.md: serialized messages (webhooks, stored with string Wids), their REST form (Wid
 * objects), raw onack messages, contacts and chats.
 */
import { widObject } from '../wppconnect/ids';

export type Json = Record<string, unknown>;

const PIC = 'https://pps.whatsapp.net/v/t61.24694-24/00000000_000000000000000_0000000000000000000_n.jpg';
const MMS = 'https://mmg.whatsapp.net/v/t62.7118-24/00000000_0000000000000000_0000000000000000000_n.enc';
const DIRECT =
  '/v/t62.7118-24/00000000_0000000000000000_0000000000000000000_n.enc?ccb=11-4&oh=FAKE&oe=FAKE&_nc_sid=5e03e0';
/** Tiny JPEG standing in for the thumbnails WhatsApp embeds in media and location messages. */
export const THUMBNAIL_JPEG =
  '/9j/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8ybqmx5moq6T/2wBDARweHigjKE4rK06kbl1upKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKT/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwX/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCYA05//9k=';

/** Raw WhatsApp flags present on every message of the current WhatsApp Web build (samples). */
const RAW_FLAGS: Json = {
  invis: false,
  isNewMsg: true,
  star: false,
  kicNotified: false,
  recvFresh: true,
  isFromTemplate: false,
  pollInvalidated: false,
  isSentCagPollCreation: false,
  latestEditMsgKey: null,
  latestEditSenderTimestampMs: null,
  mentionedJidList: [],
  groupMentions: [],
  isEventCanceled: false,
  eventInvalidated: false,
  isVcardOverMmsDocument: false,
  isForwarded: false,
  labels: [],
  hasReaction: false,
  productHeaderImageRejected: false,
  lastPlaybackProgress: 0,
  isDynamicReplyButtonsMsg: false,
  isCarouselCard: false,
  parentMsgId: null,
  isMdHistoryMsg: false,
  stickerSentTs: 0,
  isAvatar: false,
  lastUpdateFromServerTs: 0,
  invokedBotWid: null,
  bizBotType: null,
  botResponseTargetId: null,
  botPluginType: null,
  botPluginReferenceIndex: null,
  botPluginSearchProvider: null,
  botPluginSearchUrl: null,
  botPluginSearchQuery: null,
  botPluginMaybeParent: false,
  botReelPluginThumbnailCdnUrl: null,
  botMsgBodyType: null,
  requiresDirectConnection: null,
  bizContentPlaceholderType: null,
  hostedBizEncStateMismatch: false,
  senderOrRecipientAccountTypeHosted: false,
  placeholderCreatedWhenAccountIsHosted: false,
};

export interface ContactInfo {
  id: string;
  /** Name saved in the phone's address book (absent for unknown numbers). */
  name?: string;
  pushname?: string;
  isMe?: boolean;
  isBusiness?: boolean;
}

export function contactJson(c: ContactInfo): Json {
  const out: Json = { id: c.id };
  if (c.name) {
    out.name = c.name;
    out.shortName = c.name.split(' ')[0];
  }
  out.pushname = c.pushname ?? c.name ?? '';
  Object.assign(out, {
    type: 'in',
    isBusiness: c.isBusiness ?? false,
    isEnterprise: false,
    isSmb: c.isBusiness ?? false,
    labels: [],
    isContactSyncCompleted: 1,
    textStatusLastUpdateTime: -1,
    syncToAddressbook: true,
    formattedName: c.isMe ? 'Você' : (c.name ?? c.pushname ?? `+${c.id.split('@')[0] ?? ''}`),
    isMe: c.isMe ?? false,
    isMyContact: c.name !== undefined,
    isPSA: false,
    isUser: true,
    isWAContact: true,
    profilePicThumbObj: {
      eurl: `${PIC}?ccb=11-4&oh=FAKE&oe=FAKE&_nc_sid=5e03e0&_nc_cat=1`,
      id: c.id,
      img: `${PIC}?stp=dst-jpg_s96x96&ccb=11-4&oh=FAKE&oe=FAKE&_nc_sid=5e03e0&_nc_cat=1`,
      imgFull: `${PIC}?ccb=11-4&oh=FAKE&oe=FAKE&_nc_sid=5e03e0&_nc_cat=1`,
      tag: '1780000000',
    },
    msgs: null,
  });
  return out;
}

export type SimMessageKind = 'chat' | 'image' | 'video' | 'document' | 'ptt' | 'audio' | 'sticker' | 'location';
export const MEDIA_KINDS: ReadonlySet<string> = new Set(['image', 'video', 'document', 'ptt', 'audio', 'sticker']);

export interface MessageSpec {
  id: string;
  kind: SimMessageKind;
  t: number;
  from: string;
  to: string;
  chatId: string;
  author?: string;
  fromMe: boolean;
  sender: ContactInfo;
  notifyName: string;
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Size in bytes of the media file. */
  size?: number;
  lat?: number;
  lng?: number;
  loc?: string;
  quotedMsgId?: string;
  quotedBody?: string;
  ack: number;
}

function mediaFields(spec: MessageSpec): Json {
  const base: Json = {
    deprecatedMms3Url: `${MMS}?ccb=11-4&oh=FAKE&oe=FAKE&_nc_sid=5e03e0&mms3=true`,
    directPath: DIRECT,
    filehash: 'FAKEfilehashBase64AAAAAAAAAAAAAAAAAAAAAAAAAA=',
    encFilehash: 'FAKEencFilehashBase64AAAAAAAAAAAAAAAAAAAAAAA=',
    mediaKey: 'FAKEmediaKeyBase64AAAAAAAAAAAAAAAAAAAAAAAAAA=',
    mediaKeyTimestamp: spec.t - 2,
    staticUrl: '',
    mimetype: spec.mimetype,
  };
  if (spec.kind === 'document') {
    Object.assign(base, {
      filename: spec.filename ?? 'file',
      caption: spec.caption ?? '',
      size: spec.size,
      pageCount: 1,
    });
  } else if (spec.kind === 'ptt' || spec.kind === 'audio') {
    Object.assign(base, { duration: 4, size: spec.size, waveform: {} });
  } else {
    if (spec.caption !== undefined) base.caption = spec.caption;
    Object.assign(base, {
      size: spec.size,
      width: 4,
      height: 4,
      isViewOnce: false,
      scanLengths: [120, 60, 50, 39],
      scansSidecar: {},
    });
  }
  return base;
}

/** The body a message has in the browser store: text, a thumbnail, or nothing. */
export function storedBody(spec: MessageSpec): string {
  if (spec.kind === 'chat') return spec.text ?? '';
  if (spec.kind === 'image' || spec.kind === 'video' || spec.kind === 'location') return THUMBNAIL_JPEG;
  return '';
}

/** The serialized message as webhooks carry it (Wids as strings), body as stored in the browser. */
export function serializedMessage(spec: MessageSpec): Json {
  const body = storedBody(spec);
  const isMedia = MEDIA_KINDS.has(spec.kind);
  const out: Json = {
    id: spec.id,
    viewed: false,
    body,
    type: spec.kind,
    t: spec.t,
    notifyName: spec.notifyName,
    from: spec.from,
    to: spec.to,
  };
  if (spec.author) out.author = spec.author;
  out.ack = spec.ack;
  if (isMedia) Object.assign(out, mediaFields(spec));
  if (spec.kind === 'location')
    Object.assign(out, { lat: spec.lat, lng: spec.lng, loc: spec.loc ?? '', isLive: false });
  Object.assign(out, structuredClone(RAW_FLAGS));
  if (isMedia && spec.kind !== 'image' && spec.kind !== 'video') out.isViewOnce = false;
  if (spec.quotedMsgId) {
    const quoted = /^(true|false)_([^_]+)_([^_]+)/.exec(spec.quotedMsgId);
    Object.assign(out, {
      quotedMsg: { type: 'chat', body: spec.quotedBody ?? '' },
      quotedStanzaID: quoted?.[3] ?? spec.quotedMsgId,
      quotedParticipant: quoted?.[1] === 'true' ? spec.to : (quoted?.[2] ?? spec.from),
      quotedRemoteJid: spec.chatId,
    });
  }
  Object.assign(out, {
    chatId: spec.chatId,
    fromMe: spec.fromMe,
    sender: contactJson(spec.sender),
    timestamp: spec.t,
    content: body,
    isGroupMsg: spec.chatId.endsWith('@g.us'),
    isMMS: isMedia,
    isMedia,
    isNotification: false,
    isPSA: false,
  });
  if (spec.quotedMsgId) out.quotedMsgId = spec.quotedMsgId;
  out.mediaData = isMedia
    ? {
        type: spec.kind,
        mediaStage: 'RESOLVED',
        animationDuration: 0,
        animatedAsNewMsg: false,
        isViewOnce: false,
        _swStreamingSupported: false,
        _listeningToSwSupport: false,
        isVcardOverMmsDocument: false,
      }
    : {};
  return out;
}

/** REST responses straight from the browser carry Wid objects where webhooks have strings (§0.7). */
export function restMessage(serialized: Json): Json {
  const out = structuredClone(serialized);
  if (typeof out.chatId === 'string') out.chatId = widObject(out.chatId);
  const sender = out.sender as Json | undefined;
  if (sender && typeof sender.id === 'string') {
    sender.id = widObject(sender.id);
    const pic = sender.profilePicThumbObj as Json | undefined;
    if (pic && typeof pic.id === 'string') pic.id = widObject(pic.id);
  }
  return out;
}

export function msgKey(messageId: string, fromMe: boolean, remote: string): Json {
  const parts = messageId.split('_');
  return { fromMe, remote, id: parts[2] ?? messageId, _serialized: messageId };
}

/** onack data: the raw message JSON (MsgKey id, `author` on own messages, no serializer fields, §5.5). */
export function rawAckMessage(serialized: Json, ack: number, body: string): Json {
  const fromMe = serialized.fromMe === true;
  const out: Json = {
    id: msgKey(String(serialized.id), fromMe, String(serialized.chatId)),
    viewed: serialized.viewed,
    body,
    type: serialized.type,
    t: serialized.t,
    notifyName: serialized.notifyName,
    from: serialized.from,
    to: serialized.to,
  };
  out.author = serialized.author ?? (fromMe ? serialized.from : undefined);
  if (out.author === undefined) delete out.author;
  out.ack = ack;
  const skip = new Set([
    'id',
    'viewed',
    'body',
    'type',
    't',
    'notifyName',
    'from',
    'to',
    'author',
    'ack',
    'chatId',
    'fromMe',
    'sender',
    'timestamp',
    'content',
    'isGroupMsg',
    'isMMS',
    'isMedia',
    'isNotification',
    'isPSA',
    'mediaData',
    'quotedMsgId',
  ]);
  for (const [key, value] of Object.entries(serialized)) if (!skip.has(key)) out[key] = value;
  return out;
}

export interface ChatInfo {
  id: string;
  name?: string;
  t: number;
  unreadCount: number;
  lastReceivedKey: Json | null;
  contact: ContactInfo;
  participants?: string[];
}

/** A chat object as list-chats / chat-by-id return it (Wid objects). */
export function chatJson(chat: ChatInfo, ownId: string): Json {
  const isGroup = chat.id.endsWith('@g.us');
  const key = chat.lastReceivedKey
    ? {
        ...chat.lastReceivedKey,
        remote: widObject(String(chat.lastReceivedKey.remote)),
        ...(typeof chat.lastReceivedKey.participant === 'string'
          ? { participant: widObject(chat.lastReceivedKey.participant) }
          : {}),
      }
    : null;
  const contact = restMessage({ sender: contactJson(chat.contact) }).sender as Json;
  if (isGroup) {
    Object.assign(contact, { isUser: false, isWAContact: false, isMyContact: false, profilePicThumbObj: {} });
  }
  return {
    id: widObject(chat.id),
    lastReceivedKey: key,
    t: chat.t,
    unreadCount: chat.unreadCount,
    unreadDividerOffset: 0,
    archive: false,
    isReadOnly: false,
    isAnnounceGrpRestrict: false,
    muteExpiration: 0,
    isAutoMuted: false,
    name: chat.name ?? chat.contact.pushname ?? '',
    notSpam: true,
    pin: 0,
    ephemeralDuration: 0,
    ephemeralSettingTimestamp: 0,
    unreadMentionCount: 0,
    hasUnreadMention: false,
    archiveAtMentionViewedInDrawer: false,
    hasChatBeenOpened: true,
    tcToken: {},
    tcTokenTimestamp: chat.t,
    endOfHistoryTransferType: 0,
    pendingInitialLoading: false,
    kind: isGroup ? 'group' : 'chat',
    isBroadcast: false,
    isGroup,
    isUser: !isGroup,
    contact,
    groupMetadata: isGroup
      ? {
          id: widObject(chat.id),
          creation: chat.t,
          owner: widObject(ownId),
          subject: chat.name ?? '',
          subjectTime: chat.t,
          desc: '',
          restrict: false,
          announce: false,
          size: (chat.participants?.length ?? 0) + 1,
          participants: [ownId, ...(chat.participants ?? [])].map((p) => ({
            id: widObject(p),
            isAdmin: p === ownId,
            isSuperAdmin: p === ownId,
          })),
          pendingParticipants: [],
          pastParticipants: [],
        }
      : null,
    presence: { id: widObject(chat.id), chatstates: [] },
    msgs: null,
  };
}
