import type { Language } from '../language';

/**
 * Scope of a mention in canonical text: does it describe the patient now? A mention is not current when
 * it is negated ("no chest pain", "não tenho falta de ar", "no sangra"), in the past ("in 2019",
 * "3 years ago", "há 2 anos", "faz 5 anos", "hace 3 años", "5 años atrás", "when I was 20", "last year",
 * "ano passado", "el año pasado"), hypothetical or a general question ("what are the signs of..."),
 * figurative ("this traffic is killing me", "me muero de risa", "quase infartei com a conta") or resolved
 * ("it went away, she's fine now", "já passou", "ya se le pasó").
 */

/**
 * `question`: a clause asking whether something is safe ("can I take X with Y?"): not a red flag, but
 * still what the patient is asking about (a medication question).
 */
export type Scope = 'current' | 'negated' | 'past' | 'hypothetical' | 'question' | 'figurative' | 'resolved';

/** Words that negate what follows them in the same clause. Portuguese "no" ("dor no peito") is not one. */
const NEGATIONS = new Set(
  (
    "no not never without don't doesn't didn't isn't aren't wasn't weren't haven't hasn't hadn't won't none nor " +
    'neither deny denies denied nao nem sem nunca nenhum nenhuma jamais ni sin ningun ninguna ninguno tampoco jamas'
  ).split(' '),
);

/** Words that end a negation's reach: "no fever and my chest hurts" keeps the chest pain. */
const BREAKERS = new Set(
  (
    'and but because cause so then though while which who i my he she his her they we e mas porque entao ' +
    'enquanto eu meu minha ele ela y pero entonces mientras yo mi que ademas also tambem tambien now agora ahora'
  ).split(' '),
);

/** What follows a negation word and makes it not a negation of the symptom: "can't stop", "não sei", "no sé". */
const PSEUDO_AFTER = new Set(
  'stop stopping stops know sure only just wait matter para parar parou sei sabe sabemos certeza so somente deja dejar deje se sabemos seguro solo'.split(
    ' ',
  ),
);

const NEGATION_REACH = 5;

/** Words of a list that carry a negation on without using up its reach: "no pain in my arm or jaw", "sin fiebre ni manchas". */
const LIST_WORDS = new Set('or nor ou nem ni o'.split(' '));

/** Possessives that do not end a negation after a preposition: "no pain in my arm", "sem dor no meu braço". */
const POSSESSIVES = new Set('my his her their meu minha seu sua mi su sus mis'.split(' '));
const PREPOSITIONS = new Set('in on into to at of from around no na em nos nas en de del al a por'.split(' '));

/** A word that negates, and the words after it (to tell "can't stop" and "não sei" apart). */
/** After Spanish "no se", what makes it "no sé" (I don't know) rather than "no se desmayó" (did not faint). */
const KNOW_AFTER = new Set(
  'si que como cuanto cuantos cuantas cuantas donde cuando por porque nada lo la bien exactamente quien cual qual'.split(
    ' ',
  ),
);

export function isNegationCue(word: string, next: string | undefined, lang: Language, afterNext?: string): boolean {
  if (!NEGATIONS.has(word)) return false;
  if (word === 'no' && lang === 'pt') return false;
  if (next === 'se' && word === 'no') return !(afterNext === undefined || KNOW_AFTER.has(afterNext));
  return !(next !== undefined && PSEUDO_AFTER.has(next));
}

/**
 * True when a negation cue stands shortly before the mention, with no breaker between. `covered(i)`
 * says whether word i lies inside another mention ("não consigo mexer o braço": that "não" belongs to
 * the weakness, it does not negate the arm).
 */
export function negatedBefore(
  words: string[],
  mentionStart: number,
  clauseStart: number,
  lang: Language,
  covered: (i: number) => boolean,
): boolean {
  let reach = NEGATION_REACH;
  for (let i = mentionStart - 1; i >= clauseStart && mentionStart - i <= reach; i--) {
    const word = words[i] ?? '';
    if (LIST_WORDS.has(word)) reach += 2;
    // "não é dor no peito", "no es dolor": Portuguese "é" loses its accent and looks like "e" (and).
    const possessiveAfterPreposition = POSSESSIVES.has(word) && PREPOSITIONS.has(words[i - 1] ?? '');
    if (
      BREAKERS.has(word) &&
      !possessiveAfterPreposition &&
      !(word === 'e' && ['nao', 'no'].includes(words[i - 1] ?? ''))
    )
      return false;
    if (covered(i)) continue;
    if (isNegationCue(word, words[i + 1], lang, words[i + 2])) return true;
  }
  return false;
}

const NUMBER_WORDS =
  '\\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|a few|couple of|a couple of|several|many|um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|alguns|algumas|uns|umas|muitos|muitas|varios|varias|mais de \\d+|un|una|dos|cuatro|siete|ocho|nueve|diez|unos|unas|muchos|muchas|mas de \\d+';

/** Time expressions that put a clause in the past. */
const PAST = new RegExp(
  [
    `\\b(?:${NUMBER_WORDS}) (?:years?|yrs?|months?|weeks?) ago\\b`,
    '\\b(?:years|months|ages|a long time|long|a while) ago\\b',
    '\\b(?:years|months) back\\b',
    // Non-native English: "two years before i had a stroke", "before 5 years i had a heart attack".
    `\\b(?:${NUMBER_WORDS}) (?:years?|yrs?) before\\b`,
    `\\bbefore (?:${NUMBER_WORDS}) (?:years?|yrs?|months?)\\b`,
    // "past overdoses", "past seizures", "my past medical history"
    '\\bpast (?:overdoses?|attempts?|suicide attempts?|episodes?|seizures?|fits|strokes?|heart attacks?|history|illness(?:es)?|surger(?:y|ies)|operations?|medical|conditions?|diagnos[ie]s|admissions?|hospitali[sz]ations?|problems?)\\b',
    '\\blast (?:year|month|summer|winter|spring|autumn|fall|christmas|easter|time (?:i|he|she|it) happened)\\b',
    '\\b(?:in|since|back in|around|during|from|em|no ano de|en|en el|el|desde|durante|de) (?:19[4-9]\\d|20[0-4]\\d)\\b(?! ?mg)',
    '\\b(?:in|last|back in|em|en|el|no|em|desde|since) (?:january|february|march|april|june|july|august|september|october|november|december|janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|enero|febrero|marzo|mayo|junio|julio|septiembre|octubre|noviembre|diciembre)\\b',
    '\\b(?:last week|a semana passada|semana passada|la semana pasada|the other week|weeks ago)\\b',
    // The usual, long-standing state ("breathless on the stairs like always") is not a new event.
    '\\b(?:like always|as always|as usual|same as (?:usual|always|ever)|como sempre|o de sempre|igual a sempre|como siempre|lo de siempre|igual que siempre)\\b',
    '\\bwhen (?:i|he|she|we|they|my \\w+) (?:was|were) (?:\\d+|a |an |in |at |younger|little|young|small|pregnant|born|\\w+ years old)',
    '\\bwhen (?:i|he|she) had (?:my|his|her|the) (?:first|second|last|other|older) ',
    '\\bas a (?:child|kid|teen|teenager|baby|toddler|boy|girl|student|little one)\\b',
    '\\bwhen (?:he|she|i) was (?:a )?(?:baby|toddler|little|small|tiny)\\b',
    '\\b(?:growing up|in the past|used to|history of|family history|previous(?:ly)?|years earlier|at (?:age )?\\d+ (?:years old|yo)|in my (?:teens|twenties|thirties|20s|30s|youth|childhood)|when i was younger)\\b',
    '\\b(?:na minha (?:adolescencia|juventude|infancia)|quando (?:eu )?era mais nov[oa]|en mi (?:adolescencia|juventud|ninez)|cuando era mas joven)\\b',
    '\\b(?:died|passed away|passed) (?:of|from|after|with|because of)\\b',
    '\\bmy late \\w+',
    // Portuguese
    `\\b(?:ha|faz|fazem|fez) (?:${NUMBER_WORDS}) (?:anos?|meses|mes|semanas)\\b`,
    '\\b(?:ha|faz) (?:muito tempo|anos|meses|muitos anos|um tempo|um tempao)\\b',
    '\\b(?:anos|meses|semanas|tempos) atras\\b',
    '\\b(?:ano|mes) passado\\b',
    '\\b(?:no|em) (?:ano|verao|inverno|natal) (?:passado|de (?:19|20)\\d\\d)\\b',
    '\\bquando (?:eu |ele |ela |meu \\w+ |minha \\w+ )?(?:era|tinha|estava gravida|eramos|fui|morava|tive (?:meu|minha|o|a) (?:primeir|segund|filh))',
    '\\b(?:de crianca|quando crianca|quando (?:era )?(?:bebe|pequenininh[oa]|pequen[oa]|nenem)|de pequenininh[oa]|na infancia|na adolescencia|no passado|antigamente|historico|antecedentes?|aos \\d+ anos)\\b',
    '\\b(?:morreu|faleceu|falecida|falecido) (?:de|por|com|do|da|depois)\\b',
    // "teve convulsão febril com 1 ano", "tuvo una crisis a los 2 años", "had a fit aged 3"
    `\\b(?:teve|tive|tinha|fez|tuvo|tuve|tenia|had|was) (?:\\w+ ){0,3}(?:com|con|aged|at age|at) (?:${NUMBER_WORDS}) (?:anos?|anios?|years?|meses|months?)(?: old| de idade| de edad)?\\b`,
    // Spanish
    `\\bhace (?:${NUMBER_WORDS}) (?:anos|anios|meses|mes|semanas)\\b`,
    '\\bhace (?:anos|anios|mucho|mucho tiempo|tiempo|muchos anos)\\b',
    '\\b(?:anos|anios|meses|semanas) atras\\b',
    '\\bel (?:ano|anio|mes|verano|invierno) pasado\\b',
    '\\bcuando (?:yo |el |ella |mi \\w+ )?(?:era|tenia|estaba embarazada|eramos|fui|vivia|tuve (?:a )?(?:mi|el|la) (?:primer|segund|hij))',
    '\\b(?:de nino|de nina|de pequeno|de pequena|de chico|de chica|de chiquito|de chiquita|de chiquitito|de bebe|de nene|de nena|de pequenito|de pequenita|de joven|en mi infancia|en el pasado|antecedentes?|a los \\d+ anos)\\b',
    '\\b(?:murio|fallecio|fallecida|fallecido) (?:de|por|del|despues)\\b',
  ].join('|'),
);

/** Words that bring a past clause back to now: "a stroke years ago and now his face is drooping". */
const PRESENT = new RegExp(
  [
    '\\b(?:now|right now|currently|today|tonight|at the moment|this (?:morning|afternoon|evening|week)|again|still|just now|just happened|minutes ago|an hour ago|hours ago|(?:\\d+|a few|two|three) (?:minutes|hours|mins|hrs) ago)\\b',
    '\\b(?:agora|agorinha|hoje|de novo|novamente|outra vez|ainda|neste momento|nesse momento|essa noite|esta noite|hoje de manha|ha pouco|faz pouco|ha (?:\\d+|uns|umas|duas|tres) (?:minutos|horas)|faz (?:\\d+|uns|umas|duas|tres) (?:minutos|horas))\\b',
    '\\b(?:ahora|ahorita|hoy|otra vez|de nuevo|todavia|aun|en este momento|esta (?:manana|noche|tarde)|hace (?:un rato|rato|poco|(?:\\d+|unos|unas|dos|tres) (?:minutos|horas)))\\b',
  ].join('|'),
);

/**
 * "estou com tosse há um mês", "tengo tos desde hace un mes": Portuguese "há" and Spanish "hace" also
 * say how long something has been going on. With a present-tense verb and no past-tense one, the clause
 * is about now.
 */
const ONGOING =
  /\bdesde (?:hace|ha)\b|\b(?:estou com|to com|tou com|ando com|tenho|sinto|estoy con|ando con|tengo|siento|llevo|i have had|i've had|i've been|i have been)\b/;
const PAST_VERB =
  /\b(?:tive|teve|tivemos|tiveram|foi|fui|fiz|fez|sofri|sofreu|morreu|faleceu|tuve|tuvo|tuvimos|fue|hice|hizo|sufri|sufrio|murio|fallecio|had|was|were|did|died)\b/;

/** A verb in a past tense: a clause that has one tells its own event. */
export function hasPastVerb(text: string): boolean {
  return PAST_VERB.test(text);
}

/**
 * A birth told with its date is an age, not a past event: "born 9 weeks ago", "nació hace 4 semanas",
 * "had our baby 3 weeks ago" do not put what follows in the past.
 */
const BIRTH =
  /\b(?:(?:was |were )?born|nasceu|nacio|had (?:our|my|the|her) (?:baby|son|daughter|little one)|gave birth|delivered|dei a luz|di a luz|ganhei (?:o|a|meu|minha)? ?(?:bebe|nenem|filho|filha)|tive (?:o|a|meu|minha) (?:bebe|nenem|filho|filha)|tuve (?:a )?(?:mi|el|la) (?:bebe|hijo|hija))\s+(?:ha |faz |hace )?\S+\s+(?:days?|weeks?|wks?|months?|dias?|semanas?|meses|mes)(?:\s+(?:ago|atras))?/;
const BIRTHS = new RegExp(BIRTH.source, 'g');

export function hasPast(text: string): boolean {
  if (!PAST.test(text)) return false;
  if (BIRTH.test(text) && !PAST.test(text.replace(BIRTHS, ' '))) return false;
  return !(ONGOING.test(text) && !PAST_VERB.test(text));
}

export function hasPresent(text: string): boolean {
  return PRESENT.test(text);
}

/** Words after a resolved episode that say it is still going on. */
const STILL =
  /\b(?:still|keeps|keep|worse|getting|not (?:better|fine|ok|okay)|ainda|continu\w*|piorou|piorando|pior|todavia|sigue|segue|peor|empeor\w*)\b/;

/**
 * "still" in a question about what to do ("should he still be checked?", "is it still ok to fly?",
 * "ainda precisa ir ao médico?", "¿todavía hay que llevarlo?") says nothing about the episode going on.
 */
const STILL_IN_QUESTION =
  /\b(?:(?:should|do|does|can|could|would|will|must|need|is it|am i|are we) (?:\w+ )?still|still (?:be|get|go|need|needs|see|worth|ok|okay|safe|fine to|a good idea|have to|take|bring|book))\b|\bainda (?:precisa|preciso|devo|deve|vale|e bom|tenho que|tem que)\b|\btodavia (?:hay que|tengo que|tiene que|debo|debe|necesita|necesito|conviene|vale)\b/g;

export function continuesAfter(text: string): boolean {
  return STILL.test(text.replace(STILL_IN_QUESTION, ' '));
}

export interface Span {
  start: number;
  end: number;
}

/** Sentence spans (character offsets) of a canonical text. */
export function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  const re = /[^.!?;]+[.!?;]*/g;
  for (const match of text.matchAll(re)) {
    const start = match.index ?? 0;
    spans.push({ start, end: start + match[0].length });
  }
  return spans.length > 0 ? spans : [{ start: 0, end: text.length }];
}

const CLAUSE_BREAK =
  /,(?!\d)|\b(?:but|however|though|although|mas|porem|entretanto|pero|sin embargo|aunque)\b|\b(?:and|e|y) (?:now|agora|ahora|today|hoje|hoy|then|depois|luego|despues|still|ainda|todavia|again|de novo|otra vez)\b/g;

/** Clause spans inside one sentence span. */
export function clauseSpans(text: string, sentence: Span): Span[] {
  const spans: Span[] = [];
  const part = text.slice(sentence.start, sentence.end);
  let last = 0;
  for (const match of part.matchAll(CLAUSE_BREAK)) {
    const at = match.index ?? 0;
    if (at > last) spans.push({ start: sentence.start + last, end: sentence.start + at });
    last = at;
  }
  spans.push({ start: sentence.start + last, end: sentence.end });
  // A break right after another (", and now") leaves a clause of punctuation only: join it to the next.
  const merged: Span[] = [];
  let carry: number | undefined;
  for (const span of spans) {
    if (!/[a-z0-9]/.test(text.slice(span.start, span.end))) {
      carry ??= span.start;
      continue;
    }
    merged.push({ start: carry ?? span.start, end: span.end });
    carry = undefined;
  }
  if (carry !== undefined) merged.push({ start: carry, end: sentence.end });
  return merged;
}
