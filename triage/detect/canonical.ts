import { normalise } from '../text';

/**
 * Canonical text for detection: what patients write on WhatsApp, brought to the words the lexicons know.
 *
 * 1. `normalise` (lower case, accents stripped, one space between words);
 * 2. emoji that carry meaning become words (🩸 → blood, 💊 → pills), the rest are dropped; written laughter
 *    ("kkkk", "jajaja", "rsrs") becomes "haha";
 * 3. letters repeated three or more times are collapsed ("socorrooo" → "socorro", "bleeeding" → "bleeding");
 * 4. texting abbreviations are expanded (vc, q, pq, tb, xq, tmb, u, ur, rn, hj, mt, cant, dont, ...);
 * 5. longer words that are not known are corrected to the nearest word of the lexicon's `spelling` list
 *    (Damerau-Levenshtein 1 for 6–8 letters, 2 for 9 or more): "siezure" → "seizure", "unconcious" → "unconscious".
 *
 * Punctuation is kept, so clauses can still be split afterwards. Pure and deterministic.
 */

/** Emoji that say something about an emergency (or about thanks/laughter), as words. */
const EMOJI_WORDS: Array<[RegExp, string]> = [
  [/\u{1FA78}/gu, ' blood '], // 🩸 drop of blood
  [/\u{1F48A}/gu, ' pills '], // 💊
  [/\u{1F92E}/gu, ' vomiting '], // 🤮
  [/\u{1F912}/gu, ' fever '], // 🤒
  [/\u{1F321}\uFE0F?/gu, ' temperature '], // 🌡️
  [/\u{1F975}/gu, ' hot '], // 🥵
  [/\u{1F691}/gu, ' ambulance '], // 🚑
  [/\u{1F198}/gu, ' help '], // 🆘
  [/\u{1F52A}/gu, ' knife '], // 🔪
  [/\u{1F494}/gu, ' heartbroken '], // 💔
  [/[\u{1F602}\u{1F923}\u{1F606}\u{1F605}\u{1F639}]/gu, ' haha '], // 😂 🤣 😆 😅 😹
  [/\u{1F64F}/gu, ' '], // 🙏 (thanks or please: no clinical meaning)
];

const EMOJI_ANY = /[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}\u{2B00}-\u{2BFF}\uFE0F\u200D]/gu;

/** Texting abbreviations, per token (all three languages; none is a word in another of them). */
export const ABBREVIATIONS: Record<string, string> = {
  // English
  u: 'you',
  ur: 'your',
  r: 'are',
  rn: 'right now',
  pls: 'please',
  plz: 'please',
  plsss: 'please',
  idk: "i don't know",
  cant: "can't",
  dont: "don't",
  wont: "won't",
  doesnt: "doesn't",
  didnt: "didn't",
  isnt: "isn't",
  wasnt: "wasn't",
  havent: "haven't",
  hasnt: "hasn't",
  couldnt: "couldn't",
  shouldnt: "shouldn't",
  aint: "ain't",
  im: "i'm",
  ive: "i've",
  thx: 'thanks',
  thnx: 'thanks',
  thanx: 'thanks',
  tysm: 'thank you',
  ty: 'thank you',
  bc: 'because',
  cuz: 'because',
  coz: 'because',
  b4: 'before',
  bf: 'boyfriend',
  gf: 'girlfriend',
  yrs: 'years',
  yr: 'year',
  yrold: 'years old',
  hrs: 'hours',
  hr: 'hour',
  mins: 'minutes',
  wks: 'weeks',
  wk: 'week',
  mos: 'months',
  mo: 'months',
  'w/': 'with',
  asap: 'now',
  // Portuguese
  vc: 'voce',
  vcs: 'voces',
  voc: 'voce',
  q: 'que',
  pq: 'porque',
  pqp: 'porra',
  tbm: 'tambem',
  mt: 'muito',
  mto: 'muito',
  mta: 'muita',
  mts: 'muitos',
  hj: 'hoje',
  naum: 'nao',
  nd: 'nada',
  td: 'tudo',
  tds: 'todos',
  cmg: 'comigo',
  msm: 'mesmo',
  agr: 'agora',
  dps: 'depois',
  obg: 'obrigado',
  vlw: 'valeu',
  kd: 'cade',
  tava: 'estava',
  tou: 'estou',
  ta: 'esta',
  tao: 'estao',
  pra: 'para',
  pro: 'para o',
  // Spanish
  xq: 'porque',
  porq: 'porque',
  tmb: 'tambien',
  tmbn: 'tambien',
  bn: 'bien',
  k: 'que',
  dnd: 'donde',
  grax: 'gracias',
  grasias: 'gracias',
  toy: 'estoy',
  tas: 'estas',
  weno: 'bueno',
};

/**
 * "d+" (pt "demais"), written with a symbol that `normalise` would drop; "n" is Portuguese "não" before a
 * verb ("n consigo respirar") and English "and" elsewhere ("chest pain n sweating").
 */
const SYMBOL_ABBREVIATIONS: Array<[RegExp, string]> = [
  [
    /(^|[\s,.!?])n (?=(?:consigo|consegue|conseguia|tenho|tem|tinha|sei|sabe|quero|quer|to|tou|ta|estou|esta|da|deu|pode|posso|e|eh|sinto|sente|aguento|aguenta|para|parou|passa|passou|acorda|acordou|responde|respira|mexe|fala|fez|faz|vai|vou|foi|melhora|melhorou|come|mama|dorme|dormi|lembra|sai|saiu|ha|tive|teve|achei|acho|gosto|precisa|preciso|fiz|tomei|tomou|bebi|bebeu)\b)/g,
    '$1nao ',
  ],
  [/(^|[\s,.!?])n(?=[\s,.!?]|$)/g, '$1and'],
  [/(^|\s)d\+(?=\s|$|[.,!?])/g, '$1demais'],
  [/(^|\s)\+ ?de\b/g, '$1mais de'],
  [/(^|\s)w\/(?=\s)/g, '$1with'],
];

/** Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions), capped at max + 1. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  let prev2 = new Array<number>(cols).fill(0);
  let prev = Array.from({ length: cols }, (_, j) => j);
  let cur = new Array<number>(cols).fill(0);
  for (let i = 1; i < rows; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[cols - 1]!;
}

function deletes(word: string, depth: number, out: Set<string>): void {
  for (let i = 0; i < word.length; i++) {
    const shorter = word.slice(0, i) + word.slice(i + 1);
    if (out.has(shorter)) continue;
    out.add(shorter);
    if (depth > 1) deletes(shorter, depth - 1, out);
  }
}

export const MIN_CORRECTED_LENGTH = 6;
const maxDistanceFor = (length: number) => (length >= 9 ? 2 : 1);

/**
 * Spelling correction against a fixed list of target words (symmetric-delete index, so a lookup costs a
 * few dozen map reads, not a scan of the lexicon). Words in `known` are never corrected.
 */
export class Speller {
  private readonly index = new Map<string, string[]>();
  private readonly targets: Set<string>;
  private readonly cache = new Map<string, string>();

  constructor(
    targets: Iterable<string>,
    private readonly known: ReadonlySet<string>,
  ) {
    this.targets = new Set([...targets].filter((w) => w.length >= MIN_CORRECTED_LENGTH - 1));
    for (const word of this.targets) {
      const variants = new Set<string>([word]);
      deletes(word, maxDistanceFor(word.length + 1), variants);
      for (const variant of variants) {
        const list = this.index.get(variant);
        if (list) list.push(word);
        else this.index.set(variant, [word]);
      }
    }
  }

  isKnown(word: string): boolean {
    return this.known.has(word) || this.targets.has(word);
  }

  /** The word itself when known or too short, else the closest target within the distance allowed (ties: first in order). */
  correct(word: string): string {
    if (word.length < MIN_CORRECTED_LENGTH || this.isKnown(word) || /\d/.test(word)) return word;
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const max = maxDistanceFor(word.length);
    const variants = new Set<string>([word]);
    deletes(word, max, variants);
    let best = word;
    let bestDistance = max + 1;
    const candidates = new Set<string>();
    for (const variant of variants) for (const target of this.index.get(variant) ?? []) candidates.add(target);
    for (const target of [...candidates].sort()) {
      const d = editDistance(word, target, max);
      // The first letter is rarely mistyped: a correction that changes it needs to be exact otherwise.
      const penalty = target[0] !== word[0] ? 1 : 0;
      if (d + penalty < bestDistance) {
        best = target;
        bestDistance = d + penalty;
      }
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(word, best);
    return best;
  }
}

/** Collapses letters repeated three or more times; keeps a double letter when that makes a known word. */
export function collapseRepeats(word: string, isKnown: (w: string) => boolean): string {
  if (!/([a-z])\1\1/.test(word)) return word;
  const single = word.replace(/([a-z])\1{2,}/g, '$1');
  if (isKnown(single)) return single;
  const double = word.replace(/([a-z])\1{2,}/g, '$1$1');
  if (isKnown(double)) return double;
  return single;
}

export function replaceEmoji(text: string): string {
  let out = text;
  for (const [pattern, word] of EMOJI_WORDS) out = out.replace(pattern, word);
  return out.replace(EMOJI_ANY, ' ');
}

/** Written laughter ("kkkk", "hahaha", "jajaja", "rsrs", "lool"): one word, before "kkk" collapses to "k" (que). */
const LAUGHTER =
  /^(?:k{2,}|(?:ha){2,}h?|(?:ah){2,}|(?:ja){2,}j?|(?:je){2,}|(?:he){2,}|(?:hi){2,}|(?:rs){2,}|(?:hue){2,}|lo+l|lmf?a+o+)$/;

/** Canonical form of a message for the detectors (see the module comment). */
export function canonicalise(text: string, speller?: Speller): string {
  let lowered = replaceEmoji(text.toLowerCase());
  for (const [pattern, replacement] of SYMBOL_ABBREVIATIONS) lowered = lowered.replace(pattern, replacement);
  const base = normalise(lowered);
  const isKnown = (w: string) => speller?.isKnown(w) ?? false;
  return base.replace(/[a-z][a-z0-9']*/g, (raw) => {
    if (LAUGHTER.test(raw)) return 'haha';
    const word = collapseRepeats(raw, isKnown);
    const expanded = ABBREVIATIONS[word];
    if (expanded !== undefined) return expanded;
    return speller ? speller.correct(word) : word;
  });
}
