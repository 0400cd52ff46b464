import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { allStopwords, type Language } from '../language';
import { loadRulebook } from '../rules/rulebook';
import { canonicalise, Speller } from './canonical';
import { numericMentions } from './numbers';
import { ConceptScanner, patternKeys } from './prefilter';
import {
  clauseSpans,
  continuesAfter,
  hasPast,
  hasPastVerb,
  hasPresent,
  negatedBefore,
  sentenceSpans,
  type Scope,
  type Span,
} from './scope';

/**
 * Red-flag detector v2: lexicon concepts (lexicon.yaml) found in canonical text, each mention given a
 * scope (current, negated, past, hypothetical, figurative, resolved), combined by proximity into red
 * flags (redflags.yaml). Deterministic, no I/O after the files are loaded once.
 */

const localised = z.object({ en: z.string().min(1), pt: z.string().min(1), es: z.string().min(1) }).strict();

const blockSchema = z
  .object({
    all: z.array(z.string()).optional(),
    any: z.array(z.string()).optional(),
    none: z.array(z.string()).optional(),
    within: z.number().int().positive().optional(),
    /** Count mentions of an episode the message says is over ("went blue, seems fine now"). */
    resolved: z.boolean().optional(),
  })
  .strict()
  .refine((b) => (b.all?.length ?? 0) + (b.any?.length ?? 0) > 0, 'a block needs `all` or `any`');

const redFlagSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    category: z.string().regex(/^[a-z0-9-]+$/),
    rule: z.string().optional(),
    when: z.array(blockSchema).min(1),
    signals: z.array(blockSchema).default([]),
    advice: localised.optional(),
    ask: localised,
  })
  .strict();

const lexiconSchema = z
  .object({
    version: z.number().int(),
    concepts: z.record(z.string(), z.array(z.string()).min(1)),
    spelling: z.array(z.string()).default([]),
    protect: z.array(z.string()).default([]),
  })
  .strict();
const redFlagsFileSchema = z
  .object({
    version: z.number().int(),
    derived: z.record(z.string(), z.array(blockSchema).min(1)),
    redflags: z.array(redFlagSchema).min(1),
  })
  .strict();

export type Block = z.infer<typeof blockSchema>;
export type RedFlagDef = z.infer<typeof redFlagSchema>;

/** Concepts added by numbers.ts rather than by words. */
export const NUMERIC_CONCEPTS = [
  'temp_raised',
  'temp_high',
  'temp_very_high',
  'temp_low',
  'temp_normal',
  'age_under_3m',
  'age_under_6m',
  'age_infant',
  'age_child',
  'count_many',
  'count_large',
  'glucose_low',
  'glucose_high',
  'glucose_normal',
  'preg_weeks_early',
  'preg_weeks_late',
  'preg_weeks',
];

/** Numeric concepts that state a fact (an age), never a symptom in the past. */
const FACT_CONCEPTS = [
  'preg_test_positive',
  'age_under_3m',
  'age_under_6m',
  'age_infant',
  'age_child',
  'preg_weeks',
  'preg_weeks_early',
  'preg_weeks_late',
];

/** Signs that, told after "it stopped" / "já passou", mean the episode is not over. */
const ALARM_AFTER_RESOLVED = [
  'unresponsive',
  'drowsy',
  'confusion',
  'cant_breathe',
  'collapsed',
  'seizure_named',
  'shaking',
  'speech_problem',
  'infant_breath_sign',
];

/** Concepts that "almost" / "quase" / "casi" turns into a figure of speech ("I almost had a heart attack"). */
const HEDGED = ['heart_attack', 'collapsed', 'unresponsive', 'seizure_named', 'stroke_named', 'suicidal_direct'];

/** Lexicon concepts that change the scope of others and are never part of a red flag themselves. */
const SCOPE_CONCEPTS = ['figurative', 'resolved', 'hedge_almost', 'question_general', 'ability_question'];
const isScopeConcept = (concept: string) => SCOPE_CONCEPTS.includes(concept);

export class LexiconError extends Error {
  constructor(message: string) {
    super(`Invalid triage lexicon: ${message}`);
    this.name = 'LexiconError';
  }
}

const NEGATION_GAP_STOPS =
  "not|never|without|don't|doesn't|didn't|isn't|won't|nao|nem|sem|nunca|ni|sin|nunca|tampoco|no(?= (?:tengo|tiene|hay|me|le|se))";
const GAP = `(?:(?!(?:${NEGATION_GAP_STOPS})(?![a-z0-9']))[a-z0-9'°]+ ){0,3}`;

/** Compiles one concept's entries into a global regex over canonical text. */
export function compileConcept(name: string, entries: string[]): RegExp {
  const parts = entries.map((entry) => {
    if (!/^[a-z0-9' ()|?*~[\]!=<+-]+$/.test(entry)) {
      throw new LexiconError(
        `concept "${name}": entry "${entry}" may use only a-z, 0-9, ' and ( ) [ ] | ? ! = < + - * ~`,
      );
    }
    return entry
      .trim()
      .split(' ~ ')
      .map((piece) => piece.replace(/(^|[ (|])\*/g, "$1[a-z0-9']+").replace(/([a-z0-9')])\*/g, "$1[a-z0-9']*"))
      .join(` ${GAP}`);
  });
  try {
    // A possessive or "is" ending counts as the word: "baby's chest", "my son's", "he's".
    return new RegExp(`(?<![a-z0-9'])(?:${parts.join('|')})(?:'s)?(?![a-z0-9'])`, 'g');
  } catch (err) {
    throw new LexiconError(`concept "${name}" has a bad pattern: ${(err as Error).message}`);
  }
}

export interface Lexicon {
  concepts: Map<string, RegExp>;
  /** Word prefixes each concept's matches start with (prefilter.ts); null: always run. */
  keys: Map<string, Set<string> | null>;
  /** Finds every concept's matches in one pass (prefilter.ts). */
  scanner: ConceptScanner;
  derived: Array<[string, Block[]]>;
  redflags: RedFlagDef[];
  speller: Speller;
}

const LEXICON_PATH = join(__dirname, 'lexicon.yaml');
const REDFLAGS_PATH = join(__dirname, 'redflags.yaml');

export function buildLexicon(rawLexicon: unknown, rawRedFlags: unknown, knownWords: Iterable<string> = []): Lexicon {
  const lexicon = lexiconSchema.safeParse(rawLexicon);
  if (!lexicon.success) throw new LexiconError(lexicon.error.issues[0]?.message ?? 'invalid lexicon');
  const flags = redFlagsFileSchema.safeParse(rawRedFlags);
  if (!flags.success) {
    const issue = flags.error.issues[0];
    throw new LexiconError(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid red flags'}`);
  }
  const concepts = new Map<string, RegExp>();
  const keys = new Map<string, Set<string> | null>();
  for (const [name, entries] of Object.entries(lexicon.data.concepts)) {
    concepts.set(name, compileConcept(name, entries));
    keys.set(name, patternKeys(entries));
  }
  const known = new Set<string>([...concepts.keys(), ...NUMERIC_CONCEPTS]);
  const derived = Object.entries(flags.data.derived);
  const check = (where: string, block: Block) => {
    for (const name of [...(block.all ?? []), ...(block.any ?? []), ...(block.none ?? [])]) {
      if (!known.has(name)) throw new LexiconError(`${where} uses unknown concept "${name}"`);
    }
  };
  for (const [name, blocks] of derived) {
    blocks.forEach((block) => check(`derived "${name}"`, block));
    known.add(name);
  }
  for (const flag of flags.data.redflags) {
    for (const block of [...flag.when, ...flag.signals]) check(`red flag "${flag.id}"`, block);
    if (!flag.rule && !flag.advice) throw new LexiconError(`red flag "${flag.id}" needs \`rule\` or \`advice\``);
  }
  const targets = lexicon.data.spelling.flatMap((line) => line.split(/\s+/)).filter((w) => w.length > 0);
  const protect = lexicon.data.protect.flatMap((line) => line.split(/\s+/)).filter((w) => w.length > 0);
  const speller = new Speller(targets, new Set([...knownWords, ...protect]));
  return {
    concepts,
    keys,
    scanner: new ConceptScanner(concepts, keys),
    derived,
    redflags: flags.data.redflags,
    speller,
  };
}

let cached: Lexicon | undefined;

export const VOCABULARY_PATH = join(__dirname, 'vocabulary.json');

/**
 * Words spelling correction must leave alone: the stopwords, the words of the rules file, and the
 * everyday words of the labelled training messages (vocabulary.json, written by `npm run triage:train`),
 * so "feeling" never becomes "peeling" nor "stubbed" "stabbed".
 */
export function protectedWords(): Set<string> {
  const words = new Set<string>(allStopwords());
  for (const patterns of Object.values(loadRulebook().concepts)) {
    for (const pattern of patterns) for (const word of pattern.match(/[a-z]{4,}/g) ?? []) words.add(word);
  }
  if (existsSync(VOCABULARY_PATH)) {
    for (const word of JSON.parse(readFileSync(VOCABULARY_PATH, 'utf8')) as string[]) words.add(word);
  }
  return words;
}

/** Forgets the loaded lexicon (the training script rewrites vocabulary.json, then reloads). */
export function resetLexiconCache(): void {
  cached = undefined;
}

export function loadLexicon(): Lexicon {
  cached ??= buildLexicon(
    parse(readFileSync(LEXICON_PATH, 'utf8')),
    parse(readFileSync(REDFLAGS_PATH, 'utf8')),
    protectedWords(),
  );
  return cached;
}

/** The lexicon files as parsed YAML (for tests and the training script). */
export function rawLexiconFiles(): { lexicon: unknown; redflags: unknown } {
  return { lexicon: parse(readFileSync(LEXICON_PATH, 'utf8')), redflags: parse(readFileSync(REDFLAGS_PATH, 'utf8')) };
}

/** One patient message (or an assistant question the patient said "yes" to). */
export interface DetectSegment {
  text: string;
  lang: Language;
}

export interface Mention {
  concept: string;
  /** Word position in the conversation (segments are laid end to end, ten words apart). */
  pos: number;
  scope: Scope;
}

export interface RedFlagHit {
  id: string;
  category: string;
  rule?: string;
}

export interface Detection {
  flags: RedFlagHit[];
  /** Red flags with a warning sign but not enough for an emergency: answer at least `urgent` and ask. */
  signals: RedFlagHit[];
  /** Every mention, for explanations and tests. */
  mentions: Mention[];
  /** The canonical text of each segment. */
  canonical: string[];
  /** The clauses of each segment's canonical text, with their scope. */
  clauses: ClauseScope[][];
}

const SEGMENT_GAP = 10;

interface RawMention {
  concept: string;
  index: number;
  length: number;
}

function wordStarts(text: string): number[] {
  const starts: number[] = [];
  for (const match of text.matchAll(/[a-z0-9'°]+/g)) starts.push(match.index ?? 0);
  return starts;
}

/** Index of the word that contains (or follows) character offset `at`. */
function wordAt(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = starts.length;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! >= at) {
      found = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  // A mention that starts inside a word ("38.5" starting at "38") belongs to that word.
  if (found > 0 && (found === starts.length || starts[found]! > at)) {
    const prev = found - 1;
    if (starts[prev]! <= at) return prev;
  }
  return found;
}

function spanOf(spans: Span[], at: number): Span {
  return spans.find((s) => at >= s.start && at < s.end) ?? spans[spans.length - 1]!;
}

interface Located extends RawMention {
  first: number;
  last: number;
}

/** A clause of canonical text and what it says about now (negation is per mention, not per clause). */
export interface ClauseScope extends Span {
  scope: Scope;
}

interface Analysis {
  words: string[];
  starts: number[];
  located: Located[];
  clauses: ClauseScope[];
  isCovered: (i: number) => boolean;
}

function analyse(text: string, lang: Language, lexicon: Lexicon, withMentions: boolean): Analysis {
  const raw: RawMention[] = lexicon.scanner.scan(text, withMentions ? undefined : isScopeConcept);
  if (withMentions) for (const numeric of numericMentions(text)) raw.push(numeric);

  const starts = wordStarts(text);
  const words = starts.map((s) => /^[a-z0-9'°]+/.exec(text.slice(s))?.[0] ?? '');
  const covered = new Uint8Array(words.length);
  const located: Located[] = raw.map((m) => {
    const first = wordAt(starts, m.index);
    const last = Math.max(first, wordAt(starts, m.index + m.length - 1));
    return { ...m, first, last };
  });
  // Words inside a multi-word mention ("não consigo mexer") are not negations of what follows.
  for (const m of located) {
    if (SCOPE_CONCEPTS.includes(m.concept) || NUMERIC_CONCEPTS.includes(m.concept) || m.last === m.first) continue;
    for (let i = m.first; i <= m.last; i++) covered[i] = 1;
  }
  const isCovered = (i: number) => covered[i] === 1;
  const inSpan = (m: { index: number }, span: Span) => m.index >= span.start && m.index < span.end;
  const scopeMentions = located.filter((m) => SCOPE_CONCEPTS.includes(m.concept));

  // A resolved episode ("she's fine now", "já passou", "ya se le pasó") covers what was said before it,
  // unless the text after it says it goes on ("still", "ainda", "sigue").
  let resolvedAt = -1;
  for (const m of scopeMentions) {
    if (m.concept !== 'resolved') continue;
    const clauseStart = wordAt(starts, sentenceSpans(text).find((s) => inSpan(m, s))?.start ?? 0);
    // "não passa", "won't go away": the negation belongs to the resolution, whatever else it is part of.
    if (negatedBefore(words, m.first, clauseStart, lang, () => false)) continue;
    if (continuesAfter(text.slice(m.index + m.length))) continue;
    // "it stopped but now he's floppy and not responding": warning signs after it mean it is not over.
    if (located.some((o) => o.index > m.index && ALARM_AFTER_RESOLVED.includes(o.concept))) continue;
    resolvedAt = Math.max(resolvedAt, m.index);
  }

  const clauses: ClauseScope[] = [];
  for (const sentence of sentenceSpans(text)) {
    const part = text.slice(sentence.start, sentence.end);
    const sentencePresent = hasPresent(part);
    const question = part.trimEnd().endsWith('?');
    const general = scopeMentions.some((s) => s.concept === 'question_general' && inSpan(s, sentence));
    const spans = clauseSpans(text, sentence);
    const pastAt = spans.map((clause) => hasPast(text.slice(clause.start, clause.end)));
    // A time in the past reaches the clauses after it ("in 2019 I had chest pain, sweating, ..."), and
    // those before it only when its own clause tells no event of its own ("chest pain and sweating, 3
    // years ago"): in "chest burning into my jaw, sweating, had a stent 2 years ago" only the stent is past.
    const pastReaches = spans.map((_, i) =>
      pastAt.some((past, j) => past && (j < i || !hasPastVerb(text.slice(spans[j]!.start, spans[j]!.end)) || j === i)),
    );
    spans.forEach((clause, i) => {
      const clauseText = text.slice(clause.start, clause.end);
      const clausePresent = hasPresent(clauseText);
      const sentencePast = pastReaches[i]!;
      let scope: Scope = 'current';
      if (general) {
        scope = 'hypothetical';
      } else if (question && scopeMentions.some((s) => s.concept === 'ability_question' && inSpan(s, clause))) {
        scope = 'question';
      } else if (scopeMentions.some((s) => s.concept === 'figurative' && inSpan(s, clause))) {
        scope = 'figurative';
      } else if ((hasPast(clauseText) && !clausePresent) || (sentencePast && !sentencePresent && !clausePresent)) {
        scope = 'past';
      } else if (clause.start < resolvedAt) {
        scope = 'resolved';
      }
      clauses.push({ ...clause, scope });
    });
  }
  return { words, starts, located, clauses, isCovered };
}

/** Clause scopes of a canonical text: what the rules-file engine uses to tell now from then. */
export function clauseScopes(text: string, lang: Language, lexicon: Lexicon = loadLexicon()): ClauseScope[] {
  return analyse(text, lang, lexicon, false).clauses;
}

/** "seizure free for 3 years", "pain-free", "symptom free": the word after the mention negates it. */
function freeAfter(words: string[], last: number): boolean {
  return words[last + 1] === 'free';
}

/** Mentions of one segment, with scopes. */
function segmentMentions(
  text: string,
  lang: Language,
  lexicon: Lexicon,
  offset: number,
): { mentions: Mention[]; clauses: ClauseScope[]; words: number } {
  const { words, starts, located, clauses, isCovered } = analyse(text, lang, lexicon, true);
  const hedges = located.filter((m) => m.concept === 'hedge_almost');
  const mentions: Mention[] = [];
  for (const m of located) {
    if (SCOPE_CONCEPTS.includes(m.concept)) continue;
    const clause = spanOf(clauses, m.index) as ClauseScope;
    // An age or weeks of pregnancy is a fact about the person, whatever the tense of the clause.
    let scope: Scope = FACT_CONCEPTS.includes(m.concept) ? 'current' : clause.scope;
    if (negatedBefore(words, m.first, wordAt(starts, clause.start), lang, isCovered) || freeAfter(words, m.last)) {
      scope = 'negated';
    } else if (
      scope === 'current' &&
      HEDGED.includes(m.concept) &&
      hedges.some((h) => h.first < m.first && m.first - h.last <= 2)
    ) {
      scope = 'figurative';
    }
    mentions.push({ concept: m.concept, pos: m.first + offset, scope });
  }
  return { mentions, clauses, words: words.length };
}

type Positions = Map<string, number[]>;

function holds(block: Block, positions: Positions, defaultWithin: number): boolean {
  return anchorsOf(block, positions, defaultWithin).length > 0;
}

function near(positions: Positions, concept: string, anchor: number, within: number): boolean {
  const list = positions.get(concept);
  if (!list) return false;
  for (const p of list) if (Math.abs(p - anchor) <= within) return true;
  return false;
}

/** Positions of the block's first concept where every other concept of the block is near enough. */
function anchorsOf(block: Block, positions: Positions, defaultWithin: number): number[] {
  const within = block.within ?? defaultWithin;
  const all = block.all ?? [];
  const any = block.any ?? [];
  if (block.none) for (const c of block.none) if ((positions.get(c)?.length ?? 0) > 0) return [];
  let anchors: number[];
  if (all.length > 0) {
    anchors = positions.get(all[0]!) ?? [];
  } else {
    anchors = [];
    for (const c of any) anchors.push(...(positions.get(c) ?? []));
  }
  const found: number[] = [];
  for (const anchor of anchors) {
    let ok = true;
    for (let i = 1; i < all.length && ok; i++) ok = near(positions, all[i]!, anchor, within);
    if (ok && all.length > 0 && any.length > 0) {
      ok = false;
      for (const c of any) if (near(positions, c, anchor, within)) ok = true;
    }
    if (ok) found.push(anchor);
  }
  return found;
}

/** Canonical text of one message, with line breaks kept as sentence ends. */
export function canonicalFor(text: string, lexicon: Lexicon = loadLexicon()): string {
  return canonicalise(text.replace(/\n+/g, ' . '), lexicon.speller);
}

/** Runs detector v2 over the patient's recent messages. */
export function detect(segments: DetectSegment[], lexicon: Lexicon = loadLexicon()): Detection {
  const mentions: Mention[] = [];
  const canonical: string[] = [];
  const clauses: ClauseScope[][] = [];
  let offset = 0;
  for (const segment of segments) {
    const text = canonicalFor(segment.text, lexicon);
    canonical.push(text);
    const found = segmentMentions(text, segment.lang, lexicon, offset);
    mentions.push(...found.mentions);
    clauses.push(found.clauses);
    offset += found.words + SEGMENT_GAP;
  }
  const positionsOf = (scopes: Scope[]): Positions => {
    const positions: Positions = new Map();
    for (const m of mentions) {
      if (!scopes.includes(m.scope)) continue;
      const list = positions.get(m.concept);
      if (list) list.push(m.pos);
      else positions.set(m.concept, [m.pos]);
    }
    for (const [name, blocks] of lexicon.derived) {
      const found = new Set<number>();
      for (const block of blocks) for (const a of anchorsOf(block, positions, 6)) found.add(a);
      if (found.size > 0)
        positions.set(
          name,
          [...found].sort((a, b) => a - b),
        );
    }
    return positions;
  };
  const current = positionsOf(['current']);
  let withResolved: Positions | undefined;
  const currentOrResolved = () => (withResolved ??= positionsOf(['current', 'resolved']));
  const holdsBlock = (block: Block) => holds(block, block.resolved ? currentOrResolved() : current, 25);
  // A warning sign of an episode the patient says is over still asks the deciding question ("it passes
  // in ten minutes" is not proof enough to answer info or self-care).
  const holdsSignal = (block: Block) => holds(block, currentOrResolved(), 25);
  const flags: RedFlagHit[] = [];
  const signals: RedFlagHit[] = [];
  for (const def of lexicon.redflags) {
    const hit = { id: def.id, category: def.category, ...(def.rule ? { rule: def.rule } : {}) };
    if (def.when.some(holdsBlock)) flags.push(hit);
    else if (def.signals.some(holdsSignal)) signals.push(hit);
  }
  return { flags, signals, mentions, canonical, clauses };
}

/** The red flag's definition (advice, question), by id. */
export function redFlagDef(id: string, lexicon: Lexicon = loadLexicon()): RedFlagDef | undefined {
  return lexicon.redflags.find((f) => f.id === id);
}
