/**
 * The HTTP face of the simulator: WPPConnect Server's routes under /api with its auth, status
 * codes, bodies and quirks (wppconnect/CONTRACT.md §0-§4), plus the /__sim control routes. Plain node:http so
 * headers and the "never answers" quirks can be reproduced exactly.
 */
import bcrypt from 'bcryptjs';
import { widObject } from '../wppconnect/ids';
import { handleControl } from './control';
import { notFound, sendJson, type RequestContext } from './respond';
import type { SimEngine, SimSession } from './engine';
import { chatJson, restMessage, type Json, type SimMessageKind } from './payloads';

const SESSION_NOT_ACTIVE = {
  response: null,
  status: 'Disconnected',
  message: 'A sessão do WhatsApp não está ativa.',
};
const SEND_ERROR = { status: 'Error', message: 'Erro ao enviar a mensagem.', error: { level: 'error' } };
const TOKEN_MISSING = { message: 'Token is not present. Check your header and try again' };
const TOKEN_INVALID = { error: 'Check that the Session and Token are correct' };

function asJson(body: unknown): Json {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Json) : {};
}

/** Query-string booleans are parsed to real booleans; body fields keep JS truthiness (§0.2). */
function queryBool(value: string | null): boolean {
  return value === 'true' || value === '1';
}

// ---------------------------------------------------------------------------------------------
// Auth (§1)

export function createTokenVerifier(engine: SimEngine) {
  const cache = new Map<string, boolean>();
  return async (session: string, token: string): Promise<boolean> => {
    // The server compares on every call (one bcrypt each); the cache only saves our CPU.
    const normalized = token.replace(/_/g, '/').replace(/-/g, '+');
    const key = `${engine.secretKey}\n${session}\n${normalized}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    let ok = false;
    try {
      ok = await bcrypt.compare(session + engine.secretKey, normalized);
    } catch {
      ok = false;
    }
    if (cache.size > 2000) cache.clear();
    cache.set(key, ok);
    return ok;
  };
}

export async function mintToken(session: string, secretKey: string): Promise<string> {
  const hash = await bcrypt.hash(session + secretKey, 10);
  // Same algorithm and cost as the real server ($2b$10$); `/` and `+` made URL-path safe.
  return hash
    .replace(/^\$2[aby]\$/, '$2b$')
    .replace(/\//g, '_')
    .replace(/\+/g, '-');
}

// ---------------------------------------------------------------------------------------------
// Recipients (§3.1)

interface Recipient {
  digits: string;
  id: string;
  checkExists: boolean;
}

function recipientsOf(body: Json): Recipient[] {
  const raw = body.phone;
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/[,;]/) : [];
  const isGroup = Boolean(body.isGroup);
  const isNewsletter = Boolean(body.isNewsletter);
  const isLid = Boolean(body.isLid);
  const out: Recipient[] = [];
  for (const entry of list) {
    let value = entry.split('@')[0] ?? '';
    if (!isGroup && !isNewsletter) value = value.replace(/[^\w ]/g, '');
    if (value.length === 0) continue;
    const suffix = isGroup ? '@g.us' : isNewsletter ? '@newsletter' : isLid || value.length > 14 ? '@lid' : '@c.us';
    out.push({ digits: value, id: `${value}${suffix}`, checkExists: !isGroup && !isNewsletter });
  }
  return out;
}

function mediaKindOf(mimetype: string, override: unknown): SimMessageKind {
  if (override === 'image' || override === 'video' || override === 'document' || override === 'sticker')
    return override;
  if (override === 'audio') return 'audio';
  if (mimetype.startsWith('image/')) return 'image';
  if (mimetype.startsWith('video/')) return 'video';
  if (mimetype.startsWith('audio/')) return 'audio';
  return 'document';
}

function parseDataUri(value: string): { mimetype: string; base64: string } | null {
  const m = /^data:([^,]*?);base64,(.*)$/s.exec(value);
  if (!m) return null;
  return { mimetype: (m[1] ?? '').replace(/;(?!\s)/g, '; ') || 'application/octet-stream', base64: m[2] ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Routing

export interface HttpDeps {
  engine: SimEngine;
  verify: (session: string, token: string) => Promise<boolean>;
  startedAt: number;
  /** Session the control routes act on when the body names none. */
  defaultSession: string;
}

/** Routes behind the statusConnection middleware (a live client is required, §3.2). */
const NEEDS_CLIENT = new Set([
  'logout-session',
  'send-message',
  'send-image',
  'send-file',
  'send-file-base64',
  'send-voice-base64',
  'list-chats',
  'all-unread-messages',
  'unread-messages',
  'get-messages',
  'message-by-id',
  'get-media-by-message',
  'check-number-status',
  'chat-by-id',
  'contact',
]);
const SESSION_ROUTES = new Set([
  'start-session',
  'status-session',
  'qrcode-session',
  'check-connection-session',
  'close-session',
  ...NEEDS_CLIENT,
]);
const SEND_ROUTES = new Set(['send-message', 'send-image', 'send-file', 'send-file-base64', 'send-voice-base64']);
const ROUTE_METHODS: Record<string, string> = {
  'start-session': 'POST',
  'close-session': 'POST',
  'logout-session': 'POST',
  'send-message': 'POST',
  'send-image': 'POST',
  'send-file': 'POST',
  'send-file-base64': 'POST',
  'send-voice-base64': 'POST',
  'list-chats': 'POST',
};

/** Value of the injected `session` key: the client's name, '' when never started, none after a reset. */
function injectNameOf(s: SimSession): string | undefined {
  if (s.record === 'none') return '';
  if (s.record === 'reset' || s.nameless) return undefined;
  return s.name;
}

export async function handleRequest(deps: HttpDeps, ctx: RequestContext): Promise<void> {
  const { engine } = deps;
  const seg = ctx.segments;
  ctx.res.setHeader('X-Powered-By', 'Express');
  ctx.res.setHeader('Access-Control-Allow-Origin', '*');

  if (seg[0] === '__sim') {
    handleControl(engine, ctx, deps.defaultSession);
    return;
  }
  if (seg[0] === 'healthz' && seg.length === 1 && ctx.method === 'GET') {
    if (ctx.exactJson) return; // §0.3: never answers
    sendJson(ctx, 200, { uptime: (Date.now() - deps.startedAt) / 1000, message: 'OK', timestamp: Date.now() });
    return;
  }
  if (seg[0] !== 'api' || seg.length < 3) {
    notFound(ctx);
    return;
  }

  const faults = engine.faults;
  if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
  if (engine.rng.chance(faults.hangRate)) return; // never answers: the caller must time out

  // Secret-key routes (§1.1, §1.4)
  if (seg.length === 4 && seg[3] === 'generate-token' && ctx.method === 'POST') {
    const session = seg[1] ?? '';
    if (seg[2] !== engine.secretKey) {
      sendJson(ctx, 400, { response: false, message: 'The SECRET_KEY is incorrect' });
      return;
    }
    const token = await mintToken(session, engine.secretKey);
    sendJson(ctx, 201, { status: 'success', session, token, full: `${session}:${token}` });
    return;
  }
  if (seg.length === 3 && seg[2] === 'show-all-sessions' && ctx.method === 'GET') {
    if (seg[1] !== engine.secretKey) sendJson(ctx, 400, { response: false, message: 'The token is incorrect' });
    else sendJson(ctx, 200, { response: [...engine.storedConfigs.keys()] });
    return;
  }
  if (seg.length === 3 && seg[2] === 'start-all' && ctx.method === 'POST') {
    if (seg[1] !== engine.secretKey) sendJson(ctx, 400, { response: 'error', message: 'The token is incorrect' });
    else sendJson(ctx, 201, { status: 'success', message: 'Starting all sessions' });
    // Quirk: the sessions are started even when the secret was wrong.
    for (const name of engine.storedConfigs.keys()) engine.startSession(name, {});
    return;
  }

  const route = seg[2] ?? '';
  if (!SESSION_ROUTES.has(route) || (ROUTE_METHODS[route] ?? 'GET') !== ctx.method) {
    notFound(ctx);
    return;
  }

  // verifyToken (§1.2): `session:token` in the path wins over the header.
  const segment = seg[1] ?? '';
  let session = segment;
  let token: string | undefined;
  const colon = segment.indexOf(':');
  if (colon !== -1) {
    session = segment.slice(0, colon);
    token = segment.slice(colon + 1);
  } else {
    token = String(ctx.req.headers.authorization ?? '').split(' ')[1];
  }
  if (!token) {
    sendJson(ctx, 401, TOKEN_MISSING);
    return;
  }
  if (!(await deps.verify(session, token))) {
    sendJson(ctx, 401, TOKEN_INVALID);
    return;
  }

  const s = engine.session(session);
  const reply = (status: number, body: unknown): void => sendJson(ctx, status, body, injectNameOf(s));
  if (NEEDS_CLIENT.has(route) && !s.client) {
    reply(404, SESSION_NOT_ACTIVE);
    return;
  }
  if (SEND_ROUTES.has(route) && engine.rng.chance(faults.send5xxRate)) {
    reply(500, SEND_ERROR);
    return;
  }
  await sessionRoute(deps, ctx, s, route, reply);
}

async function sessionRoute(
  deps: HttpDeps,
  ctx: RequestContext,
  s: SimSession,
  route: string,
  reply: (status: number, body: unknown) => void,
): Promise<void> {
  const { engine } = deps;
  const body = asJson(ctx.body);
  switch (route) {
    case 'start-session': {
      // The answer is computed before the session object exists: a fresh one echoes `session: ""`.
      const injectName = injectNameOf(s);
      const outcome = engine.startSession(s.name, body);
      if ('respond' in outcome) sendJson(ctx, 200, outcome.respond, injectName);
      else s.waiters.push((b) => reply(200, b));
      return;
    }
    case 'status-session': {
      const qr = s.record === 'live' && s.urlcode ? await engine.qrDataUrl(s.urlcode) : null;
      reply(200, engine.statusBody(s, qr));
      return;
    }
    case 'qrcode-session': {
      if (s.record === 'none') {
        reply(200, {
          status: null,
          message: 'Session not started. Please, use the /start-session route, for initialization your session',
        });
        return;
      }
      if (s.urlcode) {
        if (ctx.exactJson) return; // a non-JSON body under the §0.3 middleware never answers
        const png = await engine.qrPng(s.urlcode);
        ctx.res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length });
        ctx.res.end(png);
        return;
      }
      reply(200, { status: s.status, message: 'QRCode is not available...' });
      return;
    }
    case 'check-connection-session':
      reply(200, s.client ? { status: true, message: 'Connected' } : { status: false, message: 'Disconnected' });
      return;
    case 'close-session': {
      const result = engine.closeSession(s.name);
      reply(result.status, result.body);
      return;
    }
    case 'logout-session':
      engine.logoutSession(s.name, (status, b) => reply(status, b));
      return;
    case 'send-message':
      sendMessage(engine, ctx, s, body, reply);
      return;
    case 'send-image':
    case 'send-file':
    case 'send-file-base64':
    case 'send-voice-base64':
      sendFile(engine, ctx, s, route, body, reply);
      return;
    default:
      readRoute(engine, ctx, s, route, body, reply);
  }
}

function checkRecipients(
  engine: SimEngine,
  recipients: Recipient[],
  reply: (status: number, body: unknown) => void,
): boolean {
  for (const r of recipients) {
    if (r.checkExists && !engine.numberExists(r.id)) {
      reply(400, { response: null, status: 'Connected', message: `O número ${r.digits} não existe.` });
      return false;
    }
  }
  // The controller answers every exception of the send itself with the same 500, permanent ones included.
  if (recipients.some((r) => engine.faults.failingNumbers.includes(r.digits))) {
    reply(500, SEND_ERROR);
    return false;
  }
  return true;
}

function sendMessage(
  engine: SimEngine,
  ctx: RequestContext,
  s: SimSession,
  body: Json,
  reply: (status: number, body: unknown) => void,
): void {
  const recipients = recipientsOf(body);
  if (recipients.length === 0) {
    // §3.3: the intended 400 is swallowed when the request was exact application/json.
    if (ctx.exactJson) reply(201, { status: 'success', response: [], mapper: 'return' });
    else sendJson(ctx, 400, 'Error sending message');
    return;
  }
  if (!checkRecipients(engine, recipients, reply)) return;
  const options = asJson(body.options);
  const quoted = typeof options.quotedMsg === 'string' ? options.quotedMsg : undefined;
  const text = typeof body.message === 'string' ? body.message : '';
  const response = recipients.map((r) =>
    engine.sendMessage(s.name, 'send-message', r.id, { kind: 'chat', text, quotedMsgId: quoted }),
  );
  reply(201, { status: 'success', response, mapper: 'return' });
}

function sendFile(
  engine: SimEngine,
  ctx: RequestContext,
  s: SimSession,
  route: string,
  body: Json,
  reply: (status: number, body: unknown) => void,
): void {
  const source = route === 'send-voice-base64' ? body.base64Ptt : (body.base64 ?? body.path);
  if (typeof source !== 'string' || source.length === 0) {
    if (ctx.multipart && route !== 'send-voice-base64') reply(401, { message: 'Sending the file is mandatory' });
    else reply(500, SEND_ERROR);
    return;
  }
  let media: { mimetype: string; base64: string } | null;
  if (/^https?:\/\//.test(source)) media = { mimetype: 'application/octet-stream', base64: '' };
  else media = parseDataUri(source); // bare base64 is taken for a path on disk and fails (§3.3)
  if (!media) {
    reply(500, SEND_ERROR);
    return;
  }
  const recipients = recipientsOf(body);
  if (recipients.length === 0) {
    reply(500, SEND_ERROR);
    return;
  }
  if (!checkRecipients(engine, recipients, reply)) return;
  const options = asJson(body.options);
  const kind: SimMessageKind = route === 'send-voice-base64' ? 'ptt' : mediaKindOf(media.mimetype, options.type);
  const caption =
    typeof body.caption === 'string' ? body.caption : typeof body.message === 'string' ? body.message : undefined;
  const filename = typeof body.filename === 'string' ? body.filename : 'file';
  const quoted = typeof body.quotedMessageId === 'string' ? body.quotedMessageId : undefined;
  const response = recipients.map((r) => {
    const json = engine.sendMessage(s.name, route, r.id, {
      kind,
      caption,
      filename: kind === 'document' ? filename : undefined,
      quotedMsgId: quoted,
      media: media ?? undefined,
    });
    return { ack: 1, id: json.id };
  });
  reply(201, { status: 'success', response, mapper: 'return' });
}

function readRoute(
  engine: SimEngine,
  ctx: RequestContext,
  s: SimSession,
  route: string,
  body: Json,
  reply: (status: number, body: unknown) => void,
): void {
  const chats = engine.chatsOf(s.name);
  const param = ctx.segments.slice(3).join('/');
  switch (route) {
    case 'list-chats': {
      let list = [...chats.values()].sort((a, b) => b.info.t - a.info.t);
      if (body.onlyGroups) list = list.filter((c) => c.info.id.endsWith('@g.us'));
      if (body.onlyUsers) list = list.filter((c) => !c.info.id.endsWith('@g.us'));
      if (body.onlyWithUnreadMessage) list = list.filter((c) => c.info.unreadCount > 0);
      const count = typeof body.count === 'number' && body.count > 0 ? body.count : list.length;
      reply(
        200,
        list.slice(0, count).map((c) => chatJson(c.info, engine.ownId)),
      );
      return;
    }
    case 'all-unread-messages': {
      const response = [...chats.values()]
        .filter((c) => c.info.unreadCount > 0)
        .flatMap((c) => c.messages.slice(-c.info.unreadCount).map((m) => restMessage(m.json)));
      reply(200, { status: 'success', response });
      return;
    }
    case 'unread-messages': {
      const unread = [...chats.values()].filter((c) => c.info.unreadCount > 0);
      const response = unread.map((c) => ({
        ...chatJson(c.info, engine.ownId),
        messages: c.messages.slice(-c.info.unreadCount).map((m) => restMessage(m.json)),
      }));
      for (const c of unread) c.info.unreadCount = 0; // the route resets the flags as a side effect
      reply(200, { status: 'success', response });
      return;
    }
    case 'get-messages': {
      const chat = chats.get(param);
      if (!chat) {
        reply(401, { status: 'error', response: 'Error on open list', error: { level: 'error' } });
        return;
      }
      const countParam = Number(ctx.url.searchParams.get('count') ?? '20');
      const direction = ctx.url.searchParams.get('direction') ?? 'before';
      const anchorId = ctx.url.searchParams.get('id');
      let list = chat.messages;
      if (anchorId) {
        const index = list.findIndex((m) => m.json.id === anchorId);
        list = index === -1 ? [] : direction === 'after' ? list.slice(index + 1) : list.slice(0, index);
      }
      if (countParam !== -1 && Number.isFinite(countParam)) {
        list = direction === 'after' ? list.slice(0, countParam) : list.slice(Math.max(0, list.length - countParam));
      }
      reply(200, { status: 'success', response: list.map((m) => restMessage(m.json)) });
      return;
    }
    case 'message-by-id': {
      const found = engine.findMessage(s.name, param);
      if (!found) {
        reply(400, {
          status: 'Error',
          response: { message: 'Error retrieving information', session: s.name, log: {} },
        });
        return;
      }
      reply(201, {
        status: 'Success',
        response: {
          message: 'Information retrieved successfully.',
          contact: found.chat.info.id.split('@')[0],
          session: s.name,
          data: restMessage(found.message.json),
        },
      });
      return;
    }
    case 'get-media-by-message': {
      const found = engine.findMessage(s.name, param);
      const { mediaDownloadError, mediaBodyBytes, mediaBodyChunked } = engine.faults;
      if (!found?.message.media || mediaDownloadError === 400) {
        reply(400, { status: 'error', message: 'Message not found or has no media' });
        return;
      }
      if (mediaDownloadError === 500) {
        reply(500, { status: 'error', message: 'Decrypt file error', error: { level: 'error' } });
        return;
      }
      const { mimetype } = found.message.media;
      if (mediaBodyBytes > 0 || mediaBodyChunked) {
        void streamMedia(ctx, found.message.media.base64, mimetype, mediaBodyBytes, mediaBodyChunked);
        return;
      }
      reply(200, { base64: found.message.media.base64, mimetype });
      return;
    }
    case 'check-number-status': {
      const digits = param.split('@')[0]?.replace(/\D/g, '') ?? '';
      const id = `${digits}@c.us`;
      const response = engine.numberExists(id)
        ? { id: widObject(id), isBusiness: false, canReceiveMessage: true, numberExists: true, status: 200 }
        : { id, isBusiness: false, canReceiveMessage: false, numberExists: false, status: 404 };
      reply(200, { status: 'success', response });
      return;
    }
    case 'chat-by-id': {
      const suffix = queryBool(ctx.url.searchParams.get('isGroup')) ? '@g.us' : '@c.us';
      const chat = chats.get(`${param.replace(/\D/g, '')}${suffix}`);
      reply(200, chat ? chatJson(chat.info, engine.ownId) : false);
      return;
    }
    case 'contact': {
      const id = ctx.segments[4] ?? '';
      if (ctx.segments[3] !== 'pn-lid' || !id) {
        notFound(ctx);
        return;
      }
      reply(200, pnLid(engine, id));
      return;
    }
    default:
      notFound(ctx);
  }
}

/**
 * A media answer written piece by piece: `bytes` of filler in place of the file when set (more than the
 * message announced), without Content-Length when `chunked`. Stops when the client hangs up.
 */
async function streamMedia(
  ctx: RequestContext,
  base64: string,
  mimetype: string,
  bytes: number,
  chunked: boolean,
): Promise<void> {
  const { res } = ctx;
  const piece = 48 * 1024; // decoded bytes per write: 64 KiB of base64
  const filler = Buffer.alloc(piece, 0x41).toString('base64');
  const base64Length = bytes > 0 ? Math.ceil(bytes / 3) * 4 : base64.length;
  const head = '{"base64":"';
  const tail = `","mimetype":${JSON.stringify(mimetype)}}`;
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (!chunked) headers['Content-Length'] = head.length + base64Length + Buffer.byteLength(tail);
  res.writeHead(200, headers);
  const write = async (text: string): Promise<boolean> => {
    if (res.destroyed) return false;
    if (!res.write(text)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    return !res.destroyed;
  };
  if (!(await write(head))) return;
  if (bytes > 0) {
    for (let left = bytes; left > 0; left -= piece) {
      const text = left >= piece ? filler : Buffer.alloc(left, 0x41).toString('base64');
      if (!(await write(text))) return;
    }
  } else {
    for (let at = 0; at < base64.length; at += 64 * 1024) {
      if (!(await write(base64.slice(at, at + 64 * 1024)))) return;
    }
  }
  if (await write(tail)) res.end();
}

function pnLid(engine: SimEngine, id: string): Json {
  const pnLidWid = (serialized: string): Json => {
    const [user = '', server = ''] = serialized.split('@');
    return { id: user, server, _serialized: serialized };
  };
  let lid: string | undefined;
  let phone: string | undefined;
  if (id.endsWith('@lid')) {
    lid = id;
    phone = engine.lidToPhone.get(id);
  } else {
    phone = id.includes('@') ? id : `${id}@c.us`;
    lid = [...engine.lidToPhone.entries()].find(([, p]) => p === phone)?.[0];
  }
  return {
    lid: lid ? pnLidWid(lid) : null,
    phoneNumber: phone ? pnLidWid(phone) : null,
    contact: { type: 'in', isBusiness: false, isEnterprise: false, syncToAddressbook: true, isContactSyncCompleted: 1 },
  };
}
