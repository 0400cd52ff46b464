import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { AiProviderUnavailableError } from './errors';
import { SYSTEM_PROMPT, patientContextMessage, repairMessage } from './prompt';
import { TRIAGE_LEVELS, type AssessInput, type Assessment, type MedicalCore } from './types';

/**
 * Provider for any OpenAI-compatible chat-completions server (OpenAI, Azure OpenAI, Ollama, vLLM).
 * The model must answer with one JSON object; an invalid one gets ONE repair attempt (the validation
 * error is sent back), then the rules answer is used. Patient text is never logged.
 */

export interface OpenAiOptions {
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), http://vllm:8000/v1. */
  baseUrl: string;
  apiKey?: string;
  model?: string;
  timeoutMs: number;
  /** An undici Agent/Pool; tests and the worker inject one (keep-alive, connection limits). */
  dispatcher?: Dispatcher;
}

export interface OpenAiProviderDeps extends OpenAiOptions {
  /** Answers when the model's output stays invalid after the repair attempt. */
  fallback: MedicalCore;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** The model's answer to "is this an emergency?": a JSON boolean, or "yes"/"no" from models that prefer words. */
const emergencyField = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['yes', 'no', 'true', 'false', 'sim', 'nao', 'não', 'si', 'sí']))
    .transform((v) => ['yes', 'true', 'sim', 'si', 'sí'].includes(v)),
]);

export const modelAnswerSchema = z.object({
  /** Required: the model is asked explicitly whether this needs emergency services now. */
  emergency: emergencyField,
  triageLevel: z.enum(TRIAGE_LEVELS),
  reply: z.string().trim().min(1).max(4000),
  redFlags: z.array(z.string().max(100)).max(20).default([]),
  followUpQuestions: z.array(z.string().max(400)).max(5).default([]),
  language: z.string().min(2).max(10),
});
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

const chatResponseSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullable().optional() }).passthrough() }).passthrough())
    .min(1),
});

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** `{baseUrl}/chat/completions`, keeping a query string such as Azure's `?api-version=`. */
export function chatCompletionsUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url.toString();
}

type Parsed = { ok: true; answer: ModelAnswer } | { ok: false; issues: string; fields: string[] };

/** Validates the model's text. `issues` describes what is wrong without quoting the text itself. */
export function parseModelAnswer(content: string): Parsed {
  const stripped = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(stripped);
  } catch {
    return {
      ok: false,
      issues: 'the reply was not valid JSON (send exactly one JSON object, no prose, no code fences)',
      fields: ['(json)'],
    };
  }
  const result = modelAnswerSchema.safeParse(json);
  if (result.success) return { ok: true, answer: result.data };
  const fields = result.error.issues.map((i) => i.path.join('.') || '(root)');
  const issues = result.error.issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; ');
  return { ok: false, issues, fields };
}

function conversationMessages(input: AssessInput): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  const context = patientContextMessage(input.patient);
  if (context) messages.push({ role: 'system', content: context });
  for (const turn of input.messages) {
    messages.push({ role: turn.role === 'patient' ? 'user' : 'assistant', content: turn.text });
  }
  return messages;
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | undefined;
  return (
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT' ||
    e?.code === 'UND_ERR_ABORTED'
  );
}

export function createOpenAiProvider(deps: OpenAiProviderDeps): MedicalCore {
  const url = chatCompletionsUrl(deps.baseUrl);
  const model = deps.model ?? DEFAULT_OPENAI_MODEL;
  const azure = /\.(?:openai|cognitiveservices)\.azure\.com$/i.test(new URL(deps.baseUrl).hostname);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (deps.apiKey) {
    headers.authorization = `Bearer ${deps.apiKey}`;
    // Azure's classic deployment endpoints authenticate with `api-key`; its v1 endpoints accept either.
    if (azure) headers['api-key'] = deps.apiKey;
  }

  async function complete(messages: ChatMessage[]): Promise<string> {
    let statusCode: number;
    let payload: unknown;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model, messages, temperature: 0, response_format: { type: 'json_object' } }),
        dispatcher: deps.dispatcher,
        signal: AbortSignal.timeout(deps.timeoutMs),
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      });
      statusCode = response.statusCode;
      if (statusCode >= 400) {
        await response.body.dump();
      } else {
        payload = await response.body.json();
      }
    } catch (err) {
      const timeout = isTimeout(err);
      throw new AiProviderUnavailableError({
        reason: timeout ? 'timeout' : err instanceof SyntaxError ? 'bad-response' : 'network',
        message: timeout
          ? `AI provider did not answer within ${deps.timeoutMs} ms`
          : 'AI provider could not be reached',
        retryable: true,
        cause: err,
      });
    }
    if (statusCode >= 400) {
      throw new AiProviderUnavailableError({
        reason: 'http-status',
        status: statusCode,
        message: `AI provider answered HTTP ${statusCode}`,
        retryable: statusCode >= 500 || statusCode === 429 || statusCode === 408,
      });
    }
    const parsed = chatResponseSchema.safeParse(payload);
    if (!parsed.success) {
      throw new AiProviderUnavailableError({
        reason: 'bad-response',
        message: 'AI provider answered with something that is not a chat completion',
        retryable: true,
      });
    }
    return parsed.data.choices[0]?.message.content ?? '';
  }

  return {
    async assess(input: AssessInput): Promise<Assessment> {
      const messages = conversationMessages(input);
      const first = await complete(messages);
      let parsed = parseModelAnswer(first);
      if (!parsed.ok) {
        deps.logger?.warn({ attempt: 1, fields: parsed.fields }, 'AI output invalid; asking the model to repair it');
        parsed = parseModelAnswer(
          await complete([...messages, { role: 'assistant', content: first }, repairMessage(parsed.issues)]),
        );
      }
      if (!parsed.ok) {
        deps.logger?.warn({ attempt: 2, fields: parsed.fields }, 'AI output still invalid; answering from the rules');
        return deps.fallback.assess(input);
      }
      const { answer } = parsed;
      // The model's "yes, this is an emergency" escalates whatever level it chose (the safety layer then
      // adds the emergency instructions); its "no" never lowers anything: the detectors ran first.
      return {
        triageLevel: answer.emergency ? 'emergency' : answer.triageLevel,
        reply: answer.reply,
        redFlags: answer.redFlags,
        followUpQuestions: answer.followUpQuestions,
        provider: 'openai',
        model,
        language: answer.language,
      };
    },
  };
}
