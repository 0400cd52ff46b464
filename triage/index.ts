import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { createOpenAiProvider } from './openai';
import { createRulesProvider } from './rules/provider';
import { createSafetyLayer, type OnUnavailable } from './safety';
import type { MedicalCore } from './types';

export { AiProviderUnavailableError } from './errors';
export { checkReplySafety, EMERGENCY_INSTRUCTIONS, NOT_A_DIAGNOSIS_NOTICE } from './safety';
export type { Assessment, AssessInput, MedicalCore, TriageLevel } from './types';

export interface MedicalCoreOptions {
  provider: 'rules' | 'openai';
  openai?: { baseUrl: string; apiKey?: string; model?: string; timeoutMs: number; dispatcher?: Dispatcher };
  /** See SafetyLayerDeps.onUnavailable: 'fallback' (default) answers from the rules when the AI is down. */
  onUnavailable?: OnUnavailable;
  logger?: Logger;
}

/**
 * Builds the medical core for AI_PROVIDER. Whatever the provider, the answer goes through the safety
 * layer: red flags first, emergency instructions, no doses or diagnoses, the "not a diagnosis" notice.
 */
export function createMedicalCore(options: MedicalCoreOptions): MedicalCore {
  const rules = createRulesProvider();
  const logger = options.logger?.child({ component: 'triage' });
  if (options.provider === 'rules') return createSafetyLayer({ rules, inner: rules, logger });
  if (!options.openai) throw new Error('createMedicalCore: provider "openai" needs the openai options (AI_BASE_URL)');
  const inner = createOpenAiProvider({ ...options.openai, fallback: rules, logger });
  return createSafetyLayer({ rules, inner, onUnavailable: options.onUnavailable, logger });
}
