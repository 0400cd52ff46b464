import type { Language } from '../language';

/**
 * Whether a mention counts: negated ("no chest pain"), historical ("years ago") or a general question
 * ("what are the signs of a stroke?") mentions do not raise alarms. All lists are normalised text.
 */

/** Words that negate what follows them in the same clause. */
export const NEGATION_WORDS = [
  'no',
  'not',
  'never',
  'without',
  'nothing',
  "don't",
  'dont',
  "doesn't",
  'doesnt',
  "didn't",
  'didnt',
  "isn't",
  'isnt',
  "aren't",
  "haven't",
  'havent',
  "hasn't",
  'hasnt',
  "hadn't",
  "wasn't",
  "weren't",
  'deny',
  'denies',
  'denied',
  'none',
  'nor',
  'neither',
  'nao',
  'n',
  'nem',
  'sem',
  'nunca',
  'nenhum',
  'nenhuma',
  'jamais',
  'nada',
  'ni',
  'sin',
  'ningun',
  'ninguna',
  'ninguno',
  'tampoco',
];

const NEGATIONS = new Set(NEGATION_WORDS);

/** Words that end a negation's reach: "no fever and my chest hurts" keeps the chest pain. */
const SCOPE_BREAKERS = new Set(
  (
    'and but because cause why what since so though then i my e mas porque pq entao eu meu minha y pero entonces ' +
    'yo mi que'
  ).split(' '),
);

/** How many words back a negation may stand from the mention it negates. */
const NEGATION_REACH = 6;

/**
 * True when a negation word stands shortly before the mention, with no scope breaker between.
 * Portuguese "no" means "in the" ("dor no peito"), so it only negates in English and Spanish.
 */
export function isNegated(wordsBefore: string[], lang: Language): boolean {
  const window = wordsBefore.slice(-NEGATION_REACH);
  for (let i = window.length - 1; i >= 0; i--) {
    const word = window[i] ?? '';
    // "não é dor no peito": Portuguese "é" (is) loses its accent and looks like "e" (and).
    if (SCOPE_BREAKERS.has(word) && !(word === 'e' && ['nao', 'no'].includes(window[i - 1] ?? ''))) return false;
    if (NEGATIONS.has(word) && !(word === 'no' && lang === 'pt')) return true;
  }
  return false;
}

const HISTORICAL =
  /\b(?:(?:years?|months?|decades?) ago|last (?:year|month|summer|winter|spring|autumn|fall)|in the past|as a (?:child|kid|teenager|baby)|when (?:i|he|she|they) (?:was|were) (?:a |an )?(?:child|kid|young|little|younger|teenager|pregnant|baby)|(?:family )?history of|family history|used to|back in (?:19|20)\d\d|in (?:19|20)\d\d|(?:died|passed away) (?:of|from|after)|ha (?:\d+|muitos|alguns|uns|dois|tres|quatro|cinco) (?:anos|meses)|ha (?:anos|muito tempo)|(?:anos|meses) atras|de crianca|quando crianca|ano passado|mes passado|no passado|quando (?:eu )?era (?:crianca|pequen[oa]|mais nov[oa]|jovem)|historico (?:familiar|de)|antecedentes?|(?:morreu|faleceu) (?:de|por)|hace (?:\d+|muchos|algunos|unos|dos|tres|cuatro|cinco) (?:anos|meses)|hace (?:anos|meses|tiempo|mucho tiempo)|de (?:nin[oa]|pequen[oa])|el (?:ano|mes) pasado|en el pasado|cuando (?:yo )?era (?:nin[oa]|pequen[oa]|joven)|(?:murio|fallecio) (?:de|por))\b/;

const PRESENT =
  /\b(?:now|right now|again|currently|today|tonight|at the moment|this (?:morning|afternoon|evening)|still|agora|de novo|novamente|outra vez|hoje|neste momento|ainda|ahora|otra vez|de nuevo|hoy|en este momento|todavia)\b/;

const HYPOTHETICAL =
  /\b(?:(?:what|which) (?:are|is) (?:the )?(?:warning )?(?:signs?|symptoms?)|how (?:do|can|would|could) (?:i|you|we|one) (?:know|tell|recogni[sz]e|spot)|(?:quais|que) (?:sao )?(?:os )?(?:sinais|sintomas)|como (?:saber|reconhecer|identificar|reconocer)|cuales son (?:los )?(?:signos|sintomas|senales)|information about|informacao sobre|informacion sobre)\b/;

/** A clause about the past (and not also about now), or a general question, does not describe the patient now. */
export function isNotCurrent(clause: string): boolean {
  if (HYPOTHETICAL.test(clause)) return true;
  return HISTORICAL.test(clause) && !PRESENT.test(clause);
}

const AFFIRMATIVE =
  /^(?:yes|yeah|yep|yup|ya|sure|correct|right|exactly|affirmative|definitely|indeed|it does|i do|i am|sim|s|ss|isso|exato|exatamente|claro|uhum|aham|tenho|estou|si|sii|exacto|correcto|efectivamente|asi es|tengo|estoy)\b/;

/** A patient turn that answers "yes" to the assistant's previous question. */
export function isAffirmative(normalisedText: string): boolean {
  return AFFIRMATIVE.test(normalisedText);
}
