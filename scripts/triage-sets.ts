/**
 * The labelled message sets of the triage eval and training (manifest: test/fixtures/triage/sets.json).
 * Set files follow docs/triage-data-brief.md: {set, note, messages: [{id, lang, emergency, category|kind, text}]};
 * the original corpus (conversations with an expected level) is read into the same shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationTurn } from '../triage/types';

export const ROOT = join(__dirname, '..');
export const MANIFEST_PATH = join(ROOT, 'test/fixtures/triage/sets.json');

/**
 * corpus, training, folded: open (read, printed, trained on). fresh: a blind batch not yet measured.
 * blind: the final blind set, the measurement of record. retired: a final blind set that has already
 * been measured (and so may have shaped later tuning decisions); it stays unopened and untrained on and
 * is still measured so its history is visible, but it is no longer the judge.
 */
export type Role = 'corpus' | 'training' | 'fresh' | 'folded' | 'blind' | 'retired';
export const ROLES: Role[] = ['corpus', 'training', 'fresh', 'folded', 'blind', 'retired'];

/** Roles whose messages may be read, printed and trained on. */
export const OPEN_ROLES: Role[] = ['corpus', 'training', 'folded'];

/** Roles whose text is never printed: the eval shows only id, language and category or kind. */
export const SEALED_ROLES: Role[] = ['blind', 'retired'];

/** The emergency categories of docs/triage-data-brief.md. */
export const CATEGORIES = [
  'cardiac',
  'stroke',
  'breathing',
  'anaphylaxis',
  'bleeding',
  'self-harm',
  'overdose-poisoning',
  'seizure',
  'unresponsive',
  'infant-fever',
  'infant-breathing',
  'pregnancy',
  'hypoglycaemia',
  'diabetic-crisis',
  'testicular',
  'abdominal',
  'meningitis-sepsis',
  'head-injury',
  'burns-trauma',
  'other',
];

/** The non-emergency kinds of docs/triage-data-brief.md. */
export const KINDS = [
  'negation',
  'past',
  'resolved',
  'figurative',
  'mild',
  'chronic',
  'urgent',
  'admin',
  'medication-question',
  'mental-health',
];

export interface SetEntry {
  name: string;
  file: string;
  role: Role;
  /** Why the set has its role (e.g. when a blind set was retired). */
  note?: string;
}

export interface LabelledMessage {
  id: string;
  set: string;
  lang: 'en' | 'pt' | 'es';
  emergency: boolean;
  /** Emergency category, or non-emergency kind. */
  label: string;
  turns: ConversationTurn[];
}

/** The manifest; `path` (the eval's --manifest) lets a test run the eval against a manifest of its own. */
export function loadManifest(path: string = MANIFEST_PATH): SetEntry[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { sets: SetEntry[] };
  for (const entry of raw.sets) {
    if (!ROLES.includes(entry.role)) throw new Error(`sets.json: set "${entry.name}" has unknown role "${entry.role}"`);
  }
  return raw.sets;
}

interface CorpusFile {
  cases: Array<{ id: string; lang: string; expected: string; tags: string[]; messages: ConversationTurn[] }>;
}

interface SetFile {
  set?: string;
  messages: Array<{ id: string; lang: string; emergency: boolean; category?: string; kind?: string; text: string }>;
}

function corpusKind(tags: string[], expected: string): string {
  if (tags.includes('negation')) return 'negation';
  if (tags.includes('historical')) return 'past';
  if (tags.includes('hypothetical')) return 'hypothetical';
  return expected;
}

/**
 * The messages of one set, or undefined when its file does not exist yet. Errors never quote message
 * text (blind sets must stay unseen).
 */
export function loadSet(entry: SetEntry): LabelledMessage[] | undefined {
  const path = join(ROOT, entry.file);
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${entry.file}: not valid JSON`);
  }
  if (entry.role === 'corpus') {
    return (json as CorpusFile).cases.map((c) => ({
      id: c.id,
      set: entry.name,
      lang: c.lang as LabelledMessage['lang'],
      emergency: c.expected === 'emergency',
      label: c.expected === 'emergency' ? 'corpus' : corpusKind(c.tags, c.expected),
      turns: c.messages,
    }));
  }
  const file = json as SetFile;
  if (!Array.isArray(file.messages)) throw new Error(`${entry.file}: no "messages" array`);
  return file.messages.map((m, n) => {
    if (typeof m.id !== 'string' || typeof m.text !== 'string' || typeof m.emergency !== 'boolean') {
      throw new Error(`${entry.file}: message #${n + 1} lacks id, text or emergency`);
    }
    const lang = ['en', 'pt', 'es'].includes(m.lang) ? (m.lang as LabelledMessage['lang']) : 'en';
    return {
      id: m.id,
      set: entry.name,
      lang,
      emergency: m.emergency,
      label: (m.emergency ? m.category : m.kind) ?? 'unlabelled',
      turns: [{ role: 'patient', text: m.text }],
    };
  });
}

/** The patient's words of a message, as one text. */
export function patientText(message: LabelledMessage): string {
  return message.turns
    .filter((t) => t.role === 'patient')
    .map((t) => t.text)
    .join('\n');
}
