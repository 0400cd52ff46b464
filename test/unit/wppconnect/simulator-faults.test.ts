/**
 * The simulator's faults for production failure modes (docs/simulator.md), over real HTTP on 127.0.0.1:
 * sends that always answer 500, wa-js's cache of a failed number look-up, and media answers that fail or
 * are bigger than the message announced.
 */
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../../simulator/server';
import { FAST_TIMING, waitFor } from './support';

jest.setTimeout(30_000);

const SECRET = 'THISISMYSECURETOKEN';
const SESSION = 'demo-session';
const PATIENT = '5511999990001';

let sim: Simulator;
let token: string;

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await request(`${sim.url}/api/${SESSION}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

const send = (phone: string) => call('POST', 'send-message', { phone, message: 'oi' });

beforeEach(async () => {
  sim = await createSimulator({ timing: FAST_TIMING, autoConnect: true });
  const res = await request(`${sim.url}/api/${SESSION}/${SECRET}/generate-token`, { method: 'POST' });
  token = ((await res.body.json()) as { token: string }).token;
  await call('POST', 'start-session', {});
  await waitFor(() => sim.state.session(SESSION).client);
});

afterEach(async () => {
  await sim.close();
});

describe('send faults', () => {
  it('failingNumbers: every send answers 500 "Erro ao enviar a mensagem." and nothing is sent', async () => {
    sim.state.setFaults({ failingNumbers: [PATIENT] });
    for (let i = 0; i < 3; i++) {
      const res = await send(PATIENT);
      expect([res.status, res.json]).toEqual([
        500,
        { status: 'Error', message: 'Erro ao enviar a mensagem.', error: { level: 'error' } },
      ]);
    }
    expect(sim.state.sent).toEqual([]);
    expect((await send('5511999990002')).status).toBe(201);
  });

  it('flakyLookupNumbers: "não existe" while the failed look-up is cached (lookupCacheMs), then the send goes', async () => {
    sim.state.setFaults({ flakyLookupNumbers: [PATIENT] });
    const first = await send(PATIENT);
    const cached = await send(PATIENT);
    for (const res of [first, cached]) {
      expect([res.status, res.json]).toEqual([
        400,
        { response: null, status: 'Connected', message: `O número ${PATIENT} não existe.` },
      ]);
    }
    expect(sim.state.faults.flakyLookupNumbers).toEqual([]);
    await new Promise((r) => setTimeout(r, (FAST_TIMING?.lookupCacheMs ?? 0) + 20));
    expect((await send(PATIENT)).status).toBe(201);
    expect(sim.state.sent).toHaveLength(1);
  });

  it('keeps wa-js cache at 15 s by default', async () => {
    const defaults = await createSimulator({});
    try {
      expect(defaults.state.opts.timing.lookupCacheMs).toBe(15_000);
    } finally {
      await defaults.close();
    }
  });
});

describe('media faults', () => {
  const injectImage = () =>
    sim.state.inject({ session: SESSION, from: PATIENT, type: 'image', base64: 'iVBORw0K', mimetype: 'image/png' });

  it('mediaDownloadError 400 answers like an unknown message, 500 like a failed download or decryption', async () => {
    const { id } = injectImage();
    sim.state.setFaults({ mediaDownloadError: 400 });
    const unknown = await call('GET', `get-media-by-message/${id}`);
    expect([unknown.status, unknown.json]).toEqual([
      400,
      { status: 'error', message: 'Message not found or has no media' },
    ]);
    sim.state.setFaults({ mediaDownloadError: 500 });
    const failed = await call('GET', `get-media-by-message/${id}`);
    expect([failed.status, failed.json]).toEqual([
      500,
      { status: 'error', message: 'Decrypt file error', error: { level: 'error' } },
    ]);
    sim.state.setFaults({ mediaDownloadError: 0 });
    expect((await call('GET', `get-media-by-message/${id}`)).json).toEqual({
      base64: 'iVBORw0K',
      mimetype: 'image/png',
    });
  });

  it.each([
    ['with a Content-Length', false],
    ['chunked, without one', true],
  ])('mediaBodyBytes serves a file bigger than announced, %s', async (_how, chunked) => {
    const { id } = injectImage();
    sim.state.setFaults({ mediaBodyBytes: 100_000, mediaBodyChunked: chunked });
    const res = await call('GET', `get-media-by-message/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(chunked ? undefined : String(res.text.length));
    expect(res.headers['transfer-encoding']).toBe(chunked ? 'chunked' : undefined);
    expect(res.json.mimetype).toBe('image/png');
    expect(Buffer.from(res.json.base64 as string, 'base64')).toEqual(Buffer.alloc(100_000, 0x41));
  });
});
