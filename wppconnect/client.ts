/**
 * IWhatsAppService over WPPConnect Server's REST API with undici (wppconnect/CONTRACT.md). Tokens are bcrypt
 * hashes that never expire: one is generated per session, kept in memory, and regenerated once
 * when the server rejects it (the server secret changed). Every failure is a typed WppError.
 */
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { LogEvent, maskDigits, type Logger } from '../observability/logger';
import {
  WppAuthError,
  WppOperationFailedError,
  WppProtocolError,
  WppRecipientNotFoundError,
  WppResponseTooLargeError,
  WppSecretRejectedError,
  WppSessionUnavailableError,
  WppTransientError,
  isWppError,
  scrubExcerpt,
} from './errors';
import { chatIdFromMessageId, normalizePhone, toRecipientFields, widToString, type WppRecipientFields } from './ids';
import { MediaBodyParser } from './media-body';
import { isMediaType, isTextType } from './normalize';
import {
  checkConnectionResponseSchema,
  closeSessionResponseSchema,
  contactPnLidResponseSchema,
  generateTokenResponseSchema,
  listChatsResponseSchema,
  messageListResponseSchema,
  sendFileResponseSchema,
  sendMessageResponseSchema,
  sessionStatusResponseSchema,
  startSessionResponseSchema,
  type chatSchema,
  type wppMessageSchema,
} from './schemas';
import type {
  IWhatsAppService,
  MediaDownload,
  MediaDownloadOptions,
  SendFileInput,
  SendTextInput,
  SentMessage,
  SessionState,
  SessionStatus,
  WppChat,
  WppMessage,
} from './types';

export interface WppConnectClientOptions {
  /** API base including `/api`, e.g. `http://localhost:21465/api` (WPPCONNECT_URL). */
  baseUrl: string;
  secretKey?: string;
  /** Read on every token generation, so a rotated secret is picked up without a restart. */
  getSecretKey?: () => string | Promise<string>;
  timeoutMs: number;
  /**
   * Largest response body read from any call but get-media-by-message (which is capped by the caller's
   * maxBytes): checked against Content-Length, then counted while the body streams. Default 32 MiB.
   */
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
  logger?: Logger;
  /**
   * Attempts of an idempotent non-send call (status, start/close, QR, chat and message reads, contact
   * look-ups) while it fails transiently (WPPCONNECT_MAX_RETRIES, default 3); the caller decides after
   * that. Sends and media downloads are attempted once here: their activities own their retries.
   */
  maxAttempts?: number;
  /** First pause between those attempts, doubled each time (default 500 ms, at most 5 s). */
  retryDelayMs?: number;
}

/** The methods maxAttempts applies to: asking again cannot do anything twice. */
const RETRIED_METHODS: ReadonlySet<string> = new Set([
  'getSessionStatus',
  'checkConnection',
  'getQrCode',
  'startSession',
  'closeSession',
  'listChats',
  'getUnreadMessages',
  'getMessages',
  'getPhoneForLid',
]);

/** Bodies of ordinary calls (chat lists, messages, a QR PNG) stay far below this. */
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Error bodies are short; more is not worth reading. */
const ERROR_BODY_BYTES = 64 * 1024;
/** get-media-by-message: the JSON around the base64 value (mimetype, an injected session name). */
const MEDIA_JSON_OVERHEAD_BYTES = 64 * 1024;

/**
 * The webhook URL handed to start-session. WPPConnect cannot send headers, so the token rides in the path;
 * the session name does too, because some events carry no `session` field (wppconnect/CONTRACT.md §5.1).
 */
export function webhookUrlFor(publicUrl: string, session: string, webhookToken: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/api/webhook/${encodeURIComponent(session)}/${encodeURIComponent(webhookToken)}`;
}

interface HttpResult {
  status: number;
  contentType: string;
  raw: Buffer;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
}

interface CallSpec {
  operation: string;
  method: 'GET' | 'POST';
  /** Path after `/{session}/`. */
  path: string;
  body?: unknown;
  read?: ReadOptions;
}

interface ReadOptions {
  /** Body bytes allowed (default: the client's maxResponseBytes). */
  limit?: number;
  /** Takes a 200 JSON body as it streams instead of buffering it; its errors pass through unchanged. */
  stream?: (chunk: Buffer) => Promise<void>;
  /** Replaces the per-call timeout for the whole exchange (a large download). */
  signal?: AbortSignal;
}

// Avoids the session-key injection and hang quirks that only trigger on the exact `application/json` (§0.3).
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const INVALID_TOKEN = /^Check that (the|a) Session and Token are correct/;

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function textOf(result: HttpResult): string {
  return result.raw.subarray(0, 400).toString('utf8');
}

function isInvalidTokenBody(json: unknown): boolean {
  const error = asRecord(json).error;
  return typeof error === 'string' && INVALID_TOKEN.test(error);
}

function toSessionStatus(json: z.infer<typeof startSessionResponseSchema>): SessionStatus {
  const version = typeof json.version === 'string' ? json.version : undefined;
  if (json.status === 'qrcode') return { state: 'QRCODE', qrAvailable: true, version };
  if (json.status === 'phoneCode') return { state: 'PHONECODE', qrAvailable: false, version };
  if (json.status === null) return { state: 'CLOSED', qrAvailable: false, version };
  const state: SessionState = json.status;
  // Stale QR data survives login and timeouts: only a QRCODE status means it can be scanned.
  return { state, qrAvailable: state === 'QRCODE' && typeof json.qrcode === 'string', version };
}

function toWppMessage(raw: z.infer<typeof wppMessageSchema>): WppMessage {
  const from = widToString(raw.from) ?? '';
  const to = widToString(raw.to) ?? '';
  const fromMe = raw.fromMe ?? raw.id.startsWith('true_');
  const chatId = widToString(raw.chatId) ?? chatIdFromMessageId(raw.id) ?? (fromMe ? to : from);
  const msg: WppMessage = {
    id: raw.id,
    chatId,
    from,
    to,
    fromMe,
    type: raw.type,
    t: raw.t ?? raw.timestamp ?? 0,
    isGroupMsg: raw.isGroupMsg ?? chatId.endsWith('@g.us'),
  };
  const author = widToString(raw.author);
  if (author) msg.author = author;
  // Media bodies are thumbnails or whole files in base64: keep them out of workflow history.
  if (raw.body && (isTextType(raw.type) || !(isMediaType(raw.type) || raw.type === 'location'))) msg.body = raw.body;
  if (raw.caption) msg.caption = raw.caption;
  if (raw.filename) msg.filename = raw.filename;
  if (raw.mimetype) msg.mimetype = raw.mimetype;
  if (typeof raw.size === 'number' && Number.isFinite(raw.size)) msg.size = raw.size;
  if (raw.notifyName) msg.notifyName = raw.notifyName;
  const senderName = raw.sender?.pushname ?? raw.sender?.name ?? raw.sender?.formattedName;
  if (senderName) msg.senderName = senderName;
  if (typeof raw.lat === 'number') msg.lat = raw.lat;
  if (typeof raw.lng === 'number') msg.lng = raw.lng;
  if (raw.loc) msg.loc = raw.loc;
  if (raw.quotedMsgId) msg.quotedMsgId = raw.quotedMsgId;
  if (typeof raw.ack === 'number') msg.ack = raw.ack;
  return msg;
}

function toWppChat(raw: z.infer<typeof chatSchema>): WppChat {
  const id = widToString(raw.id) ?? '';
  const chat: WppChat = {
    id,
    t: raw.t ?? 0,
    unreadCount: raw.unreadCount ?? 0,
    isGroup: raw.isGroup ?? id.endsWith('@g.us'),
  };
  const name = raw.name ?? raw.contact?.name ?? raw.contact?.pushname ?? undefined;
  if (name) chat.name = name;
  return chat;
}

function dataUri(base64: string, mimetype: string): string {
  if (base64.startsWith('data:')) return base64;
  return `data:${mimetype.replace(/\s+/g, '')};base64,${base64}`;
}

export function createWppConnectClient(opts: WppConnectClientOptions): IWhatsAppService {
  if (opts.secretKey === undefined && opts.getSecretKey === undefined) {
    throw new Error('createWppConnectClient needs secretKey or getSecretKey');
  }
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const tokens = new Map<string, string>();
  const pendingTokens = new Map<string, Promise<string>>();
  let lastSecret = opts.secretKey ?? '';

  async function secret(): Promise<string> {
    lastSecret = opts.getSecretKey ? await opts.getSecretKey() : (opts.secretKey ?? '');
    return lastSecret;
  }

  function scrub(text: string): string {
    return scrubExcerpt(text, [lastSecret]);
  }

  function transportError(operation: string, err: unknown): WppTransientError {
    // Never echo the URL (it can carry the secret) or the request. DOMException (abort/timeout) has a
    // numeric `code`: prefer the string code, then the name.
    const e = err as { code?: unknown; name?: unknown };
    const reason = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'request failed';
    return new WppTransientError(`${operation}: ${reason}`, { status: 0, bodyExcerpt: reason, operation });
  }

  function tooLarge(operation: string, status: number, limit: number, seen: number): WppResponseTooLargeError {
    return new WppResponseTooLargeError(`${operation}: response of at least ${seen} bytes is over ${limit}`, {
      status,
      operation,
      limit,
      seen,
    });
  }

  /**
   * One HTTP exchange. The body is never read past its cap: a Content-Length over it ends the call before
   * any byte is read, and the bytes are counted as they stream for servers that announce nothing.
   */
  async function http(
    operation: string,
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: unknown,
    read: ReadOptions = {},
  ): Promise<HttpResult> {
    const allHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    if (body !== undefined) allHeaders['content-type'] = JSON_CONTENT_TYPE;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        headers: allHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: opts.dispatcher,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
        signal: read.signal ?? AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      throw transportError(operation, err);
    }
    const contentType = String(res.headers['content-type'] ?? '');
    const isJson = /json/i.test(contentType);
    const streaming = read.stream !== undefined && res.statusCode === 200 && isJson;
    const limit = res.statusCode >= 400 ? ERROR_BODY_BYTES : (read.limit ?? maxResponseBytes);
    const chunks: Buffer[] = [];
    let seen = 0;
    let finished = false;
    try {
      const announced = Number(res.headers['content-length']);
      if (Number.isFinite(announced) && announced > limit) {
        // An error body is only read for its start; anything else that big is refused unread.
        if (res.statusCode < 400) throw tooLarge(operation, res.statusCode, limit, announced);
      }
      const chunksOf = res.body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = (await chunksOf.next()) as IteratorResult<Buffer>;
        } catch (err) {
          throw transportError(operation, err);
        }
        if (next.done) break;
        const chunk = next.value;
        seen += chunk.length;
        if (seen > limit) {
          if (res.statusCode >= 400) {
            chunks.push(chunk.subarray(0, chunk.length - (seen - limit)));
            break;
          }
          throw tooLarge(operation, res.statusCode, limit, seen);
        }
        if (streaming && read.stream) await read.stream(chunk);
        else chunks.push(chunk);
      }
      finished = true;
    } finally {
      if (!finished || !res.body.readableEnded) {
        // Cut the transfer off; undici reports that as an error event nobody else is waiting for.
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
    }
    const raw = Buffer.concat(chunks);
    let json: unknown;
    if (isJson && raw.length > 0) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    return { status: res.statusCode, contentType, raw, json };
  }

  function fail(operation: string, result: HttpResult): never {
    const json = asRecord(result.json);
    const message = typeof json.message === 'string' ? json.message : '';
    const details = { status: result.status, bodyExcerpt: scrub(textOf(result)), operation };
    if (result.status === 404 && (json.status === 'Disconnected' || /não está ativa/.test(message))) {
      throw new WppSessionUnavailableError(`${operation}: WhatsApp session is not active`, details);
    }
    if (result.status === 400 && /n[aã]o existe/i.test(message)) {
      throw new WppRecipientNotFoundError(`${operation}: recipient does not exist on WhatsApp`, details);
    }
    if (result.status === 401 && json.response === 'Error on open list') {
      throw new WppOperationFailedError(`${operation}: chat could not be opened`, details);
    }
    if (result.status === 401 && (isInvalidTokenBody(json) || /Token is not present/.test(message))) {
      throw new WppAuthError(`${operation}: token rejected`, details);
    }
    if (result.status >= 500 || result.status === 408 || result.status === 429) {
      throw new WppTransientError(`${operation}: server error ${result.status}`, details);
    }
    throw new WppProtocolError(`${operation}: unexpected response ${result.status}`, details);
  }

  function parse<S extends z.ZodType>(operation: string, result: HttpResult, schema: S): z.infer<S> {
    const parsed = schema.safeParse(result.json);
    if (!parsed.success) {
      throw new WppProtocolError(`${operation}: unexpected response shape`, {
        status: result.status,
        bodyExcerpt: scrub(textOf(result)),
        operation,
      });
    }
    return parsed.data;
  }

  async function generate(session: string): Promise<string> {
    const operation = 'generate-token';
    const key = await secret();
    const url = `${baseUrl}/${encodeURIComponent(session)}/${encodeURIComponent(key)}/generate-token`;
    const result = await http(operation, 'POST', url, {});
    if (result.status === 400) {
      throw new WppSecretRejectedError('generate-token: the server rejected the secret key', {
        status: 400,
        bodyExcerpt: scrub(textOf(result)),
        operation,
      });
    }
    if (result.status !== 201 && result.status !== 200) fail(operation, result);
    const token = parse(operation, result, generateTokenResponseSchema).token;
    opts.logger?.debug({ operation, session }, 'wppconnect token generated');
    return token;
  }

  async function tokenFor(session: string): Promise<string> {
    const cached = tokens.get(session);
    if (cached !== undefined) return cached;
    let pending = pendingTokens.get(session);
    if (!pending) {
      // One generation per session at a time: concurrent callers share it.
      pending = generate(session)
        .then((token) => {
          tokens.set(session, token);
          return token;
        })
        .finally(() => pendingTokens.delete(session));
      pendingTokens.set(session, pending);
    }
    return pending;
  }

  async function call(session: string, spec: CallSpec): Promise<HttpResult> {
    const url = `${baseUrl}/${encodeURIComponent(session)}/${spec.path}`;
    const send = async (token: string) =>
      http(spec.operation, spec.method, url, { authorization: `Bearer ${token}` }, spec.body, spec.read);
    const token = await tokenFor(session);
    const first = await send(token);
    if (first.status !== 401 || !isInvalidTokenBody(first.json)) return first;
    // A token never expires, so a rejection means the secret (or the session name) changed:
    // regenerate once, and only if nobody else already replaced this token meanwhile.
    if (tokens.get(session) === token) tokens.delete(session);
    opts.logger?.warn(
      { event: LogEvent.WhatsAppApiError, operation: spec.operation, session },
      'WhatsApp API token rejected, regenerating',
    );
    const second = await send(await tokenFor(session));
    if (second.status === 401 && isInvalidTokenBody(second.json)) fail(spec.operation, second);
    return second;
  }

  async function expect<S extends z.ZodType>(
    session: string,
    spec: CallSpec,
    okStatuses: number[],
    schema: S,
  ): Promise<z.infer<S>> {
    const result = await call(session, spec);
    if (!okStatuses.includes(result.status)) fail(spec.operation, result);
    return parse(spec.operation, result, schema);
  }

  function recipient(operation: string, to: string): WppRecipientFields {
    const fields = toRecipientFields(to);
    if (!fields) {
      throw new WppRecipientNotFoundError(`${operation}: not a valid WhatsApp recipient`, { status: 0, operation });
    }
    return fields;
  }

  async function sendFile(
    session: string,
    operation: 'send-image' | 'send-file-base64',
    input: SendFileInput,
    extra: Record<string, unknown>,
  ): Promise<SentMessage> {
    const target = recipient(operation, input.to);
    const body = {
      ...target,
      base64: dataUri(input.base64, input.mimetype),
      filename: input.filename ?? 'file',
      caption: input.caption,
      ...extra,
    };
    const parsed = await expect(
      session,
      { operation, method: 'POST', path: operation, body },
      [200, 201],
      sendFileResponseSchema,
    );
    const first = parsed.response[0];
    if (!first) throw new WppProtocolError(`${operation}: empty response`, { status: 201, operation });
    return {
      messageId: first.id,
      chatId: chatIdFromMessageId(first.id) ?? input.to,
      ack: first.ack,
    };
  }

  async function closeLike(session: string, operation: 'close-session' | 'logout-session'): Promise<void> {
    const result = await call(session, { operation, method: 'POST', path: operation, body: {} });
    const parsed = closeSessionResponseSchema.safeParse(result.json);
    if (result.status === 200 && parsed.success && parsed.data.status) return;
    if (result.status === 500 && parsed.success && !parsed.data.status) {
      // Deterministic: the session is not running (or still starting); retrying gives the same.
      throw new WppOperationFailedError(`${operation}: ${parsed.data.message}`, {
        status: 500,
        bodyExcerpt: scrub(textOf(result)),
        operation,
      });
    }
    fail(operation, result);
  }

  const service: IWhatsAppService = {
    async generateToken(session) {
      tokens.delete(session);
      await tokenFor(session);
    },

    async validateToken(session) {
      try {
        const result = await call(session, { operation: 'status-session', method: 'GET', path: 'status-session' });
        return result.status !== 401;
      } catch (err) {
        if (err instanceof WppAuthError || err instanceof WppSecretRejectedError) return false;
        throw err;
      }
    },

    async startSession(session, { webhookUrl, waitQrCode }) {
      const body = { webhook: webhookUrl, waitQrCode: waitQrCode ?? false };
      const json = await expect(
        session,
        { operation: 'start-session', method: 'POST', path: 'start-session', body },
        [200, 201],
        startSessionResponseSchema,
      );
      return toSessionStatus(json);
    },

    async getSessionStatus(session) {
      const json = await expect(
        session,
        { operation: 'status-session', method: 'GET', path: 'status-session' },
        [200],
        sessionStatusResponseSchema,
      );
      return toSessionStatus(json);
    },

    async getQrCode(session) {
      const operation = 'qrcode-session';
      const result = await call(session, { operation, method: 'GET', path: operation });
      if (result.status !== 200) fail(operation, result);
      // The route answers 200 either way: a PNG when a QR is known, JSON when not (§2.4).
      if (result.contentType.startsWith('image/png')) return result.raw;
      if (result.json !== undefined) return null;
      throw new WppProtocolError(`${operation}: unexpected content type`, { status: 200, operation });
    },

    async checkConnection(session) {
      const json = await expect(
        session,
        { operation: 'check-connection-session', method: 'GET', path: 'check-connection-session' },
        [200],
        checkConnectionResponseSchema,
      );
      return json.status;
    },

    async closeSession(session) {
      await closeLike(session, 'close-session');
    },

    async logoutSession(session) {
      await closeLike(session, 'logout-session');
    },

    async sendText(session, input: SendTextInput) {
      const operation = 'send-message';
      const target = recipient(operation, input.to);
      const body = {
        ...target,
        message: input.text,
        ...(input.quotedMessageId ? { options: { quotedMsg: input.quotedMessageId } } : {}),
      };
      const parsed = await expect(
        session,
        { operation, method: 'POST', path: operation, body },
        [200, 201],
        sendMessageResponseSchema,
      );
      const first = parsed.response[0];
      if (!first) throw new WppProtocolError(`${operation}: empty response`, { status: 201, operation });
      return {
        messageId: first.id,
        chatId: widToString(first.chatId) ?? widToString(first.to) ?? chatIdFromMessageId(first.id) ?? input.to,
        ack: first.ack ?? 1,
      };
    },

    async sendImage(session, input) {
      return sendFile(session, 'send-image', input, {});
    },

    async sendDocument(session, input) {
      return sendFile(session, 'send-file-base64', input, { options: { type: 'document' } });
    },

    async listChats(session, listOpts) {
      const body = { count: listOpts?.count ?? 50, ...(listOpts?.onlyUsers ? { onlyUsers: true } : {}) };
      const chats = await expect(
        session,
        { operation: 'list-chats', method: 'POST', path: 'list-chats', body },
        [200],
        listChatsResponseSchema,
      );
      return chats.map(toWppChat);
    },

    async getPhoneForLid(session, lid) {
      const operation = 'contact/pn-lid';
      const json = await expect(
        session,
        { operation, method: 'GET', path: `${operation}/${encodeURIComponent(lid)}` },
        [200],
        contactPnLidResponseSchema,
      );
      const phone = widToString(json.phoneNumber);
      return phone === undefined ? null : normalizePhone(phone);
    },

    async getUnreadMessages(session) {
      const json = await expect(
        session,
        { operation: 'all-unread-messages', method: 'GET', path: 'all-unread-messages' },
        [200],
        messageListResponseSchema,
      );
      return json.response.map(toWppMessage);
    },

    async getMessages(session, chatId, msgOpts) {
      const query = new URLSearchParams({ count: String(msgOpts?.count ?? 20), direction: 'before' });
      if (msgOpts?.beforeMessageId) query.set('id', msgOpts.beforeMessageId);
      const json = await expect(
        session,
        {
          operation: 'get-messages',
          method: 'GET',
          path: `get-messages/${encodeURIComponent(chatId)}?${query.toString()}`,
        },
        [200],
        messageListResponseSchema,
      );
      return json.response.map(toWppMessage).sort((a, b) => a.t - b.t);
    },

    async getMediaByMessage(session, messageId, download: MediaDownloadOptions): Promise<MediaDownload> {
      const operation = 'get-media-by-message';
      const parser = new MediaBodyParser({ maxBytes: download.maxBytes, onBytes: (chunk) => download.write(chunk) });
      const result = await call(session, {
        operation,
        method: 'GET',
        path: `${operation}/${encodeURIComponent(messageId)}`,
        read: {
          // The base64 of maxBytes, plus the JSON around it.
          limit: Math.ceil(download.maxBytes / 3) * 4 + MEDIA_JSON_OVERHEAD_BYTES,
          stream: (chunk) => parser.push(chunk),
          signal: download.signal,
        },
      });
      if (result.status === 400) {
        // An unknown message (or one without media); the real server answers 500 for download failures.
        throw new WppOperationFailedError(`${operation}: media not available`, {
          status: 400,
          bodyExcerpt: scrub(textOf(result)),
          operation,
        });
      }
      if (result.status !== 200) fail(operation, result);
      if (!/json/i.test(result.contentType)) {
        throw new WppProtocolError(`${operation}: unexpected content type`, { status: 200, operation });
      }
      const parsed = await parser.end();
      if (parsed.mimetype === undefined) {
        throw new WppProtocolError(`${operation}: no mimetype in the answer`, { status: 200, operation });
      }
      return { mimetype: parsed.mimetype, bytes: parsed.bytes };
    },
  };

  return withRetriesAndLogging(service, {
    maxAttempts: opts.maxAttempts ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 500,
    logger: opts.logger,
  });
}

/**
 * Every method: a WppError is logged once, when the caller gets it, as event 2001 "WhatsApp API Error" with
 * the server's answer (digits masked); the idempotent non-send ones are first tried again on a transient
 * failure, up to maxAttempts in all.
 */
function withRetriesAndLogging(
  service: IWhatsAppService,
  opts: { maxAttempts: number; retryDelayMs: number; logger?: Logger },
): IWhatsAppService {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(service) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    const attempts = RETRIED_METHODS.has(name) ? Math.max(1, opts.maxAttempts) : 1;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await method(...args);
        } catch (err) {
          if (attempt < attempts && err instanceof WppTransientError) {
            await new Promise((r) => setTimeout(r, Math.min(opts.retryDelayMs * 2 ** (attempt - 1), 5_000)));
            continue;
          }
          if (isWppError(err)) {
            opts.logger?.warn(
              {
                event: LogEvent.WhatsAppApiError,
                operation: err.operation,
                session: typeof args[0] === 'string' ? args[0] : undefined,
                type: err.type,
                status: err.status,
                attempts: attempt,
                answer: err.bodyExcerpt === undefined ? undefined : maskDigits(err.bodyExcerpt),
              },
              'WhatsApp API Error',
            );
          }
          throw err;
        }
      }
    };
  }
  return wrapped as unknown as IWhatsAppService;
}
