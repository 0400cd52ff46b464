/**
 * storeInboundMedia attempt by attempt (MockActivityEnvironment) against the simulator, through the real
 * client, a real SQLite repository and a real media folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Agent, type Dispatcher } from 'undici';
import {
  MEDIA_UNAVAILABLE_FLAG,
  storeInboundMedia,
  type InboundMediaDeps,
  type StoreInboundMediaResult,
} from '../../../activities/inbound-media';
import type { InboundMessage } from '../../../contracts';
import { openDatabase, type Database } from '../../../db';
import { createMediaStore, type MediaStore } from '../../../media/store';
import { createWppConnectClient } from '../../../wppconnect/client';
import { createSimulator, type Simulator } from '../../../simulator/server';
import { FAST_TIMING, waitFor } from '../wppconnect/support';

jest.setTimeout(30_000);

const SESSION = 'clinic';
const PATIENT = '5511999990001';
const MAX_BYTES = 100_000;

let sim: Simulator;
let db: Database;
let dir: string;
let agent: Agent;
let mediaRequests: number;
let mediaStore: MediaStore;
let deps: InboundMediaDeps;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'inbound-media-'));
  sim = await createSimulator({ timing: FAST_TIMING, autoConnect: true, seed: 5 });
  db = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  agent = new Agent();
  mediaRequests = 0;
  const dispatcher: Dispatcher = agent.compose((dispatch) => (opts, handler) => {
    if (opts.path.includes('/get-media-by-message/')) mediaRequests += 1;
    return dispatch(opts, handler);
  });
  const wpp = createWppConnectClient({
    baseUrl: `${sim.url}/api`,
    secretKey: 'THISISMYSECURETOKEN',
    timeoutMs: 5_000,
    dispatcher,
  });
  await wpp.startSession(SESSION, { webhookUrl: 'http://127.0.0.1:9/hook' });
  await waitFor(async () => (await wpp.getSessionStatus(SESSION)).state === 'CONNECTED');
  mediaStore = createMediaStore({ root: path.join(dir, 'media'), maxBytes: MAX_BYTES });
  deps = { repo: db.repo, mediaStore, wpp };
});

afterEach(async () => {
  await sim.close();
  await db.close();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A patient's media message as the webhook gives it (no bytes in it), already logged like acceptInbound does. */
async function received(overrides: Partial<InboundMessage> & { base64?: string } = {}): Promise<InboundMessage> {
  const { base64, ...rest } = overrides;
  const injected = sim.state.inject({
    session: SESSION,
    from: PATIENT,
    type: 'image',
    mimetype: 'image/jpeg',
    base64: base64 ?? Buffer.alloc(2_000, 9).toString('base64'),
    deliverWebhook: false,
  });
  const message: InboundMessage = {
    session: SESSION,
    chatId: injected.chatId,
    messageId: injected.id,
    sentAt: new Date().toISOString(),
    senderId: injected.chatId,
    isGroup: false,
    messageType: 'image',
    rawType: 'image',
    mimetype: 'image/jpeg',
    caption: 'rash on my arm',
    media: { source: 'wppconnect' },
    ...rest,
  };
  await db.repo.logMessage({
    session: SESSION,
    chatId: message.chatId,
    messageId: message.messageId,
    timestamp: new Date(message.sentAt),
    direction: 'inbound',
    senderType: 'patient',
    messageType: 'image',
    caption: message.caption,
    deliveryStatus: 'received',
  });
  return message;
}

async function attempt(message: InboundMessage, n = 1): Promise<StoreInboundMediaResult> {
  const env = new MockActivityEnvironment({ attempt: n, startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 10_000 });
  return env.run<[], StoreInboundMediaResult, () => Promise<StoreInboundMediaResult>>(() =>
    storeInboundMedia(deps, message),
  );
}

/** Runs attempts until one succeeds or fails for good; returns how many ran and the final failure. */
async function untilFinal(message: InboundMessage): Promise<{ attempts: number; error?: ApplicationFailure }> {
  for (let n = 1; ; n++) {
    try {
      await attempt(message, n);
      return { attempts: n };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable) return { attempts: n, error: err };
      if (n >= 10) throw err;
    }
  }
}

/** Files left in the media folder's inbound/ tree (temporary ones included). */
function inboundFiles(): string[] {
  const root = path.join(dir, 'media', 'inbound');
  return existsSync(root)
    ? readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];
}

async function row(message: InboundMessage) {
  return db.repo.getMessage(SESSION, message.messageId);
}

describe('storeInboundMedia', () => {
  it('streams the file from WPPConnect to disk and points the message at it', async () => {
    const file = Buffer.alloc(60_000, 4);
    const message = await received({ base64: file.toString('base64'), size: 60_000 });
    const result = await attempt(message);
    expect(result).toEqual({
      stored: true,
      mediaPath: expect.stringMatching(/^inbound\/[0-9a-f]{2}\/[0-9a-f]{32}\.jpg$/) as string,
    });
    expect(readFileSync(path.join(dir, 'media', result.mediaPath ?? '')).equals(file)).toBe(true);
    expect(await row(message)).toMatchObject({ mediaPath: result.mediaPath, statusReason: null });
    expect(inboundFiles()).toHaveLength(1);
    // Stored once: a repeat finds the row's file and asks WPPConnect nothing.
    await attempt(message, 2);
    expect(mediaRequests).toBe(1);
  });

  it('refuses media whose announced size is over MEDIA_MAX_BYTES without asking WPPConnect, and says so on the row', async () => {
    const message = await received({ size: 2 * 1024 * 1024 * 1024 });
    const error = await attempt(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'MediaTooLarge', nonRetryable: true });
    expect(mediaRequests).toBe(0);
    expect(await row(message)).toMatchObject({
      mediaPath: null,
      deliveryStatus: 'received',
      statusReason: `media not stored: WhatsApp announced 2147483648 bytes, over MEDIA_MAX_BYTES (${MAX_BYTES} bytes)`,
      metadata: { flags: [MEDIA_UNAVAILABLE_FLAG] },
    });
  });

  it.each([
    ['with a Content-Length', false],
    ['without a Content-Length', true],
  ])(
    'cuts off a body bigger than announced (%s) at MEDIA_MAX_BYTES, leaving nothing on disk',
    async (_how, chunked) => {
      const message = await received({ size: 2_000 });
      sim.state.setFaults({ mediaBodyBytes: 20_000_000, mediaBodyChunked: chunked });
      const error = await attempt(message).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'MediaTooLarge', nonRetryable: true });
      expect((await row(message))?.statusReason).toBe(
        `media not stored: larger than MEDIA_MAX_BYTES (${MAX_BYTES} bytes)`,
      );
      expect(inboundFiles()).toEqual([]);
    },
  );

  it.each([
    [400, 'WPPConnect does not know the message (400), 3 attempts'],
    [500, 'WPPConnect could not download or decrypt it (500), 3 attempts'],
  ] as const)(
    'gives a %s answer three attempts, then ends as MediaUnavailable with the reason on the row',
    async (status, reason) => {
      const message = await received();
      sim.state.setFaults({ mediaDownloadError: status });
      const outcome = await untilFinal(message);
      expect(outcome.attempts).toBe(3);
      expect(outcome.error).toMatchObject({ type: 'MediaUnavailable', nonRetryable: true });
      expect(mediaRequests).toBe(3);
      expect((await row(message))?.statusReason).toBe(`media not stored: ${reason}`);
      expect(inboundFiles()).toEqual([]);
    },
  );

  it('ends the fetch itself at the last attempt when the session stays down', async () => {
    const message = await received();
    sim.state.crash(SESSION);
    const outcome = await untilFinal(message);
    expect(outcome.attempts).toBe(4);
    expect(outcome.error).toMatchObject({ type: 'MediaUnavailable', nonRetryable: true });
    expect((await row(message))?.statusReason).toMatch(
      /^media not stored: 4 attempts failed, the last with: .*not active/,
    );
  });

  it('refuses a type that is not accepted before fetching it', async () => {
    const message = await received({ mimetype: 'application/x-msdownload' });
    const error = await attempt(message).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'MediaTypeNotAllowed', nonRetryable: true });
    expect(mediaRequests).toBe(0);
  });

  it('moves staged bytes to the store and removes the staging file', async () => {
    const file = Buffer.from('%PDF-1.4 test');
    const stagingName = await mediaStore.stage(file.toString('base64'), 'application/pdf');
    const message = await received({ mimetype: 'application/pdf', media: { source: 'staged', stagingName } });
    const result = await attempt(message);
    expect(readFileSync(path.join(dir, 'media', result.mediaPath ?? '')).equals(file)).toBe(true);
    expect(existsSync(path.join(dir, 'media', 'staging', stagingName))).toBe(false);
    expect(mediaRequests).toBe(0);
  });
});
