/**
 * A cheap test that lets the engines skip most concept regexes for a message. Every concept match
 * starts at the beginning of a word, so a concept can only match when the message has a word starting
 * with one of the (up to three-letter) prefixes its pattern can start with. The prefixes are worked out
 * once from the pattern; a pattern whose start cannot be worked out is always run.
 */

const WORD_CHAR = /[a-z0-9'°]/;
const MAX_EXPANSIONS = 4000;
const KEY_LENGTH = 3;

function splitTop(pattern: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(pattern.slice(start));
  return parts;
}

function closing(pattern: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

class TooMany extends Error {}

/** Possible starts (word characters, up to KEY_LENGTH) of a match of `pattern` from index i. */
function starts(pattern: string, i: number, acc: string, out: Set<string>): void {
  if (out.size > MAX_EXPANSIONS) throw new TooMany();
  if (acc.length >= KEY_LENGTH || i >= pattern.length) {
    out.add(acc.slice(0, KEY_LENGTH));
    return;
  }
  const c = pattern[i]!;
  const quantifier = (at: number) => pattern[at];
  if (WORD_CHAR.test(c)) {
    const q = quantifier(i + 1);
    if (q === '?' || q === '*') {
      starts(pattern, i + 2, acc, out);
      starts(pattern, i + 2, acc + c, out);
    } else if (q === '+') {
      starts(pattern, i + 2, acc + c, out);
    } else {
      starts(pattern, i + 1, acc + c, out);
    }
    return;
  }
  if (c === '(') {
    const end = closing(pattern, i);
    if (end < 0) throw new TooMany();
    let content = pattern.slice(i + 1, end);
    const q = quantifier(end + 1);
    const next = end + 1 + (q === '?' || q === '*' || q === '+' ? 1 : 0);
    if (/^\?(?:<?[!=])/.test(content)) {
      // A lookaround takes no characters: the match goes on after it.
      starts(pattern, end + 1, acc, out);
      return;
    }
    if (content.startsWith('?:')) content = content.slice(2);
    const rest = pattern.slice(next);
    for (const branch of splitTop(content)) starts(branch + rest, 0, acc, out);
    if (q === '?' || q === '*') starts(pattern, next, acc, out);
    return;
  }
  if (c === '[') {
    const end = pattern.indexOf(']', i);
    const chars = pattern.slice(i + 1, end);
    const q = quantifier(end + 1);
    if (end < 0 || !/^[a-z0-9']{1,8}$/.test(chars) || q === '*' || q === '?' || q === '+') {
      out.add(acc);
      return;
    }
    for (const ch of chars) starts(pattern, end + 1, acc + ch, out);
    return;
  }
  // A space, a gap, a wildcard or any other construct ends what can be known of the start.
  out.add(acc);
}

/** The keys (word prefixes of 1 to 3 characters) a match of one of these patterns must start with, or null. */
export function patternKeys(patterns: string[]): Set<string> | null {
  const keys = new Set<string>();
  try {
    for (const pattern of patterns) {
      for (const alternative of splitTop(pattern.trim())) {
        const out = new Set<string>();
        starts(alternative.trim(), 0, '', out);
        for (const key of out) {
          if (key.length === 0) return null;
          keys.add(key);
        }
      }
    }
  } catch (err) {
    if (err instanceof TooMany) return null;
    throw err;
  }
  return keys;
}

/** The word-start keys of a canonical text: every word's first 1, 2 and 3 characters. */
export function textKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const match of text.matchAll(/[a-z0-9'°]+/g)) {
    const word = match[0];
    keys.add(word.slice(0, 1));
    if (word.length >= 2) keys.add(word.slice(0, 2));
    if (word.length >= 3) keys.add(word.slice(0, 3));
  }
  return keys;
}

/** Whether a concept with these keys can match a text with these keys. */
export function mayMatch(conceptKeys: Set<string> | null, keys: Set<string>): boolean {
  if (conceptKeys === null) return true;
  if (conceptKeys.size <= keys.size) {
    for (const key of conceptKeys) if (keys.has(key)) return true;
  } else {
    for (const key of keys) if (conceptKeys.has(key)) return true;
  }
  return false;
}

/** One match of a concept: where it starts in the text and how long it is. */
export interface ConceptHit {
  concept: string;
  index: number;
  length: number;
}

/** 1: a character a key can hold ([a-z0-9'°]); 2: also one that may not precede a match ([a-z0-9']). */
const CHAR_CLASS = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyz0123456789'") CHAR_CLASS[c.charCodeAt(0)] = 3;
CHAR_CLASS['°'.charCodeAt(0)] = 1;
const charClass = (code: number) => (code < 256 ? CHAR_CLASS[code]! : 0);

/**
 * Finds every concept's matches in one pass over the words of a text, with the same result as running
 * each concept's global regex (`(?<![a-z0-9'])(?:…)…`) over the whole text. Each concept's regex is
 * tried, sticky, only at the word starts whose first one to three characters are one of its keys
 * (patternKeys), instead of at every character of the text; concepts without keys still scan the text.
 * Matches of one concept never overlap (as with matchAll), and come out concept by concept in the order
 * of the map, each concept's in text order.
 */
export class ConceptScanner {
  private readonly names: string[];
  private readonly sticky: RegExp[];
  private readonly global: RegExp[];
  private readonly byKey = new Map<string, number[]>();
  private readonly always: number[] = [];

  constructor(concepts: Map<string, RegExp>, keys: Map<string, Set<string> | null>) {
    this.names = [...concepts.keys()];
    this.global = [...concepts.values()];
    this.sticky = this.global.map((r) => new RegExp(r.source, r.flags.replace('g', '') + 'y'));
    this.names.forEach((name, id) => {
      const conceptKeys = keys.get(name) ?? null;
      if (conceptKeys === null) {
        this.always.push(id);
        return;
      }
      for (const key of conceptKeys) {
        const list = this.byKey.get(key);
        if (list) list.push(id);
        else this.byKey.set(key, [id]);
      }
    });
  }

  /** The matches of every concept (or of those `wanted` accepts) in `text`. */
  scan(text: string, wanted?: (concept: string) => boolean): ConceptHit[] {
    const count = this.names.length;
    const hits: ConceptHit[][] = new Array<ConceptHit[]>(count);
    const next = new Int32Array(count);
    const seen = new Int32Array(count);
    const accept = wanted ? this.names.map((name) => wanted(name)) : undefined;
    const add = (id: number, index: number, length: number) => {
      (hits[id] ??= []).push({ concept: this.names[id]!, index, length });
    };
    for (const id of this.always) {
      if (accept && !accept[id]) continue;
      const regex = this.global[id]!;
      regex.lastIndex = 0;
      for (const match of text.matchAll(regex)) add(id, match.index ?? 0, match[0].length);
    }
    const length = text.length;
    let previous = 0;
    for (let i = 0; i < length; i++) {
      const current = charClass(text.charCodeAt(i));
      const startsWord = current !== 0 && (previous & 2) === 0;
      previous = current;
      if (!startsWord) continue;
      let end = i + 1;
      while (end < length && end - i < KEY_LENGTH && charClass(text.charCodeAt(end)) !== 0) end++;
      for (let k = 1; k <= end - i; k++) {
        const list = this.byKey.get(text.slice(i, i + k));
        if (!list) continue;
        for (const id of list) {
          if (seen[id] === i + 1 || next[id]! > i || (accept && !accept[id])) continue;
          seen[id] = i + 1;
          const regex = this.sticky[id]!;
          regex.lastIndex = i;
          const match = regex.exec(text);
          if (!match) continue;
          add(id, i, match[0].length);
          next[id] = i + Math.max(1, match[0].length);
        }
      }
    }
    const out: ConceptHit[] = [];
    for (let id = 0; id < count; id++) {
      const list = hits[id];
      if (list) out.push(...(list.length > 1 ? list.sort((a, b) => a.index - b.index) : list));
    }
    return out;
  }
}
