import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { TRIAGE_LEVELS } from '../types';
import { ConceptScanner, patternKeys } from '../detect/prefilter';
import { NEGATION_WORDS } from './negation';

/**
 * Loads triage/rules/rules.yaml, validates it with zod and compiles its patterns once. A broken file
 * (unknown concept, bad regex, missing translation) fails loudly at start-up, never mid-conversation.
 */

const localised = z.object({ en: z.string(), pt: z.string(), es: z.string() }).strict();

const conditionBlock = z
  .object({
    all: z.array(z.string()).optional(),
    any: z.array(z.string()).optional(),
    none: z.array(z.string()).optional(),
    minTemperatureC: z.number().optional(),
    minDurationDays: z.number().optional(),
    maxAgeMonths: z.number().optional(),
  })
  .strict();

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    level: z.enum(TRIAGE_LEVELS),
    when: z.array(conditionBlock).min(1),
    advice: localised,
    ask: z.array(z.string()).default([]),
    onlyAlone: z.boolean().default(false),
  })
  .strict();

const questionSchema = localised.extend({ unlessKnown: z.enum(['duration', 'temperature', 'age']).optional() });

const fileSchema = z
  .object({
    version: z.number().int(),
    concepts: z.record(z.string(), z.array(z.string()).min(1)),
    questions: z.record(z.string(), questionSchema),
    levels: z.object({ urgent: localised, routine: localised, 'self-care': localised, info: localised }).strict(),
    fallback: localised,
    rules: z.array(ruleSchema).min(1),
  })
  .strict();

export type RuleFile = z.infer<typeof fileSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type ConditionBlock = z.infer<typeof conditionBlock>;
export type Question = z.infer<typeof questionSchema>;

export interface Rulebook extends RuleFile {
  /** One global regex per concept, matching any of its patterns as whole words. */
  compiled: Map<string, RegExp>;
  /** Word prefixes each concept's matches start with (triage/detect/prefilter.ts); null: always run. */
  keys: Map<string, Set<string> | null>;
  /** Finds every concept's matches in one pass (triage/detect/prefilter.ts). */
  scanner: ConceptScanner;
}

export class RulesFileError extends Error {
  constructor(message: string) {
    super(`Invalid triage rules: ${message}`);
    this.name = 'RulesFileError';
  }
}

// " ~ " in a pattern: up to four words, none of them a negation ("chest doesn't hurt" must not match).
// Portuguese "no" means "in the" ("dor no peito"), so it may stand in a gap.
const GAP_STOPS = NEGATION_WORDS.filter((word) => word !== 'no').map(escapeRegExp);
const GAP = `(?:(?!(?:${GAP_STOPS.join('|')})(?![a-z0-9']))[a-z0-9'°]+ ){0,4}`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compilePatterns(patterns: string[]): RegExp {
  const body = patterns.map((p) => `(?:${p.trim().split(' ~ ').join(` ${GAP}`)})`).join('|');
  return new RegExp(`(?<![a-z0-9'])(?:${body})(?![a-z0-9])`, 'g');
}

function check(file: RuleFile): void {
  const concepts = new Set(Object.keys(file.concepts));
  const ids = new Set<string>();
  for (const rule of file.rules) {
    if (ids.has(rule.id)) throw new RulesFileError(`duplicate rule id "${rule.id}"`);
    ids.add(rule.id);
    for (const block of rule.when) {
      for (const name of [...(block.all ?? []), ...(block.any ?? []), ...(block.none ?? [])]) {
        if (!concepts.has(name)) throw new RulesFileError(`rule "${rule.id}" uses unknown concept "${name}"`);
      }
    }
    for (const question of rule.ask) {
      if (!file.questions[question]) throw new RulesFileError(`rule "${rule.id}" asks unknown question "${question}"`);
    }
  }
}

export function buildRulebook(raw: unknown): Rulebook {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RulesFileError(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  check(parsed.data);
  const compiled = new Map<string, RegExp>();
  const keys = new Map<string, Set<string> | null>();
  for (const [name, patterns] of Object.entries(parsed.data.concepts)) {
    try {
      compiled.set(name, compilePatterns(patterns));
      keys.set(name, patternKeys(patterns));
    } catch (err) {
      throw new RulesFileError(`concept "${name}" has a bad pattern: ${(err as Error).message}`);
    }
  }
  return { ...parsed.data, compiled, keys, scanner: new ConceptScanner(compiled, keys) };
}

export const DEFAULT_RULES_PATH = join(__dirname, 'rules.yaml');

let cached: Rulebook | undefined;

/** The rulebook shipped with the service, parsed on first use and kept for the life of the process. */
export function loadRulebook(path: string = DEFAULT_RULES_PATH): Rulebook {
  if (path !== DEFAULT_RULES_PATH) return buildRulebook(parse(readFileSync(path, 'utf8')));
  cached ??= buildRulebook(parse(readFileSync(path, 'utf8')));
  return cached;
}
