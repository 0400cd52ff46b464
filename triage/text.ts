/**
 * Text helpers shared by the rules engine and the safety layer. Everything the engine matches runs on
 * normalised text (lower case, no accents, one space between words) so rules are written once,
 * without accents, and still catch "não", "nao", "NÃO" and "cabeça"/"cabeca".
 */

/** Lower-cases, strips diacritics, unifies apostrophes/degree signs and collapses whitespace. */
export function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[º˚]/g, '°')
    .replace(/[\u201c\u201d"«»]/g, ' ')
    .replace(/[-_/\\()[\]{}*#@+=|~^<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Splits normalised text into clauses. Negation and "years ago" only reach as far as the clause they
 * are in, so "no fever, but my chest hurts" keeps the chest pain.
 */
export function splitClauses(normalised: string): string[] {
  return normalised
    .split(
      /[.;!?\n]+|,(?!\d)|\b(?:but|however|though|although|mas|porem|entretanto|pero|sin embargo|aunque)\b|\b(?:and|e|y) (?:now|agora|ahora|today|hoje|hoy)\b/,
    )
    .map((c) => (c ?? '').trim())
    .filter((c) => c.length > 0);
}

/** Splits normalised text into word tokens (apostrophes kept so "don't" stays one token). */
export function tokens(normalised: string): string[] {
  return normalised.split(/[^a-z0-9'°]+/).filter((t) => t.length > 0);
}

/** Splits an original (not normalised) reply into sentences, keeping their punctuation. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
