/**
 * WhatsApp identifiers as WPPConnect exposes them (wppconnect/CONTRACT.md §0.7, §3.1): Wids arrive as strings in
 * webhooks and as `{server,user,_serialized}` objects in REST responses; message keys as
 * `{fromMe,remote,id,_serialized}` objects where they are not flattened.
 */

export type WidLike = string | { _serialized: string } | null | undefined;

/** The serialized form of a Wid or MsgKey, whatever shape it arrived in. */
export function widToString(wid: WidLike): string | undefined {
  if (typeof wid === 'string') return wid;
  if (wid && typeof wid === 'object' && typeof wid._serialized === 'string') return wid._serialized;
  return undefined;
}

/** `{server,user,_serialized}` as the browser serializes a Wid in REST responses. */
export function widObject(serialized: string): { server: string; user: string; _serialized: string } {
  const at = serialized.indexOf('@');
  const user = at === -1 ? serialized : serialized.slice(0, at);
  const server = at === -1 ? 'c.us' : serialized.slice(at + 1);
  return { server, user, _serialized: serialized };
}

export type ChatKind = 'user' | 'group' | 'lid' | 'newsletter' | 'broadcast';

export function chatKind(chatId: string): ChatKind {
  if (chatId.endsWith('@g.us')) return 'group';
  if (chatId.endsWith('@lid')) return 'lid';
  if (chatId.endsWith('@newsletter')) return 'newsletter';
  if (chatId.endsWith('@broadcast')) return 'broadcast';
  return 'user';
}

/**
 * Digits of a phone number with country code, from `+55 (11) 99999-0001`, `5511999990001@c.us`...
 * null for group/LID/channel ids and for anything that is not 8 to 14 digits (the server reads a
 * longer bare id as a LID, wppconnect/CONTRACT.md §3.1).
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  const at = trimmed.indexOf('@');
  if (at !== -1 && chatKind(trimmed) !== 'user') return null;
  if (at !== -1 && !trimmed.endsWith('@c.us') && !trimmed.endsWith('@s.whatsapp.net')) return null;
  const local = at === -1 ? trimmed : trimmed.slice(0, at);
  if (!/^[\d\s+\-().]+$/.test(local)) return null;
  const digits = local.replace(/\D/g, '');
  return digits.length >= 8 && digits.length <= 14 ? digits : null;
}

/** What send routes need in `phone` plus the flag that makes the server pick the right suffix. */
export interface WppRecipientFields {
  phone: string;
  isGroup?: true;
  isLid?: true;
}

/**
 * Turns a recipient (digits or a full chat id) into send-route fields. The server strips any `@`
 * suffix itself and guesses `@lid` for anything longer than 14 characters (wppconnect/CONTRACT.md §3.1), so the
 * suffix is removed here and the flag passed explicitly. Returns null for an unusable recipient.
 */
export function toRecipientFields(to: string): WppRecipientFields | null {
  const trimmed = to.trim();
  const kind = chatKind(trimmed);
  const local = trimmed.includes('@') ? trimmed.slice(0, trimmed.indexOf('@')) : trimmed;
  if (kind === 'group') return /^[\d-]+$/.test(local) ? { phone: local, isGroup: true } : null;
  if (kind === 'lid') return /^\d+$/.test(local) ? { phone: local, isLid: true } : null;
  if (kind !== 'user') return null;
  const digits = normalizePhone(trimmed);
  if (digits) return { phone: digits };
  // A bare id longer than a phone number is an opaque LID (the server would guess the same).
  const bare = local.replace(/[\s+\-()]/g, '');
  if (!trimmed.includes('@') && /^\d{15,}$/.test(bare)) return { phone: bare, isLid: true };
  return null;
}

/** `true_<chatId>_<ID>` or `false_<chatId>_<ID>[_<participant>]` → its chat id. */
export function chatIdFromMessageId(messageId: string): string | undefined {
  const m = /^(?:true|false)_([^_]+@[^_]+)_/.exec(messageId);
  return m?.[1];
}
