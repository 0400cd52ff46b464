/**
 * Numbers the rules need beyond words: body temperature, how long symptoms have lasted, and the age of
 * the person who is ill. Each reader takes one normalised clause and returns what it found.
 */

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  'couple of': 2,
  few: 3,
  'a few': 3,
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  tres: 3,
  quatro: 4,
  cinco: 5,
  seis: 6,
  sete: 7,
  oito: 8,
  nove: 9,
  dez: 10,
  alguns: 3,
  algumas: 3,
  un: 1,
  una: 1,
  dos: 2,
  cuatro: 4,
  siete: 7,
  ocho: 8,
  nueve: 9,
  diez: 10,
  unos: 3,
  unas: 3,
};

const NUMBER = `(\\d+(?:[.,]\\d+)?|${Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|')})`;

function toNumber(text: string): number {
  return NUMBER_WORDS[text] ?? Number(text.replace(',', '.'));
}

const UNIT_DAYS: Array<[RegExp, number]> = [
  [/^(?:hours?|horas?)$/, 1 / 24],
  [/^(?:days?|dias?)$/, 1],
  [/^(?:weeks?|semanas?)$/, 7],
  [/^(?:months?|mes|meses)$/, 30],
  [/^(?:years?|anos)$/, 365],
];

function unitToDays(unit: string): number {
  return UNIT_DAYS.find(([pattern]) => pattern.test(unit))?.[1] ?? 0;
}

const NOT_A_TEMPERATURE =
  /^\s*(?:h\b|hours?|horas?|days?|dias?|weeks?|semanas?|months?|mes|meses|years?|anos|minutes?|minutos?|kg|kilos?|lbs?|%|mg|ml|bpm|times|vezes|veces|x\b)/;

const AGE_BEFORE = /(?:i'm|im|i am|aged?|he's|hes|she's|shes|he is|she is|idade|edad)\s*$/;

/** Highest body temperature (°C) stated in the clause. Bare numbers count only when fever is the topic. */
export function readTemperatureC(clause: string, mentionsFever: boolean): number | undefined {
  let best: number | undefined;
  const pattern =
    /(?<![\d.,])(\d{2,3}(?:[.,]\d{1,2})?)\s*(°\s*[cf]?|graus?|grados?|degrees?|celsius|fahrenheit|[cf](?![a-z]))?/g;
  for (const match of clause.matchAll(pattern)) {
    const value = Number((match[1] ?? '').replace(',', '.'));
    const unit = (match[2] ?? '').replace(/\s/g, '');
    const after = clause.slice((match.index ?? 0) + match[0].length);
    const before = clause.slice(0, match.index ?? 0);
    if (unit === '' && (!mentionsFever || NOT_A_TEMPERATURE.test(after) || AGE_BEFORE.test(before))) continue;
    const fahrenheit = /f/.test(unit) || (unit !== '°c' && unit !== 'c' && value >= 95 && value <= 110);
    const celsius = fahrenheit ? ((value - 32) * 5) / 9 : value;
    if (celsius >= 34 && celsius <= 44) best = Math.max(best ?? 0, Math.round(celsius * 10) / 10);
  }
  return best;
}

const AGE_SUFFIX =
  /^\s*(?:old|de idade|de vida|de edad|de nacid[oa]|de nascid[oa]|pregnant|de gravidez|de embarazo|de gestacao)/;
const YEARS_ONLY_AFTER = /(?:for|since|over|about|almost|ha|faz|hace|durante|por|desde)\s*$/;

/** Longest duration (days) the clause gives for the symptoms: "for 3 days", "há 2 semanas", "since yesterday". */
export function readDurationDays(clause: string): number | undefined {
  let best: number | undefined;
  const consider = (days: number) => (best = Math.max(best ?? 0, days));
  const pattern = new RegExp(
    `(?<![a-z0-9])${NUMBER}\\s+(hours?|days?|weeks?|months?|years?|horas?|dias?|semanas?|mes|meses|anos)(?![a-z])`,
    'g',
  );
  for (const match of clause.matchAll(pattern)) {
    const unit = match[2] ?? '';
    const before = clause.slice(0, match.index ?? 0);
    const after = clause.slice((match.index ?? 0) + match[0].length);
    if (AGE_SUFFIX.test(after)) continue;
    if (/(?:^|\s)(?:de|of)\s*$/.test(before) && !/dias?|days?|horas?|hours?/.test(unit)) continue;
    if (/years?|anos/.test(unit) && !YEARS_ONLY_AFTER.test(before)) continue;
    consider(toNumber(match[1] ?? '') * unitToDays(unit));
  }
  if (/\b(?:day before yesterday|anteontem|antes de ontem|anteayer|antes de ayer)\b/.test(clause)) consider(2);
  else if (/\b(?:yesterday|last night|ontem|ayer|anoche)\b/.test(clause)) consider(1);
  if (
    /\b(?:this morning|today|tonight|hoje|hoy|esta manana|esta noche|since (?:lunch|breakfast)|an hour ago|minutes ago)\b/.test(
      clause,
    )
  ) {
    consider(0.25);
  }
  return best;
}

const CHILD_WORD =
  '(?:baby|babies|son|daughter|boy|girl|bebe|bebezinho|nenem|filho|filha|neto|neta|hijo|hija|nene|nieto|nieta|bebito)';

/** Age in months of the person described, when the clause says it ("2 month old", "bebê de 3 semanas", "tengo 70 años"). */
export function readAgeMonths(clause: string): number | undefined {
  let best: number | undefined;
  const consider = (months: number) => (best = Math.min(best ?? Number.POSITIVE_INFINITY, months));
  const unitMonths = (unit: string): number =>
    /week|semana/.test(unit) ? 7 / 30 : /day|dia/.test(unit) ? 1 / 30 : /year|ano|yr/.test(unit) ? 12 : 1;
  const youngPatterns = [
    new RegExp(
      `${NUMBER}\\s+(weeks?|months?|days?|years?|yrs?|semanas?|mes|meses|dias?|anos)\\s+(?:old|de idade|de vida|de edad|de nacid[oa]|de nascid[oa])`,
      'g',
    ),
    new RegExp(
      `${CHILD_WORD}(?:\\s+\\S+)?\\s+(?:de|of|com)\\s+${NUMBER}\\s+(weeks?|months?|days?|years?|semanas?|mes|meses|dias?|anos)(?![a-z])`,
      'g',
    ),
    new RegExp(
      `(?:i'm|im|i am|he's|hes|she's|shes|he is|she is|aged?|tenho|tem|tengo|tiene)\\s+${NUMBER}\\s+(years?|yrs?|anos|meses|months?|semanas?|weeks?)(?![a-z])(?! atras)`,
      'g',
    ),
    new RegExp(`${NUMBER}\\s+(yo|y o)(?![a-z])`, 'g'),
  ];
  for (const pattern of youngPatterns) {
    for (const match of clause.matchAll(pattern)) {
      consider(toNumber(match[1] ?? '') * unitMonths(match[2] ?? ''));
    }
  }
  const bareAge =
    /(?:i'm|im|i am|he's|hes|she's|shes|he is|she is)\s+(\d{1,3})(?![.,]?\d)(?!\s*(?:°|degrees|weeks?|days?|months?|minutes?|hours?|kg|lbs?|c\b|f\b))/g;
  for (const match of clause.matchAll(bareAge)) consider(Number(match[1]) * 12);
  return best;
}
