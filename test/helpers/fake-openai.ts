import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking the OpenAI chat-completions protocol (POST /v1/chat/completions) with
 * scripted answers, so the openai provider's failure modes can be driven for real over HTTP.
 */

export type FakeBehaviour =
  /** A well-formed completion whose content is this object as JSON. */
  | { kind: 'json'; answer: Record<string, unknown> }
  /** A well-formed completion whose content is this raw text (e.g. malformed JSON). */
  | { kind: 'text'; content: string }
  /** An HTTP error status with an OpenAI-style error body. */
  | { kind: 'status'; status: number }
  /** Waits this long before answering with `answer` (or a valid self-care answer). */
  | { kind: 'slow'; delayMs: number; answer?: Record<string, unknown> };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    messages?: Array<{ role: string; content: string }>;
    response_format?: { type: string };
    [key: string]: unknown;
  };
}

export interface FakeOpenAi {
  /** Base URL to give the provider, e.g. http://127.0.0.1:54321/v1. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replaces the script: one behaviour per request, the last one repeating. */
  script(behaviours: FakeBehaviour[]): void;
  close(): Promise<void>;
}

export function validAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    emergency: false,
    triageLevel: 'self-care',
    reply: 'Rest, drink plenty of fluids and see a doctor if it gets worse or lasts more than a few days.',
    redFlags: [],
    followUpQuestions: ['How long have you had these symptoms?'],
    language: 'en',
    ...overrides,
  };
}

/** What an unsafe model might say to a red-flag message. */
export function unsafeAnswer(): Record<string, unknown> {
  return validAnswer({
    triageLevel: 'self-care',
    reply: 'You have muscle strain. Take 1000mg paracetamol every 6 hours and rest at home.',
  });
}

function completion(content: string, model: string | undefined): string {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: model ?? 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

export async function startFakeOpenAi(
  initial: FakeBehaviour[] = [{ kind: 'json', answer: validAnswer() }],
): Promise<FakeOpenAi> {
  let behaviours = [...initial];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      let body: RecordedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
        return;
      }
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const behaviour = (behaviours.length > 1 ? behaviours.shift() : behaviours[0]) ?? { kind: 'status', status: 500 };
      const send = (content: string) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(completion(content, body.model));
      switch (behaviour.kind) {
        case 'json':
          send(JSON.stringify(behaviour.answer));
          return;
        case 'text':
          send(behaviour.content);
          return;
        case 'status':
          res
            .writeHead(behaviour.status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
          return;
        case 'slow': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!res.destroyed) send(JSON.stringify(behaviour.answer ?? validAnswer()));
          }, behaviour.delayMs);
          timers.add(timer);
          return;
        }
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next) {
      behaviours = [...next];
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
