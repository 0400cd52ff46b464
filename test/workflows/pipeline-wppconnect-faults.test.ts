/**
 * What the real WPPConnect Server does when media and sends go wrong, through the running pipeline (webhook →
 * conversation → activities → simulator) under time skipping, with the simulator in the matching mode
 * (docs/simulator.md, "Faults for production failure modes"; docs/conversation.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { pendingReplyId, type SessionGate } from '../../activities/send-activities';
import { conversationWorkflowId } from '../../contracts';
import type { IWhatsAppService } from '../../wppconnect/types';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const MAX_BYTES = 50_000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});
afterAll(async () => {
  await env?.teardown();
});

async function historyOf(pipeline: Pipeline, chatId: string) {
  return pipeline.db.repo.getHistory({ session: SESSION, chatId, limit: 50 });
}

describe('media of incoming messages (WPPConnect without autoDownload)', () => {
  let pipeline: Pipeline;
  let mediaCalls = 0;

  beforeAll(async () => {
    pipeline = await startPipeline({
      env,
      bundle,
      configEnv: { MEDIA_MAX_BYTES: String(MAX_BYTES) },
      // The webhook carries no bytes: every file is fetched with get-media-by-message.
      simulator: { autoDownload: false },
      wrapWpp: (wpp): IWhatsAppService => ({
        ...wpp,
        getMediaByMessage: (...args) => {
          mediaCalls += 1;
          return wpp.getMediaByMessage(...args);
        },
      }),
    });
  });
  afterAll(async () => {
    await pipeline?.close();
  });
  beforeEach(() => {
    mediaCalls = 0;
    pipeline.simulator.state.setFaults({ mediaDownloadError: 0, mediaBodyBytes: 0, mediaBodyChunked: false });
  });

  /** The message's row once its media activity has ended (stored, or flagged with the reason). */
  async function settledRow(messageId: string) {
    return pipeline.waitFor(async () => {
      const row = await pipeline.db.repo.getMessage(SESSION, messageId);
      return row && (row.mediaPath !== null || row.statusReason !== null) ? row : undefined;
    }, `media of ${messageId} settled`);
  }

  function inboundFiles(): string[] {
    const root = path.join(pipeline.config.media.storagePath, 'inbound');
    return existsSync(root)
      ? readdirSync(root, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name)
      : [];
  }

  it('stores a photo fetched from WPPConnect and answers its caption', async () => {
    const { id } = pipeline.patientSays('5511966660001', '', {
      type: 'image',
      caption: 'a red rash on my arm since yesterday',
      mimetype: 'image/jpeg',
      base64: Buffer.alloc(20_000, 1).toString('base64'),
    });
    expect(await pipeline.inboundResult(id)).toMatchObject({ outcome: 'replied' });
    const row = await settledRow(id);
    expect(row).toMatchObject({ statusReason: null, mediaPath: expect.stringMatching(/^inbound\//) as string });
    const file = path.join(pipeline.config.media.storagePath, row.mediaPath ?? '');
    expect(readFileSync(file).equals(Buffer.alloc(20_000, 1))).toBe(true);
  });

  it('never fetches a file announced over MEDIA_MAX_BYTES, answers the message, and says why on its row', async () => {
    const { id, chatId } = pipeline.patientSays('5511966660002', '', {
      type: 'document',
      caption: 'my exam results, I feel dizzy',
      mimetype: 'application/pdf',
      base64: Buffer.alloc(MAX_BYTES + 10_000, 2).toString('base64'),
    });
    expect(await pipeline.inboundResult(id)).toMatchObject({ outcome: 'replied' });
    expect(await settledRow(id)).toMatchObject({
      mediaPath: null,
      deliveryStatus: 'received',
      statusReason: `media not stored: WhatsApp announced ${MAX_BYTES + 10_000} bytes, over MEDIA_MAX_BYTES (${MAX_BYTES} bytes)`,
      metadata: expect.objectContaining({ flags: ['media-unavailable'] }) as object,
    });
    expect(mediaCalls).toBe(0);
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
  });

  it('cuts off a body bigger than announced (no Content-Length) at MEDIA_MAX_BYTES and keeps answering the chat', async () => {
    pipeline.simulator.state.setFaults({ mediaBodyBytes: 40_000_000, mediaBodyChunked: true });
    const patient = '5511966660003';
    const { id, chatId } = pipeline.patientSays(patient, '', { type: 'image', caption: 'swollen ankle' });
    expect(await pipeline.inboundResult(id)).toMatchObject({ outcome: 'replied' });
    expect((await settledRow(id)).statusReason).toBe(
      `media not stored: larger than MEDIA_MAX_BYTES (${MAX_BYTES} bytes)`,
    );
    expect(mediaCalls).toBe(1);
    expect(inboundFiles().filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const next = pipeline.patientSays(patient, 'it still hurts when I walk');
    expect(await pipeline.inboundResult(next.id)).toMatchObject({ outcome: 'replied' });
    expect(pipeline.sentTo(chatId)).toHaveLength(2);
  });

  it.each([
    [400, 'WPPConnect does not know the message (400), 3 attempts'],
    [500, 'WPPConnect could not download or decrypt it (500), 3 attempts'],
  ] as const)(
    'ends a download WPPConnect answers %s after 3 attempts as MediaUnavailable; the message is answered',
    async (status, reason) => {
      pipeline.simulator.state.setFaults({ mediaDownloadError: status });
      const { id } = pipeline.patientSays(`551196666001${status === 400 ? 4 : 5}`, '', {
        type: 'ptt',
        mimetype: 'audio/ogg; codecs=opus',
      });
      expect(await pipeline.inboundResult(id)).toMatchObject({ outcome: 'replied' });
      expect(await settledRow(id)).toMatchObject({ mediaPath: null, statusReason: `media not stored: ${reason}` });
      expect(mediaCalls).toBe(3);
    },
  );
});

describe('sends WPPConnect keeps refusing', () => {
  let pipeline: Pipeline;
  let down = false;
  const gate: SessionGate = {
    assertSessionUsable: (session) =>
      down
        ? Promise.reject(ApplicationFailure.retryable(`WhatsApp session ${session} is QRCODE`, 'WppSessionUnavailable'))
        : Promise.resolve(),
  };

  beforeAll(async () => {
    pipeline = await startPipeline({ env, bundle, sessionGate: gate });
  });
  afterAll(async () => {
    await pipeline?.close();
  });
  beforeEach(() => {
    down = false;
    pipeline.simulator.state.setFaults({ failingNumbers: [], flakyLookupNumbers: [] });
  });

  it('gives up a reply WPPConnect answers 500 every time (SendRejected), shows it failed, and answers the next message', async () => {
    const patient = '5511955550001';
    pipeline.simulator.state.setFaults({ failingNumbers: [patient] });
    const { id, chatId } = pipeline.patientSays(patient, 'I have a sore throat');
    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'failed' });
    expect(outcome.reason).toMatch(/^SendRejected: WPPConnect answered 500 to 5 attempts of this send/);
    const replies = (await historyOf(pipeline, chatId)).filter((m) => m.direction === 'outbound');
    expect(replies).toEqual([
      expect.objectContaining({ deliveryStatus: 'failed', statusReason: outcome.reason, senderType: 'assistant' }),
    ]);
    expect(pipeline.sentTo(chatId)).toEqual([]);

    pipeline.simulator.state.setFaults({ failingNumbers: [] });
    const next = pipeline.patientSays(patient, 'and now a fever too');
    expect(await pipeline.inboundResult(next.id)).toMatchObject({ outcome: 'replied' });
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
  });

  it('asks again after wa-js forgot a failed number look-up (16 s), then sends the reply once', async () => {
    const patient = '5511955550002';
    pipeline.simulator.state.setFaults({ flakyLookupNumbers: [patient] });
    const started = Date.now();
    const { id, chatId } = pipeline.patientSays(patient, 'my back hurts');
    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'replied' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(15_000);
    expect(pipeline.sentTo(chatId).map((s) => s.messageId)).toEqual([outcome.replyMessageId]);
  });

  it('shows a reply held by the session gate as pending with the reason, then the same row as the sent reply', async () => {
    down = true;
    const { id, chatId } = pipeline.patientSays('5511955550003', 'I twisted my knee');
    const pendingId = pendingReplyId(conversationWorkflowId(SESSION, chatId));
    const pending = await pipeline.waitFor(
      () => pipeline.db.repo.getMessage(SESSION, pendingId),
      'the pending reply in the history',
    );
    expect(pending).toMatchObject({
      direction: 'outbound',
      senderType: 'assistant',
      deliveryStatus: 'pending',
      statusReason: 'waiting for the WhatsApp session: WhatsApp session medical-assistant is QRCODE',
    });
    expect(pipeline.sentTo(chatId)).toEqual([]);

    down = false;
    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'replied' });
    const replies = (await historyOf(pipeline, chatId)).filter((m) => m.direction === 'outbound');
    expect(replies).toEqual([
      expect.objectContaining({
        id: pending.id,
        messageId: outcome.replyMessageId,
        deliveryStatus: expect.stringMatching(/^(sent|delivered|read)$/) as string,
      }),
    ]);
    expect(await pipeline.db.repo.getMessage(SESSION, pendingId)).toBeNull();
    expect((await pipeline.db.repo.getChatSession(SESSION, chatId))?.totalMessages).toBe(2);
  });
});
