import pino from 'pino';
import { Writable } from 'node:stream';
import { Agent } from 'undici';
import { createMedicalCore, type MedicalCoreOptions } from '../../../triage';
import { AiProviderUnavailableError } from '../../../triage/errors';
import { chatCompletionsUrl } from '../../../triage/openai';
import {
  checkReplySafety,
  EMERGENCY_INSTRUCTIONS,
  NOT_A_DIAGNOSIS_NOTICE,
  SAFE_DIAGNOSIS_WORDING,
  SAFE_MEDICATION_WORDING,
} from '../../../triage/safety';
import type { ConversationTurn } from '../../../triage/types';
import { startFakeOpenAi, unsafeAnswer, validAnswer, type FakeOpenAi } from '../../helpers/fake-openai';

const TIMEOUT_MS = 300;
const SORE_THROAT: ConversationTurn[] = [{ role: 'patient', text: 'I have had a sore throat since yesterday' }];
const RED_FLAG: ConversationTurn[] = [{ role: 'patient', text: 'crushing chest pain going down my left arm' }];

describe('openai provider against a fake OpenAI-compatible server', () => {
  let server: FakeOpenAi;
  let agent: Agent;
  let logLines: string[];

  const core = (extra: Partial<MedicalCoreOptions> = {}) =>
    createMedicalCore({
      provider: 'openai',
      openai: {
        baseUrl: server.baseUrl,
        apiKey: 'sk-test',
        model: 'test-model',
        timeoutMs: TIMEOUT_MS,
        dispatcher: agent,
      },
      logger: pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            logLines.push(chunk.toString());
            done();
          },
        }),
      ),
      ...extra,
    });

  beforeEach(async () => {
    server = await startFakeOpenAi();
    agent = new Agent({ connections: 4 });
    logLines = [];
  });

  afterEach(async () => {
    await agent.close();
    await server.close();
  });

  it('sends an authenticated JSON-mode chat completion and returns the validated answer with the notice', async () => {
    server.script([{ kind: 'json', answer: validAnswer() }]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result).toEqual({
      triageLevel: 'self-care',
      reply: `${String(validAnswer().reply)}\n\n${NOT_A_DIAGNOSIS_NOTICE.en}`,
      redFlags: [],
      followUpQuestions: ['How long have you had these symptoms?'],
      provider: 'openai',
      model: 'test-model',
      language: 'en',
    });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.headers.authorization).toBe('Bearer sk-test');
    expect(req!.body.model).toBe('test-model');
    expect(req!.body.response_format).toEqual({ type: 'json_object' });
    expect(req!.body.messages!.map((m) => m.role)).toEqual(['system', 'user']);
    expect(req!.body.messages![1]!.content).toBe(SORE_THROAT[0]!.text);
  });

  it('sends no Authorization header when no API key is configured (local Ollama or vLLM)', async () => {
    const result = await createMedicalCore({
      provider: 'openai',
      openai: { baseUrl: server.baseUrl, timeoutMs: TIMEOUT_MS, dispatcher: agent },
    }).assess({ messages: SORE_THROAT });
    expect(result.provider).toBe('openai');
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('repairs malformed JSON once by sending the validation error back', async () => {
    server.script([
      { kind: 'text', content: 'Sure! Here is my answer: self-care' },
      { kind: 'json', answer: validAnswer() },
    ]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.provider).toBe('openai');
    expect(server.requests).toHaveLength(2);
    const repair = server.requests[1]!.body.messages!;
    expect(repair[repair.length - 2]).toEqual({ role: 'assistant', content: 'Sure! Here is my answer: self-care' });
    expect(repair[repair.length - 1]!.content).toContain('the reply was not valid JSON');
  });

  it('names the invalid field in the repair request when the JSON breaks the schema', async () => {
    server.script([
      { kind: 'json', answer: validAnswer({ triageLevel: 'maybe' }) },
      { kind: 'json', answer: validAnswer() },
    ]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.triageLevel).toBe('self-care');
    const repair = server.requests[1]!.body.messages!;
    expect(repair[repair.length - 1]!.content).toMatch(/^Your previous answer could not be used: triageLevel: /);
  });

  it('falls back to the rules answer when the output stays invalid after the repair attempt', async () => {
    server.script([{ kind: 'text', content: '{"triageLevel": ' }]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(server.requests).toHaveLength(2);
    expect(result.provider).toBe('rules');
    expect(result.triageLevel).toBe('self-care');
    expect(result.reply).toContain('Warm drinks, rest and gargling with salt water can help.');
    expect(checkReplySafety(result.reply).ok).toBe(true);
  });

  it('answers from the rules when the server is slower than the timeout', async () => {
    server.script([{ kind: 'slow', delayMs: TIMEOUT_MS * 10 }]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.provider).toBe('rules');
    expect(result.triageLevel).toBe('self-care');
    expect(checkReplySafety(result.reply).ok).toBe(true);
  });

  it('throws a retryable AiProviderUnavailableError on timeout when the caller wants to retry itself', async () => {
    server.script([{ kind: 'slow', delayMs: TIMEOUT_MS * 10 }]);
    const error = await core({ onUnavailable: 'throw' })
      .assess({ messages: SORE_THROAT })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AiProviderUnavailableError);
    expect(error).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it('answers from the rules on HTTP 500, and reports it as retryable in throw mode', async () => {
    server.script([{ kind: 'status', status: 500 }]);
    const fallback = await core().assess({ messages: SORE_THROAT });
    expect(fallback.provider).toBe('rules');
    expect(checkReplySafety(fallback.reply).ok).toBe(true);
    const error = await core({ onUnavailable: 'throw' })
      .assess({ messages: SORE_THROAT })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'AiProviderUnavailableError',
      reason: 'http-status',
      status: 500,
      retryable: true,
    });
  });

  it('reports a 401 (bad AI_API_KEY) as not retryable', async () => {
    server.script([{ kind: 'status', status: 401 }]);
    const error = await core({ onUnavailable: 'throw' })
      .assess({ messages: SORE_THROAT })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'http-status', status: 401, retryable: false });
  });

  it('never lets an unsafe model answer through for a red flag: emergency instructions, no dose', async () => {
    server.script([{ kind: 'json', answer: unsafeAnswer() }]);
    const result = await core().assess({ messages: RED_FLAG });
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['chest-pain-warning']);
    expect(result.reply.startsWith(EMERGENCY_INSTRUCTIONS.en)).toBe(true);
    expect(result.reply).not.toMatch(/1000/);
    expect(checkReplySafety(result.reply).ok).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('strips the dose and the diagnosis from an unsafe model answer to an ordinary message', async () => {
    server.script([{ kind: 'json', answer: unsafeAnswer() }]);
    // An ordinary message the rules answer below `urgent` (the safety layer would otherwise prepend "get care today").
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.provider).toBe('openai');
    expect(result.reply).toBe(
      `${SAFE_DIAGNOSIS_WORDING.en} ${SAFE_MEDICATION_WORDING.en}\n\n${NOT_A_DIAGNOSIS_NOTICE.en}`,
    );
    expect(checkReplySafety(result.reply).ok).toBe(true);
  });

  it('never writes patient text to the logs', async () => {
    const secret = 'I have had a sore throat since my secret trip to Lisbon';
    server.script([{ kind: 'text', content: `not json, echoing: ${secret}` }]);
    await core().assess({ messages: [{ role: 'patient', text: secret }] });
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    expect(logLines.join('\n')).not.toContain('Lisbon');
  });

  it('asks the model explicitly, in a required JSON field, whether the message is an emergency', async () => {
    server.script([{ kind: 'json', answer: validAnswer() }]);
    await core().assess({ messages: SORE_THROAT });
    const system = server.requests[0]!.body.messages![0]!.content;
    expect(system).toContain('"emergency" field');
    expect(system).toContain('{"emergency": true | false,');
  });

  it('escalates to an emergency when the model says emergency although the detectors do not', async () => {
    server.script([
      { kind: 'json', answer: validAnswer({ emergency: true, triageLevel: 'urgent', reply: 'Please go now.' }) },
    ]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(server.requests).toHaveLength(1);
    expect(result.provider).toBe('openai');
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['provider-emergency']);
    expect(result.reply).toBe(`${EMERGENCY_INSTRUCTIONS.en}\n\nPlease go now.\n\n${NOT_A_DIAGNOSIS_NOTICE.en}`);
  });

  it('reads "yes" in the emergency field as an emergency', async () => {
    server.script([{ kind: 'json', answer: validAnswer({ emergency: 'yes' }) }]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.triageLevel).toBe('emergency');
  });

  it("keeps the detectors' emergency when the model would say no: the model is not asked", async () => {
    server.script([{ kind: 'json', answer: validAnswer({ emergency: false, triageLevel: 'info' }) }]);
    const result = await core().assess({ messages: [{ role: 'patient', text: 'me he tomado 30 paracetamoles' }] });
    expect(server.requests).toHaveLength(0);
    expect(result.provider).toBe('rules');
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['poisoning-overdose']);
    expect(result.language).toBe('es');
    expect(result.reply.startsWith(EMERGENCY_INSTRUCTIONS.es)).toBe(true);
  });

  it("keeps the model's no for an ordinary message", async () => {
    server.script([{ kind: 'json', answer: validAnswer({ emergency: false }) }]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.triageLevel).toBe('self-care');
    expect(result.redFlags).toEqual([]);
  });

  it('asks for a repair when the answer leaves out the emergency field', async () => {
    const { emergency: _omitted, ...withoutEmergency } = validAnswer();
    server.script([
      { kind: 'json', answer: withoutEmergency },
      { kind: 'json', answer: validAnswer() },
    ]);
    const result = await core().assess({ messages: SORE_THROAT });
    expect(result.provider).toBe('openai');
    expect(server.requests).toHaveLength(2);
    const repair = server.requests[1]!.body.messages!;
    expect(repair[repair.length - 1]!.content).toMatch(/^Your previous answer could not be used: emergency: /);
  });

  it('builds the completions URL from the base URL, keeping an Azure api-version query', () => {
    expect(chatCompletionsUrl('http://localhost:11434/v1')).toBe('http://localhost:11434/v1/chat/completions');
    expect(chatCompletionsUrl('https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21')).toBe(
      'https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
    );
  });
});
