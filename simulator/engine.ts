/**
 * The simulated WPPConnect Server state: sessions and their login state machine (wppconnect/CONTRACT.md §2),
 * the per-chat message store that get-messages/list-chats read, sends with their acks, injected
 * patient messages, and faults. HTTP concerns (routes, auth, quirks of responses) live in http.ts.
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { SessionState } from '../wppconnect/types';
import {
  MEDIA_KINDS,
  THUMBNAIL_JPEG,
  rawAckMessage,
  serializedMessage,
  type ChatInfo,
  type ContactInfo,
  type Json,
  type MessageSpec,
  type SimMessageKind,
} from './payloads';
import { createRng, type Rng } from './rng';
import { createWebhookSender, type WebhookSender } from './webhooks';

export interface SimulatorTiming {
  /** start-session → first login-state webhook (Chromium + WhatsApp Web loading). */
  initializeMs: number;
  /** QR phase without a scan before the browser auto-closes (wppconnect autoClose: 60 s). */
  qrTimeoutMs: number;
  /** A new QR every so often while waiting (WhatsApp: ~20 s). */
  qrRotateMs: number;
  /** qrReadSuccess → inChat (history sync). */
  scanSyncMs: number;
  /** inChat → CONNECTED: a send right after inChat can still get the 404. */
  connectAfterInChatMs: number;
  /** Delays after a send for the onack 1, 2 and 3 webhooks. */
  ackDelaysMs: [number, number, number];
  /** logout-session answers after this long. */
  logoutMs: number;
  /** How long wa-js keeps a failed number look-up cached: sends to that number answer 400 meanwhile. */
  lookupCacheMs: number;
  /** A server restart (`/__sim/restart-server`) → its start-all of the stored sessions. */
  restartMs: number;
}

export interface SimulatorFaults {
  /** Added before every /api response. */
  latencyMs: number;
  /** Share of send-* calls that fail with 500 "Erro ao enviar a mensagem.". */
  send5xxRate: number;
  /** Share of /api calls that never answer (the client must time out). */
  hangRate: number;
  dropWebhookRate: number;
  duplicateWebhookRate: number;
  /** Post the acks of a send in reverse order (3, 2, 1). */
  outOfOrderAcks: boolean;
  /** Numbers (digits) whose existence check fails: sends answer 400 "O número … não existe.". */
  unknownNumbers: string[];
  /**
   * Numbers (digits) whose next existence look-up fails (WhatsApp did not answer it); wa-js caches the
   * failure for `lookupCacheMs`, so sends meanwhile answer 400 "não existe" and later ones go through.
   * Each number is taken off this list by the look-up that fails.
   */
  flakyLookupNumbers: string[];
  /** Numbers (digits) whose sends throw inside the server every time: 500 "Erro ao enviar a mensagem.". */
  failingNumbers: string[];
  /** get-media-by-message answers 400 (as for an unknown message) or 500 (download or decryption failed). */
  mediaDownloadError: 0 | 400 | 500;
  /** get-media-by-message serves a file of this many bytes, whatever the message announced (0: the real file). */
  mediaBodyBytes: number;
  /** Media answers are streamed without Content-Length (as a proxy may do): only counting bytes finds the size. */
  mediaBodyChunked: boolean;
  /**
   * Chromium cannot be launched: start-session answers as usual but leaves an INITIALIZING record that
   * nothing advances (the server only marks a TimeoutError CLOSED).
   */
  browserLaunchFails: boolean;
  /**
   * WhatsApp Web cannot be reached (a network that blocks it): a launched browser stays INITIALIZING,
   * never auto-closes and holds the session's profile until it is closed or the server restarts.
   */
  whatsappWebUnreachable: boolean;
}

export const DEFAULT_TIMING: SimulatorTiming = {
  initializeMs: 1500,
  qrTimeoutMs: 60_000,
  qrRotateMs: 20_000,
  scanSyncMs: 1000,
  connectAfterInChatMs: 200,
  ackDelaysMs: [300, 1000, 2500],
  logoutMs: 500,
  lookupCacheMs: 15_000,
  restartMs: 1000,
};

export const NO_FAULTS: SimulatorFaults = {
  latencyMs: 0,
  send5xxRate: 0,
  hangRate: 0,
  dropWebhookRate: 0,
  duplicateWebhookRate: 0,
  outOfOrderAcks: false,
  unknownNumbers: [],
  flakyLookupNumbers: [],
  failingNumbers: [],
  mediaDownloadError: 0,
  mediaBodyBytes: 0,
  mediaBodyChunked: false,
  browserLaunchFails: false,
  whatsappWebUnreachable: false,
};

export interface EngineOptions {
  secretKey: string;
  /** Restored login: sessions connect without a QR (INITIALIZING → isLogged → inChat → CONNECTED). */
  autoConnect: boolean;
  /** Global webhook URL (WEBHOOK_URL), used when a session has none of its own. */
  webhookUrl?: string;
  /** Media bytes as base64 in webhook bodies (webhook.autoDownload, default true). */
  autoDownload: boolean;
  /** Mark the chat read when an onmessage webhook gets a 2xx (webhook.readMessage). */
  readMessage: boolean;
  onSelfMessage: boolean;
  /** Events emitted while a session reset by close-session restarts lack `session` (§5.1). */
  namelessAfterReset: boolean;
  ownNumber: string;
  ownName: string;
  version: string;
  timing: SimulatorTiming;
  faults: SimulatorFaults;
  seed: number;
}

export interface StartConfig extends Json {
  webhook?: string;
  waitQrCode?: boolean;
  phone?: string;
}

/**
 * One Chromium running WhatsApp Web for a session's profile. It normally belongs to the session's
 * record; a close-session that fails while the session is starting leaves it running on its own (an
 * orphan), still holding the profile, and a later start then launches nothing (wppconnect/CONTRACT.md §2.6).
 */
export interface SimBrowser {
  id: number;
  session: string;
  phase: 'loading' | 'qr' | 'syncing' | 'connected';
  /** Detached from the record: its state changes no longer show in status-session. */
  orphan: boolean;
  urlcode: string | null;
  timers: Set<NodeJS.Timeout>;
}

export interface SimSession {
  name: string;
  /** none: never started or forgotten; reset: close-session cleared it; live: has a status. */
  record: 'none' | 'reset' | 'live';
  status: SessionState | null;
  urlcode: string | null;
  /** A live WhatsApp client whose page answers: send and read routes need it (§3.2). */
  client: boolean;
  /** The WhatsApp Web profile on disk is logged in: a start restores it without a QR. */
  loggedIn: boolean;
  phoneCode: string | null;
  nameless: boolean;
  /** The record's browser; null when none was launched (launch failure, profile held) or it closed. */
  browser: SimBrowser | null;
  /** Timers of the record itself (logout). */
  timers: Set<NodeJS.Timeout>;
  /** start-session requests with waitQrCode held until the first QR / pairing code. */
  waiters: ((body: Json) => void)[];
}

export interface StoredMessage {
  json: Json;
  media?: { base64: string; mimetype: string };
}

export interface SimChat {
  info: ChatInfo;
  messages: StoredMessage[];
}

export interface SentRecord {
  session: string;
  route: string;
  messageId: string;
  chatId: string;
  type: string;
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  mediaBytes?: number;
  quotedMsgId?: string;
  ack: number;
  at: string;
}

export interface InjectInput {
  session: string;
  /** Phone digits (`5511999990001`, `+55 11 ...`) or a full id (`...@c.us`, `...@lid`). */
  from: string;
  /** The patient's WhatsApp push name (notifyName). */
  name?: string;
  /** Name saved in the clinic phone's address book (contact `name`/`shortName`); unknown numbers have none. */
  savedName?: string;
  type?: SimMessageKind;
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Media bytes (bare base64); a tiny placeholder file when omitted. */
  base64?: string;
  lat?: number;
  lng?: number;
  address?: string;
  /** Group id (`120363...@g.us`): the message is posted in that group by `from`. */
  group?: string;
  groupName?: string;
  /** Phone behind an @lid sender (answered by contact/pn-lid). */
  phone?: string;
  quotedMsgId?: string;
  /** false simulates a webhook WPPConnect never posted: only catch-up can find the message. */
  deliverWebhook?: boolean;
}

export interface InjectResult {
  id: string;
  chatId: string;
  webhook: 'posted' | 'skipped' | 'not-connected' | 'no-webhook-url';
}

/** Someone at the clinic types a message on the linked phone. */
export interface PhoneMessageInput {
  session: string;
  /** The chat: phone digits or a full id (`...@c.us`, `...@lid`). */
  to: string;
  text: string;
  /** false simulates an onselfmessage webhook WPPConnect never posted. */
  deliverWebhook?: boolean;
}

export interface PhoneMessageResult {
  id: string;
  chatId: string;
  /** `disabled`: the server's onSelfMessage is off, so no webhook exists for it (only catch-up sees it). */
  webhook: InjectResult['webhook'] | 'disabled';
}

const PLACEHOLDER_MEDIA: Record<string, { base64: string; mimetype: string; filename?: string }> = {
  image: { base64: THUMBNAIL_JPEG, mimetype: 'image/jpeg' },
  sticker: { base64: THUMBNAIL_JPEG, mimetype: 'image/webp' },
  video: { base64: 'AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDE=', mimetype: 'video/mp4' },
  document: {
    base64: 'JVBERi0xLjQKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZz4+ZW5kb2JqCnRyYWlsZXI8PC9Sb290IDEgMCBSPj4KJSVFT0YK',
    mimetype: 'application/pdf',
    filename: 'documento.pdf',
  },
  ptt: { base64: 'T2dnUwACAAAAAAAAAAA=', mimetype: 'audio/ogg; codecs=opus' },
  audio: { base64: 'T2dnUwACAAAAAAAAAAA=', mimetype: 'audio/ogg; codecs=opus' },
};

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase();

function bareId(id: string): string {
  const at = id.indexOf('@');
  return at === -1 ? id : id.slice(0, at);
}

export class SimEngine {
  readonly opts: EngineOptions;
  secretKey: string;
  faults: SimulatorFaults;
  rng: Rng;
  readonly sessions = new Map<string, SimSession>();
  /** Stored session configs (the server's token files): what show-all-sessions lists. */
  readonly storedConfigs = new Map<string, StartConfig>();
  readonly chats = new Map<string, Map<string, SimChat>>();
  readonly sent: SentRecord[] = [];
  readonly lidToPhone = new Map<string, string>();
  /** wa-js's cache of failed number look-ups: digits → until when (ms) sends to them answer 400. */
  readonly failedLookups = new Map<string, number>();
  readonly webhooks: WebhookSender;
  /** Which browser holds each session's profile (Chromium's lock on the user data directory). */
  readonly profiles = new Map<string, SimBrowser>();
  /** The server's `webhook.onSelfMessage` setting (changeable through /__sim/config). */
  onSelfMessage: boolean;
  private readonly globalTimers = new Set<NodeJS.Timeout>();
  private nextBrowserId = 1;
  private readonly qrRenders = new Map<string, Promise<string | Buffer>>();
  private closed = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.secretKey = opts.secretKey;
    this.faults = { ...opts.faults, unknownNumbers: [...opts.faults.unknownNumbers] };
    this.rng = createRng(opts.seed);
    this.onSelfMessage = opts.onSelfMessage;
    this.webhooks = createWebhookSender({
      rng: { next: () => this.rng.next(), chance: (r) => this.rng.chance(r) },
      faults: () => this.faults,
    });
  }

  get ownId(): string {
    return `${this.opts.ownNumber}@c.us`;
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions

  session(name: string): SimSession {
    let s = this.sessions.get(name);
    if (!s) {
      s = {
        name,
        record: 'none',
        status: null,
        urlcode: null,
        client: false,
        loggedIn: this.opts.autoConnect,
        phoneCode: null,
        nameless: false,
        browser: null,
        timers: new Set(),
        waiters: [],
      };
      this.sessions.set(name, s);
    }
    return s;
  }

  /** What status-session answers (§2.3). */
  statusBody(s: SimSession, qrDataUrl: string | null): Json {
    if (s.record !== 'live' || s.status === null) return { status: 'CLOSED', qrcode: null };
    const body: Json = { status: s.status, qrcode: qrDataUrl };
    if (s.urlcode) body.urlcode = s.urlcode;
    body.version = this.opts.version;
    return body;
  }

  /** The QR as a data URL (status-session, webhooks), rendered once per payload: it is polled often. */
  async qrDataUrl(urlcode: string): Promise<string> {
    return this.cachedRender(`url:${urlcode}`, () => QRCode.toDataURL(urlcode));
  }

  /** The QR as qrcode-session serves it: PNG, 500 px, error correction M. */
  async qrPng(urlcode: string): Promise<Buffer> {
    return this.cachedRender(`png:${urlcode}`, () =>
      QRCode.toBuffer(urlcode, { type: 'png', width: 500, errorCorrectionLevel: 'M' }),
    );
  }

  private async cachedRender<T extends string | Buffer>(key: string, render: () => Promise<T>): Promise<T> {
    let pending = this.qrRenders.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = render();
      if (this.qrRenders.size > 50) this.qrRenders.clear();
      this.qrRenders.set(key, pending);
    }
    return pending;
  }

  webhookUrlOf(s: SimSession): string | undefined {
    const own = this.storedConfigs.get(s.name)?.webhook;
    return own && own.length > 0 ? own : this.opts.webhookUrl;
  }

  emit(s: SimSession, event: string, data: Json, onResponse?: (status: number) => void): boolean {
    return this.post(s, s.nameless, event, data, onResponse);
  }

  /** Events of a browser: an orphan still posts them, named, as the old client object they belong to. */
  private emitFrom(s: SimSession, b: SimBrowser, event: string, data: Json): void {
    this.post(s, s.nameless && !b.orphan, event, data);
  }

  private post(s: SimSession, nameless: boolean, event: string, data: Json, onResponse?: (status: number) => void) {
    if (this.closed) return false;
    const url = this.webhookUrlOf(s);
    if (!url) return false;
    const body: Json = nameless ? { event, ...data } : { event, session: s.name, ...data };
    this.webhooks.post(url, body, onResponse);
    return true;
  }

  private statusFind(s: SimSession, b: SimBrowser | null, status: string): void {
    if (b) this.emitFrom(s, b, 'status-find', { status });
    else this.emit(s, 'status-find', { status });
  }

  private later(timers: Set<NodeJS.Timeout>, ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  private clearTimers(timers: Set<NodeJS.Timeout>): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  }

  /** The record's own browser (not an orphan): its state changes show in status-session. */
  private attached(s: SimSession, b: SimBrowser): boolean {
    return s.browser === b && !b.orphan;
  }

  /** Chromium exits: its timers stop and the profile is free for the next launch. */
  private closeBrowser(b: SimBrowser): void {
    this.clearTimers(b.timers);
    if (this.profiles.get(b.session) === b) this.profiles.delete(b.session);
  }

  /** start-session: answers with the state before the call, then (re)starts when closed (§2.2). */
  startSession(name: string, body: StartConfig): { respond: Json } | { hold: true } {
    const s = this.session(name);
    const wasRecord = s.record;
    const before = this.statusBody(s, null);
    const startable = s.record !== 'live' || s.status === 'CLOSED';
    if (!startable) return { respond: before };
    // The whole body becomes the stored config; an empty body reuses the previous one.
    if (Object.keys(body).length > 0 || !this.storedConfigs.has(name)) this.storedConfigs.set(name, { ...body });
    const wait = body.waitQrCode === true;
    let result: { respond: Json } | { hold: true };
    if (wait && wasRecord === 'none') result = { hold: true };
    else if (wait && wasRecord === 'reset')
      result = { respond: { status: null, qrcode: null, version: this.opts.version } };
    else result = { respond: before };
    this.boot(s, wasRecord === 'reset' && this.opts.namelessAfterReset);
    return result;
  }

  private boot(s: SimSession, nameless: boolean): void {
    if (s.browser) this.closeBrowser(s.browser);
    s.browser = null;
    s.record = 'live';
    s.status = 'INITIALIZING';
    s.client = false;
    s.urlcode = null;
    s.phoneCode = null;
    s.nameless = nameless;
    // "The browser is already running" (another Chromium holds the profile) or a failed launch: the
    // server logs the error and leaves the record INITIALIZING, with nothing that will ever advance it.
    if (this.profiles.has(s.name) || this.faults.browserLaunchFails) return;
    const b: SimBrowser = {
      id: this.nextBrowserId++,
      session: s.name,
      phase: 'loading',
      orphan: false,
      urlcode: null,
      timers: new Set(),
    };
    this.profiles.set(s.name, b);
    s.browser = b;
    const config = this.storedConfigs.get(s.name) ?? {};
    this.later(b.timers, this.opts.timing.initializeMs, () => {
      // WhatsApp Web never loads: no QR, so the auto-close never comes either.
      if (this.faults.whatsappWebUnreachable) return;
      if (s.loggedIn) {
        this.statusFind(s, b, 'isLogged');
        this.connect(s, b);
        return;
      }
      this.statusFind(s, b, 'notLogged');
      if (typeof config.phone === 'string' && config.phone.length > 0) this.showPhoneCode(s, b, config.phone);
      else this.showQr(s, b);
      this.later(b.timers, this.opts.timing.qrTimeoutMs, () => this.qrTimeout(s, b));
    });
  }

  private showQr(s: SimSession, b: SimBrowser): void {
    b.phase = 'qr';
    b.urlcode = `2@${randomBytes(48).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`;
    const urlcode = b.urlcode;
    if (this.attached(s, b)) {
      s.status = 'QRCODE';
      s.urlcode = urlcode;
    }
    void this.qrDataUrl(urlcode).then((dataUrl) => {
      if (b.urlcode !== urlcode || b.phase !== 'qr') return;
      const qrcode = dataUrl.replace(/^data:image\/png;base64,/, '');
      this.emitFrom(s, b, 'qrcode', { qrcode, urlcode });
      this.release(s, { status: 'qrcode', qrcode, urlcode, session: s.name });
    });
    this.later(b.timers, this.opts.timing.qrRotateMs, () => {
      if (b.phase === 'qr' && b.urlcode === urlcode) this.showQr(s, b);
    });
  }

  private showPhoneCode(s: SimSession, b: SimBrowser, phone: string): void {
    b.phase = 'qr';
    const phoneCode = hex(4);
    if (this.attached(s, b)) {
      s.status = 'PHONECODE';
      s.phoneCode = phoneCode;
    }
    this.emitFrom(s, b, 'phoneCode', { phoneCode, phone });
    this.release(s, { status: 'phoneCode', phone, phoneCode, session: s.name });
  }

  private release(s: SimSession, body: Json): void {
    const waiters = s.waiters.splice(0);
    for (const w of waiters) w(body);
  }

  private qrTimeout(s: SimSession, b: SimBrowser): void {
    if (b.phase !== 'qr') return;
    this.closeBrowser(b);
    // Order not guaranteed by the real server; autocloseCalled is swallowed in this phase (§2.1).
    this.statusFind(s, b, 'browserClose');
    this.statusFind(s, b, 'qrReadError');
    if (!this.attached(s, b)) return;
    s.browser = null;
    s.status = 'CLOSED';
    s.client = false;
  }

  private connect(s: SimSession, b: SimBrowser): void {
    this.later(b.timers, Math.max(1, Math.floor(this.opts.timing.connectAfterInChatMs / 2)), () => {
      this.statusFind(s, b, 'inChat');
      this.later(b.timers, this.opts.timing.connectAfterInChatMs, () => {
        // The server stores the client once login completes, even an orphan's: it takes the record over.
        if (b.orphan) {
          b.orphan = false;
          if (s.browser && s.browser !== b) this.closeBrowser(s.browser);
          s.browser = b;
          s.record = 'live';
          s.urlcode = b.urlcode;
        }
        b.phase = 'connected';
        s.status = 'CONNECTED';
        s.client = true;
        s.loggedIn = true;
        s.nameless = false;
      });
    });
  }

  /** The browser showing this session's QR: the record's, or an orphan still waiting for a scan. */
  private qrBrowser(s: SimSession): SimBrowser | undefined {
    if (s.browser?.phase === 'qr') return s.browser;
    const holder = this.profiles.get(s.name);
    return holder?.phase === 'qr' ? holder : undefined;
  }

  /** The phone scans the QR (or types the pairing code). */
  scan(name: string): { ok: boolean; status: SessionState | null } {
    const s = this.session(name);
    const b = this.qrBrowser(s);
    if (!b) return { ok: false, status: s.status };
    this.clearTimers(b.timers);
    b.phase = 'syncing';
    this.statusFind(s, b, 'qrReadSuccess');
    // The status stays QRCODE until the sync finishes (§2.1).
    this.later(b.timers, this.opts.timing.scanSyncMs, () => this.connect(s, b));
    return { ok: true, status: s.status };
  }

  /** Linked device removed on the phone: disconnectedMobile, CLOSED, forgotten (§2.1). */
  unlink(name: string): boolean {
    const s = this.session(name);
    if (s.record !== 'live') return false;
    this.forget(s);
    return true;
  }

  private forget(s: SimSession): void {
    this.clearTimers(s.timers);
    if (s.browser) this.closeBrowser(s.browser);
    s.browser = null;
    this.statusFind(s, null, 'disconnectedMobile');
    s.status = 'CLOSED';
    s.client = false;
    s.loggedIn = false;
    this.statusFind(s, null, 'browserClose');
    s.record = 'none';
    s.status = null;
    s.urlcode = null;
    s.phoneCode = null;
  }

  /** Chromium dies: the status stays CONNECTED but nothing works (§2.1 known inconsistencies). */
  crash(name: string): boolean {
    const s = this.session(name);
    if (s.record !== 'live' || !s.client) return false;
    if (s.browser) this.closeBrowser(s.browser);
    s.browser = null;
    s.client = false;
    this.statusFind(s, null, 'browserClose');
    return true;
  }

  closeSession(name: string): { status: number; body: Json } {
    const s = this.session(name);
    const ok = { status: true, message: 'Session successfully closed' };
    const error = { status: false, message: 'Error closing session', error: { level: 'error' } };
    if (s.record === 'none') return { status: 500, body: error };
    if (s.record === 'reset') return { status: 200, body: ok };
    if (s.status === 'INITIALIZING' || s.status === 'QRCODE' || s.status === 'PHONECODE') {
      // The server resets the record first, then finds no client to close (it only exists once logged
      // in): 500, and the browser runs on in the background, holding the profile (§2.6).
      if (s.browser) s.browser.orphan = true;
      s.browser = null;
      this.resetRecord(s);
      return { status: 500, body: error };
    }
    if (s.browser) this.closeBrowser(s.browser);
    s.browser = null;
    this.statusFind(s, null, 'browserClose');
    this.emit(s, 'closesession', { message: `Session: ${s.name} disconnected`, connected: false });
    this.resetRecord(s);
    return { status: 200, body: ok };
  }

  private resetRecord(s: SimSession): void {
    s.record = 'reset';
    s.status = null;
    s.client = false;
    s.urlcode = null;
    s.phoneCode = null;
  }

  logoutSession(name: string, respond: (status: number, body: Json) => void): void {
    const s = this.session(name);
    this.later(s.timers, this.opts.timing.logoutMs, () => {
      respond(200, { status: true, message: 'Session successfully closed' });
      this.emit(s, 'logoutsession', { message: `Session: ${s.name} logged out`, connected: false });
      this.forget(s);
    });
  }

  /**
   * The WPPConnect Server process restarts: every browser (orphans included) dies with it, the records
   * are gone, and at boot it starts every stored session again with its stored config (start-all, §6).
   * Logins on disk survive.
   */
  restartServer(): void {
    for (const b of this.profiles.values()) this.closeBrowser(b);
    this.profiles.clear();
    for (const s of this.sessions.values()) {
      this.clearTimers(s.timers);
      if (s.browser) this.closeBrowser(s.browser);
      s.browser = null;
      s.record = 'none';
      s.status = null;
      s.client = false;
      s.urlcode = null;
      s.phoneCode = null;
      s.nameless = false;
      s.waiters = [];
    }
    this.later(this.globalTimers, this.opts.timing.restartMs, () => {
      for (const name of this.storedConfigs.keys()) this.startSession(name, {});
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Message store

  chatsOf(session: string): Map<string, SimChat> {
    let m = this.chats.get(session);
    if (!m) {
      m = new Map();
      this.chats.set(session, m);
    }
    return m;
  }

  /** The fields of a message the linked phone's own account sends to a chat (API sends and phone-typed ones). */
  private fromUs(chatId: string) {
    return {
      from: this.ownId,
      to: chatId,
      chatId,
      fromMe: true,
      sender: { id: this.ownId, pushname: this.opts.ownName, isMe: true, isBusiness: true },
      notifyName: this.opts.ownName,
    };
  }

  private chat(session: string, chatId: string, contact: ContactInfo, name?: string): SimChat {
    const chats = this.chatsOf(session);
    let c = chats.get(chatId);
    if (!c) {
      c = { info: { id: chatId, name, t: nowSeconds(), unreadCount: 0, lastReceivedKey: null, contact }, messages: [] };
      chats.set(chatId, c);
    }
    return c;
  }

  findMessage(session: string, messageId: string): { chat: SimChat; message: StoredMessage } | undefined {
    for (const chat of this.chatsOf(session).values()) {
      const message = chat.messages.find((m) => m.json.id === messageId);
      if (message) return { chat, message };
    }
    return undefined;
  }

  numberExists(id: string): boolean {
    const user = bareId(id);
    if (this.faults.unknownNumbers.includes(user)) return false;
    const cachedUntil = this.failedLookups.get(user);
    if (cachedUntil !== undefined && Date.now() < cachedUntil) return false;
    this.failedLookups.delete(user);
    if (this.faults.flakyLookupNumbers.includes(user)) {
      this.faults.flakyLookupNumbers = this.faults.flakyLookupNumbers.filter((n) => n !== user);
      this.failedLookups.set(user, Date.now() + this.opts.timing.lookupCacheMs);
      return false;
    }
    if (id.endsWith('@lid')) return true;
    return /^\d{10,14}$/.test(user);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending (the HTTP layer has already resolved recipients and checked their existence)

  sendMessage(
    session: string,
    route: string,
    chatId: string,
    content: {
      kind: SimMessageKind;
      text?: string;
      caption?: string;
      filename?: string;
      quotedMsgId?: string;
      media?: { base64: string; mimetype: string };
    },
  ): Json {
    const chat = this.chat(session, chatId, { id: chatId });
    const id = `true_${chatId}_3EB0${hex(8)}`;
    const t = nowSeconds();
    const spec: MessageSpec = {
      id,
      kind: content.kind,
      t,
      ...this.fromUs(chatId),
      text: content.text,
      caption: content.caption,
      filename: content.filename,
      mimetype: content.media?.mimetype,
      size: content.media ? Buffer.byteLength(content.media.base64, 'base64') : undefined,
      quotedMsgId: content.quotedMsgId,
      quotedBody: content.quotedMsgId ? this.bodyOf(session, content.quotedMsgId) : undefined,
      ack: 1,
    };
    const json = serializedMessage(spec);
    if (chatId.endsWith('@g.us')) json.author = this.ownId;
    const stored: StoredMessage = { json, media: content.media };
    chat.messages.push(stored);
    chat.info.t = t;
    // Sending marks the chat read (markIsRead default).
    chat.info.unreadCount = 0;
    const record: SentRecord = {
      session,
      route,
      messageId: id,
      chatId,
      type: content.kind,
      text: content.text,
      caption: content.caption,
      filename: content.filename,
      mimetype: content.media?.mimetype,
      mediaBytes: spec.size,
      quotedMsgId: content.quotedMsgId,
      ack: 1,
      at: new Date().toISOString(),
    };
    this.sent.push(record);
    const s = this.session(session);
    if (this.onSelfMessage) this.emit(s, 'onselfmessage', this.webhookMessage(stored));
    this.scheduleAcks(s, stored, record);
    return json;
  }

  private bodyOf(session: string, messageId: string): string | undefined {
    const body = this.findMessage(session, messageId)?.message.json.body;
    return typeof body === 'string' ? body : undefined;
  }

  private scheduleAcks(s: SimSession, stored: StoredMessage, record: SentRecord): void {
    const delays = this.opts.timing.ackDelaysMs;
    const acks = this.faults.outOfOrderAcks ? [3, 2, 1] : [1, 2, 3];
    acks.forEach((ack, i) => {
      this.later(s.timers, delays[i] ?? 0, () => {
        if (!s.client) return;
        const current = typeof stored.json.ack === 'number' ? stored.json.ack : 0;
        stored.json.ack = Math.max(current, ack);
        record.ack = Math.max(record.ack, ack);
        const body =
          this.opts.autoDownload && stored.media
            ? stored.media.base64
            : typeof stored.json.body === 'string'
              ? stored.json.body
              : '';
        this.emit(s, 'onack', rawAckMessage(stored.json, ack, body));
      });
    });
  }

  /** The serialized message as a webhook body carries it (media replaced by the file when autoDownload). */
  webhookMessage(stored: StoredMessage): Json {
    const json = structuredClone(stored.json);
    if (this.opts.autoDownload && stored.media) json.body = stored.media.base64;
    return json;
  }

  // ---------------------------------------------------------------------------------------------
  // Control: a patient writes

  inject(input: InjectInput): InjectResult {
    const s = this.session(input.session);
    const kind: SimMessageKind = input.type ?? 'chat';
    const senderId = this.senderIdOf(input.from);
    if (senderId.endsWith('@lid') && input.phone)
      this.lidToPhone.set(senderId, `${input.phone.replace(/\D/g, '')}@c.us`);
    const group = input.group ? (input.group.includes('@') ? input.group : `${input.group}@g.us`) : undefined;
    const chatId = group ?? senderId;
    const contact: ContactInfo = { id: senderId, pushname: input.name ?? 'Paciente Exemplo', name: input.savedName };
    const chat = this.chat(
      input.session,
      chatId,
      group ? { id: group, name: input.groupName ?? 'Grupo' } : contact,
      group ? (input.groupName ?? 'Grupo') : input.name,
    );
    if (group && chat.info.participants === undefined) chat.info.participants = [];
    if (group && !chat.info.participants?.includes(senderId)) chat.info.participants?.push(senderId);
    const msgId = `3A${hex(9)}`;
    const id = group ? `false_${group}_${msgId}_${senderId}` : `false_${chatId}_${msgId}`;
    const placeholder = PLACEHOLDER_MEDIA[kind];
    const media = MEDIA_KINDS.has(kind)
      ? {
          base64: input.base64 ?? placeholder?.base64 ?? '',
          mimetype: input.mimetype ?? placeholder?.mimetype ?? 'application/octet-stream',
        }
      : undefined;
    const t = nowSeconds();
    const json = serializedMessage({
      id,
      kind,
      t,
      from: chatId,
      to: this.ownId,
      chatId,
      author: group ? senderId : undefined,
      fromMe: false,
      sender: contact,
      notifyName: input.name ?? 'Paciente Exemplo',
      text: input.text ?? (kind === 'chat' ? '' : undefined),
      caption: input.caption,
      filename: input.filename ?? (kind === 'document' ? placeholder?.filename : undefined),
      mimetype: media?.mimetype,
      size: media ? Buffer.byteLength(media.base64, 'base64') : undefined,
      lat: kind === 'location' ? (input.lat ?? -23.5613) : undefined,
      lng: kind === 'location' ? (input.lng ?? -46.6565) : undefined,
      loc: kind === 'location' ? (input.address ?? '') : undefined,
      quotedMsgId: input.quotedMsgId,
      quotedBody: input.quotedMsgId ? this.bodyOf(input.session, input.quotedMsgId) : undefined,
      ack: 1,
    });
    const stored: StoredMessage = { json, media };
    chat.messages.push(stored);
    chat.info.t = t;
    chat.info.unreadCount += 1;
    chat.info.lastReceivedKey = {
      fromMe: false,
      remote: chatId,
      id: msgId,
      _serialized: id,
      ...(group ? { participant: senderId } : {}),
    };
    if (!s.client) return { id, chatId, webhook: 'not-connected' };
    if (input.deliverWebhook === false) return { id, chatId, webhook: 'skipped' };
    const posted = this.emit(s, 'onmessage', this.webhookMessage(stored), (status) => {
      // readMessage: a 2xx answer marks the chat read on WhatsApp.
      if (this.opts.readMessage && status >= 200 && status < 300) chat.info.unreadCount = 0;
    });
    return { id, chatId, webhook: posted ? 'posted' : 'no-webhook-url' };
  }

  /**
   * A message typed on the clinic's phone: it is in the chat (get-messages shows it, `fromMe: true`), it
   * marks the chat read, and it is posted as `onselfmessage` only when the server's onSelfMessage is on
   * (off by default, wppconnect/CONTRACT.md §7.4); `onmessage` never carries it.
   */
  typeOnPhone(input: PhoneMessageInput): PhoneMessageResult {
    const s = this.session(input.session);
    const chatId = this.senderIdOf(input.to);
    const chat = this.chat(input.session, chatId, { id: chatId });
    // Ids made by the phone differ from the 3EB0… ids WhatsApp Web gives the API's sends.
    const id = `true_${chatId}_3A${hex(9)}`;
    const t = nowSeconds();
    const json = serializedMessage({
      id,
      kind: 'chat',
      t,
      ...this.fromUs(chatId),
      text: input.text,
      ack: 1,
    });
    const stored: StoredMessage = { json };
    chat.messages.push(stored);
    chat.info.t = t;
    chat.info.unreadCount = 0;
    if (!s.client) return { id, chatId, webhook: 'not-connected' };
    if (!this.onSelfMessage) return { id, chatId, webhook: 'disabled' };
    if (input.deliverWebhook === false) return { id, chatId, webhook: 'skipped' };
    const posted = this.emit(s, 'onselfmessage', this.webhookMessage(stored));
    return { id, chatId, webhook: posted ? 'posted' : 'no-webhook-url' };
  }

  private senderIdOf(from: string): string {
    const trimmed = from.trim();
    if (trimmed.includes('@')) return trimmed;
    const digits = trimmed.replace(/\D/g, '');
    return digits.length > 14 ? `${digits}@lid` : `${digits}@c.us`;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle of the whole simulator

  setFaults(patch: Partial<SimulatorFaults> & { seed?: number }): SimulatorFaults {
    const { seed, ...rest } = patch;
    this.faults = { ...this.faults, ...rest };
    if (seed !== undefined) this.rng = createRng(seed);
    return this.faults;
  }

  /** The server's secret changed: every existing token stops verifying. */
  setSecretKey(secretKey: string): void {
    this.secretKey = secretKey;
  }

  reset(): void {
    this.stopAllTimers();
    this.sessions.clear();
    this.profiles.clear();
    this.onSelfMessage = this.opts.onSelfMessage;
    this.storedConfigs.clear();
    this.chats.clear();
    this.sent.length = 0;
    this.lidToPhone.clear();
    this.failedLookups.clear();
    this.webhooks.clear();
    this.secretKey = this.opts.secretKey;
    this.faults = { ...this.opts.faults, unknownNumbers: [...this.opts.faults.unknownNumbers] };
    this.rng = createRng(this.opts.seed);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopAllTimers();
    await this.webhooks.close();
  }

  private stopAllTimers(): void {
    for (const s of this.sessions.values()) {
      this.clearTimers(s.timers);
      if (s.browser) this.clearTimers(s.browser.timers);
    }
    for (const b of this.profiles.values()) this.clearTimers(b.timers);
    this.clearTimers(this.globalTimers);
  }
}
