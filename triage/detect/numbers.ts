/**
 * Numeric concepts for detector v2, read from canonical text: temperatures (°C, °F, bare numbers in a
 * fever context), ages (weeks, months, days; "6 week old", "bebê de 3 semanas", "tiene 2 meses"), pill
 * counts, blood sugar readings and weeks of pregnancy. Each found value becomes a pseudo-concept at its
 * character offset, so the detector can combine it by proximity like any word.
 */

export interface NumericMention {
  concept: string;
  index: number;
  length: number;
  value: number;
}

const WORD_NUMBERS: Record<string, number> = {
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
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
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
  onze: 11,
  doze: 12,
  quinze: 15,
  vinte: 20,
  trinta: 30,
  quarenta: 40,
  cinquenta: 50,
  un: 1,
  una: 1,
  uno: 1,
  dos: 2,
  cuatro: 4,
  siete: 7,
  ocho: 8,
  nueve: 9,
  diez: 10,
  once: 11,
  doce: 12,
  quince: 15,
  veinte: 20,
  treinta: 30,
  cuarenta: 40,
  cincuenta: 50,
};

const NUM = `(\\d+(?:[.,]\\d+)?|${Object.keys(WORD_NUMBERS)
  .sort((a, b) => b.length - a.length)
  .join('|')})`;

const WORD_NUMBER_OR_NEWBORN = new RegExp(
  `\\b(?:${Object.keys(WORD_NUMBERS).join('|')}|newborn|new born|recem nascid|recien nacid|neonat)`,
);

export function toNumber(text: string): number {
  return WORD_NUMBERS[text] ?? Number(text.replace(',', '.'));
}

const FEVER_CONTEXT =
  /\b(?:fever\w*|temp\w*|hot|burning up|thermometer|febr\w*|quente\w*|termometro|fiebr\w*|calentur\w*|caliente\w*|ardiendo|hirviendo|marca\w*|deu|dio|reading|read|measured|medi\w*|tomei|tome|axila\w*|armpit|underarm|rectal|retal|oral|forehead|testa|frente|ear|ouvido|oido|com|con|of|at|is|de|esta|ta)\b/;

const NOT_TEMP_AFTER =
  /^\s*(?:h\b|hrs?\b|hours?|horas?|days?|dias?|weeks?|wks?|semanas?|months?|mes\b|meses|years?|yrs?|anos|anios|minutes?|mins?|minutos?|kg|kilos?|lbs?|pounds?|%|mg|ml|bpm|times|vezes|veces|x\b|pills?|tablets?|comprimidos?|pastillas?|old|de idade|de edad|yo\b)/;
const AGE_BEFORE = /(?:i'm|i am|aged?|he's|she's|he is|she is|idade|edad)\s*$/;

/** Temperatures in °C found in the text. A bare number counts only near a fever word, or with a decimal in range. */
function temperatures(text: string, out: NumericMention[]): void {
  const pattern =
    /(?<![\d.,])(\d{2,3}(?:[.,]\d{1,2})?)\s*(°\s*[cf]?|o\s*c\b|graus?|grados?|degrees?|deg\b|celsius|centigrados?|fahrenheit|[cf](?![a-z]))?/g;
  const feverNear = (at: number) => FEVER_CONTEXT.test(text.slice(Math.max(0, at - 80), at + 40));
  for (const match of text.matchAll(pattern)) {
    const raw = match[1] ?? '';
    const value = Number(raw.replace(',', '.'));
    const unit = (match[2] ?? '').replace(/\s/g, '');
    const at = match.index ?? 0;
    const after = text.slice(at + match[0].length);
    const before = text.slice(0, at);
    if (unit === '') {
      if (NOT_TEMP_AFTER.test(after) || (AGE_BEFORE.test(before) && !/[.,]/.test(raw))) continue;
      const decimal = /[.,]/.test(raw);
      const plausible =
        (value >= 37.5 && value <= 43) ||
        (decimal && value >= 35 && value < 37.5 && feverNear(at)) ||
        (decimal && value >= 96 && value <= 108);
      if (!plausible) continue;
      if (!decimal && !feverNear(at)) continue;
      if (decimal && !feverNear(at) && !(value >= 37.8 && value <= 42.5) && !(value >= 100 && value <= 108)) continue;
    }
    const fahrenheit = /f/.test(unit) || (!/c|°c/.test(unit) && value >= 90 && value <= 110);
    const celsius = fahrenheit ? ((value - 32) * 5) / 9 : value;
    if (celsius < 34 || celsius > 44) continue;
    const c = Math.round(celsius * 10) / 10;
    const length = match[0].length;
    if (c >= 38) out.push({ concept: 'temp_raised', index: at, length, value: c });
    if (c >= 39) out.push({ concept: 'temp_high', index: at, length, value: c });
    if (c >= 40) out.push({ concept: 'temp_very_high', index: at, length, value: c });
    if (c < 36) out.push({ concept: 'temp_low', index: at, length, value: c });
    if (c >= 36 && c < 38) out.push({ concept: 'temp_normal', index: at, length, value: c });
  }
}

const PREGNANCY_NEAR =
  /\b(?:pregnan\w*|gravid\w*|gestac\w*|gestante|embaraz\w*|encinta|gestacion|along|de gravidez|de embarazo)\b/;
const DURATION_BEFORE =
  /(?:for|since|over|about|almost|last|past|ha|faz|hace|durante|por|desde|nos ultimos|en las ultimas|these|estas|essas|esas)\s*$/;

/** What follows "3 days" when it is how long a symptom has lasted ("3 days of fever", "2 dias com tosse"). */
const SYMPTOM_AFTER =
  /^\s*(?:of|with|de|com|con|da|do|del|que)\s+(?:\S+\s+)?(?:fever|febre|fiebre|temp|calentura|cough|tos|tosse|diarr|vomit|dor\b|dolor|pain|sintom|symptom|gripe|cold|flu|resfri|catarro|mocos|sick|illness|doente|enferm|malestar)/;

/** Ages under about a year, in months. */
function ages(text: string, out: NumericMention[]): void {
  const push = (months: number, index: number, length: number) => {
    if (months < 3) out.push({ concept: 'age_under_3m', index, length, value: months });
    if (months <= 6) out.push({ concept: 'age_under_6m', index, length, value: months });
    if (months < 12) out.push({ concept: 'age_infant', index, length, value: months });
    if (months < 12 * 16) out.push({ concept: 'age_child', index, length, value: months });
  };
  const unitMonths = (unit: string) =>
    /^(?:d|day|dia)/.test(unit) ? 1 / 30 : /^(?:w|sem)/.test(unit) ? 7 / 30 : /^(?:y|ano|anio)/.test(unit) ? 12 : 1;
  const UNIT = '(days?|dias?|weeks?|wks?|wk|semanas?|sem|months?|mos?|mo|mes|meses|years?|yrs?|y|anos?|anios?)';
  const patterns = [
    // "6 week old", "6 weeks old", "6wk old", "3 days old", "2 meses de vida", "10 dias de nascido"
    new RegExp(
      `${NUM}\\s*${UNIT}\\s*(?:old|de vida|de idade|de edad|de nascid[oa]|de nacid[oa]|nascid[oa]|nacid[oa])(?![a-z])`,
      'g',
    ),
    // "bebê de 3 semanas", "mi hijo de 2 meses", "a baby of 5 weeks", "com 3 semanas"
    new RegExp(
      `(?:baby|bebe|bebes|nenem|nene|nena|bebezinho|bebezinha|bebito|bebita|filho|filha|filhinho|filhinha|hijo|hija|hijito|hijita|neto|neta|nieto|nieta|sobrino|sobrina|sobrinho|sobrinha|nino|nina|ninito|ninita|menino|menina|crianca|boy|girl|kid|child|little one|grandson|granddaughter|nephew|niece|son|daughter|newborn|recem nascid[oa]|recien nacid[oa])(?:\\s+\\S+){0,2}?\\s+(?:de|of|com|con|tem|tiene|is|has|have|having)\\s+(?:apenas\\s+|solo\\s+|only\\s+|just\\s+)?${NUM}\\s*${UNIT}(?![a-z])`,
      'g',
    ),
    // "my baby's 4 weeks", "babys 6 weeks", "son is 5 weeks"
    new RegExp(
      `(?:baby|bub|son|daughter|newborn|little one|girl|boy)(?:'s|s| is)\\s+(?:only\\s+|just\\s+)?${NUM}\\s*${UNIT}(?![a-z])`,
      'g',
    ),
    // "he's 5 weeks", "she is 2 months", "ele tem 3 semanas", "tiene 6 semanas", "tem 20 dias"
    new RegExp(
      `(?:he's|she's|he is|she is|it's|is only|is just|tem|tiene|cumple|cumpliu|fez|hizo|turned)\\s+(?:apenas\\s+|solo\\s+|so\\s+|only\\s+|just\\s+)?${NUM}\\s*${UNIT}(?![a-z])`,
      'g',
    ),
    // "born 3 weeks ago", "nasceu há 10 dias", "nació hace 2 semanas"
    new RegExp(`(?:born|nasceu|nacio)\\s+(?:ha|faz|hace)?\\s*${NUM}\\s*${UNIT}(?:\\s+ago)?(?![a-z])`, 'g'),
    // "5wo", "8 wo", "3mo", "2 m o", "2yo", "2 y o"
    new RegExp(`(?<![a-z0-9.,])(\\d{1,2})\\s*(wo|mo|w o|m o|dol|yo|y o|yr old|yrs old|year old)(?![a-z])`, 'g'),
    // "had our baby 8 weeks ago", "tive o bebê há 3 semanas", "tuve a mi bebé hace 5 semanas", "gave birth 2 weeks ago"
    new RegExp(
      `(?:had (?:our|my|the|her) (?:baby|son|daughter|little one)|gave birth|delivered|tive (?:o|a|meu|minha) (?:bebe|nenem|filho|filha)|ganhei (?:o|a|meu|minha)? ?(?:bebe|nenem|filho|filha)|dei a luz|tuve (?:a )?(?:mi|el|la) (?:bebe|hijo|hija)|di a luz|naci\\w*)\\s+(?:ha|faz|hace)?\\s*${NUM}\\s*${UNIT}(?:\\s+ago)?(?![a-z])`,
      'g',
    ),
  ];
  patterns.forEach((pattern, n) => {
    for (const match of text.matchAll(pattern)) {
      const at = match.index ?? 0;
      const value = toNumber(match[1] ?? '');
      let unit = match[2] ?? '';
      if (n === 5) unit = /^w/.test(unit) ? 'week' : /^d/.test(unit) ? 'day' : /^y/.test(unit) ? 'year' : 'month';
      const window = text.slice(Math.max(0, at - 60), at + match[0].length + 30);
      if (/^(?:w|sem)/.test(unit) && n !== 6 && PREGNANCY_NEAR.test(window)) continue;
      if (n === 3 && DURATION_BEFORE.test(text.slice(0, at))) continue;
      // "my baby has 3 days of fever", "o bebê tem 2 dias com febre": a duration, not an age.
      if ((n === 1 || n === 3) && SYMPTOM_AFTER.test(text.slice(at + match[0].length, at + match[0].length + 40)))
        continue;
      if (
        n === 3 &&
        /^(?:d|dia)/.test(unit) &&
        /\b(?:fever|febre|fiebre|tosse|tos|cough|dor|dolor|pain|sintom|symptom)/.test(window) &&
        !/\b(?:baby|bebe|newborn|recem|recien|nenem|nene)/.test(window)
      )
        continue;
      push(value * unitMonths(unit), at, match[0].length);
    }
  });
  // "8 weeks, temp 38.1": an age told bare at the start of a sentence, with a temperature right after it
  // and no word of pregnancy, is the age of the (unnamed) baby.
  for (const match of text.matchAll(
    /(?:^|[.,!?;]\s*)(\d{1,2})\s*(days?|dias?|weeks?|wks?|wk|semanas?|months?|mos?|meses|mes)\b/g,
  )) {
    const at = (match.index ?? 0) + match[0].indexOf(match[1] ?? '');
    const after = text.slice(at, at + 60);
    const window = text.slice(Math.max(0, at - 40), at + 60);
    if (!/\b(?:temp\w*|fever\w*|febre|fiebre|\d{2}[.,]\d ?(?:°|c\b|f\b)?)/.test(after.slice(match[0].length))) continue;
    if (PREGNANCY_NEAR.test(window) || DURATION_BEFORE.test(text.slice(0, at))) continue;
    const unit = match[2] ?? '';
    push(Number(match[1]) * unitMonths(unit), at, (match.index ?? 0) + match[0].length - at);
  }
  // A newborn is under three months whatever number follows.
  for (const match of text.matchAll(
    /\b(?:newborn|new born|neonate|recem nascid[oa]|recien nacid[oa]|neonato|neonata)\b/g,
  )) {
    push(0.5, match.index ?? 0, match[0].length);
  }
}

const PILL_NEAR =
  /\b(?:pills?|tablets?|tabs|capsules?|caps|meds|comprimidos?|pilulas?|capsulas?|remedios?|pastillas?|pastas|chochos|pildoras?|grageas?|paracetamol|tylenol|ibuprofen\w*|advil|xanax|rivotril|clonazepam|diazepam|valium|\w+pam|\w+lam|\w+ina|\w+ol|\w+ine|\w+ona)\b/;

/** Counts of six or more (pills, tablets, drinks): "took 20", "uns 15 comprimidos", "30 pastillas". */
function counts(text: string, out: NumericMention[]): void {
  const pattern = new RegExp(
    `(?<![\\d.,°])${NUM}(?![\\d.,])(?!\\s*(?:°|graus?|grados?|degrees?|mg|mcg|ml|g\\b|kg|%|am\\b|pm\\b|h\\b|hrs?|hours?|horas?|min|days?|dias?|weeks?|semanas?|months?|mes|meses|years?|anos|yrs?|yo\\b|lbs?))`,
    'g',
  );
  for (const match of text.matchAll(pattern)) {
    const value = toNumber(match[1] ?? '');
    // Pills are counted in whole numbers; "38.5" is a temperature.
    if (!(value >= 6 && value <= 500) || /[.,]/.test(match[1] ?? '')) continue;
    const at = match.index ?? 0;
    const end = at + match[0].length;
    // A count comes before the pills ("20 tylenol", "30 comprimidos de") or after a verb of taking
    // ("took 20", "tomou uns 15"); "sertralina 100" or "xanax 2" is a strength, not a count.
    const after = text.slice(end, end + 40);
    const before = text.slice(Math.max(0, at - 30), at);
    const pillAfter = /^\s*(?:\S+\s+){0,2}?(?:of\s+(?:\S+\s+)?)?(?:de\s+(?:\S+\s+)?)?\S*/.exec(after)?.[0] ?? '';
    const countsPills = PILL_NEAR.test(pillAfter) && !/^\s*(?:mg|mcg|ml|g)\b/.test(after);
    // "unas pastas de su abuela, como 10", "took his pills, about 12 of them": pills named just before,
    // with a word of estimation in between ("sertralina 100" is a strength, not a count).
    const estimated =
      PILL_NEAR.test(before) &&
      /\b(?:like|about|around|maybe|almost|nearly|como|tipo|uns|umas|unos|unas|quase|casi|mais de|mas de|over|at least|pelo menos|al menos)\s*$/.test(
        before,
      );
    const afterVerb =
      /\b(?:took|taken|swallowed|ate|popped|downed|tomou|tomei|tomado|engoliu|engoli|tomo|tome|se tomo|trago|ingeriu|ingirio|bebeu|bebio)\s+(?:like\s+|about\s+|around\s+|maybe\s+|uns\s+|umas\s+|unos\s+|unas\s+|mais de\s+|mas de\s+|over\s+|como\s+)?$/.test(
        before,
      );
    if (!countsPills && !afterVerb && !estimated) continue;
    out.push({ concept: 'count_many', index: at, length: match[0].length, value });
    if (value >= 15) out.push({ concept: 'count_large', index: at, length: match[0].length, value });
  }
  // Milligram totals that are clearly a large amount: "took 5000mg", "10 g de paracetamol".
  for (const match of text.matchAll(/(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(mg|g|gr|gramas?|gramos?)\b/g)) {
    const value = Number((match[1] ?? '').replace(',', '.'));
    const mg = match[2] === 'mg' ? value : value * 1000;
    if (mg >= 4000 && mg <= 200000) {
      out.push({ concept: 'count_many', index: match.index ?? 0, length: match[0].length, value });
      if (mg >= 10000) out.push({ concept: 'count_large', index: match.index ?? 0, length: match[0].length, value });
    }
  }
}

const SUGAR_NEAR =
  /\b(?:sugar|glucose|bg|bgl|reading|meter|glicose|glicemia|acucar|hgt|dextro|dx|azucar|glucosa|glucemia|mg dl|mgdl|mmol)\b/;

/** Blood sugar readings: low (< 60 mg/dL or < 3.3 mmol/L), very high (>= 400 mg/dL or >= 22 mmol/L) and usual (4–15 mmol/L). */
function sugars(text: string, out: NumericMention[]): void {
  for (const match of text.matchAll(/(?<![\d.,])(\d{1,3}(?:[.,]\d)?)(?![\d])/g)) {
    const at = match.index ?? 0;
    const window = text.slice(Math.max(0, at - 40), at + match[0].length + 20);
    if (!SUGAR_NEAR.test(window)) continue;
    const value = Number((match[1] ?? '').replace(',', '.'));
    const mmol = /mmol/.test(window) || (value < 35 && /[.,]/.test(match[1] ?? ''));
    const mgdl = mmol ? value * 18 : value;
    if ((mmol && value >= 1 && value < 3.3) || (!mmol && value >= 15 && value < 60)) {
      out.push({ concept: 'glucose_low', index: at, length: match[0].length, value: mgdl });
    }
    if ((mmol && value >= 22 && value < 60) || (!mmol && value >= 400 && value < 1500)) {
      out.push({ concept: 'glucose_high', index: at, length: match[0].length, value: mgdl });
    }
    // A reading in the usual range (4–15 mmol/L, 72–270 mg/dL): sweaty or shaky is then not a hypo.
    if ((mmol && value >= 4 && value <= 15) || (!mmol && value >= 72 && value <= 270)) {
      out.push({ concept: 'glucose_normal', index: at, length: match[0].length, value: mgdl });
    }
  }
}

/** Weeks of pregnancy under 37 ("32 weeks pregnant", "grávida de 30 semanas", "embarazada de 28 semanas"). */
function pregnancyWeeks(text: string, out: NumericMention[]): void {
  const patterns = [
    /(\d{1,2})\s*(?:weeks?|wks?|semanas?)\s*(?:pregnant|along|de gravidez|de gestacao|de embarazo|de gestacion)/g,
    /(?:pregnant|gravida|embarazada|gestante)\s*(?:de|with|at|com|con)?\s*(\d{1,2})\s*(?:weeks?|wks?|semanas?)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const weeks = Number(match[1]);
      if (weeks >= 4 && weeks < 37) {
        out.push({ concept: 'preg_weeks_early', index: match.index ?? 0, length: match[0].length, value: weeks });
      }
      if (weeks >= 24)
        out.push({ concept: 'preg_weeks_late', index: match.index ?? 0, length: match[0].length, value: weeks });
    }
  }
  // "36 wks, bad headache", "I'm 37 weeks with my third", "to com 29 semanas", "estoy de 30 semanas": weeks of
  // pregnancy without the word, when the number is not an age or a duration.
  const bare =
    /(?:^|[.,!?;]\s*|\b(?:i'm|i am|she's|she is|im|estou|estou com|to com|esta com|estoy|estoy de|esta de|ando|de|at|now|tengo|tenho|ja tenho|ya tengo|cumplo|faco)\s+)(\d{1,2})\s*(?:weeks?|wks?|semanas?)(?!\s*(?:old|ago|de vida|de idade|de nacid|de nascid|atras))\b/g;
  for (const match of text.matchAll(bare)) {
    const weeks = Number(match[1]);
    const before = text.slice(Math.max(0, (match.index ?? 0) - 25), match.index ?? 0);
    if (!(weeks >= 5 && weeks <= 42) || DURATION_BEFORE.test(before)) continue;
    // "tengo 3 semanas con tos" is a duration: with "have", only a pregnancy-sized number counts.
    if (
      /\b(?:tengo|tenho|ja tenho|ya tengo)\s*$/.test(
        text.slice(0, (match.index ?? 0) + match[0].indexOf(match[1] ?? '')),
      ) &&
      weeks < 12
    )
      continue;
    const window = text.slice(Math.max(0, (match.index ?? 0) - 40), (match.index ?? 0) + match[0].length + 40);
    if (
      /\b(?:baby|bebe|nenem|nene|son|daughter|filh|hij|old|de vida|newborn)\b/.test(window) &&
      !PREGNANCY_NEAR.test(window)
    )
      continue;
    const index = (match.index ?? 0) + match[0].indexOf(match[1] ?? '');
    const length = (match.index ?? 0) + match[0].length - index;
    out.push({ concept: 'preg_weeks', index, length, value: weeks });
    if (weeks < 37) out.push({ concept: 'preg_weeks_early', index, length, value: weeks });
  }
  for (const match of text.matchAll(
    /(\d{1,2})\s*(?:weeks?|wks?|semanas?)\s*(?:pregnant|along|de gravidez|de gestacao|de embarazo|de gestacion)/g,
  )) {
    out.push({ concept: 'preg_weeks', index: match.index ?? 0, length: match[0].length, value: Number(match[1]) });
  }
}

/** Every numeric concept in a canonical text. */
export function numericMentions(text: string): NumericMention[] {
  if (!/\d/.test(text) && !WORD_NUMBER_OR_NEWBORN.test(text)) return [];
  const out: NumericMention[] = [];
  temperatures(text, out);
  ages(text, out);
  counts(text, out);
  sugars(text, out);
  pregnancyWeeks(text, out);
  return out;
}
