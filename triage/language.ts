import { normalise, tokens } from './text';

/** Languages the assistant writes replies in; anything else is answered in English. */
export const SUPPORTED_LANGUAGES = ['en', 'pt', 'es'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];

export function isSupportedLanguage(value: string | undefined): value is Language {
  return value !== undefined && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);
}

/*
 * Stopword scoring: each list holds words frequent in one language and rare in the other two
 * (accents stripped, as the text is normalised first). Words shared by Portuguese and Spanish
 * ("de", "que", "no", "dia", "dias") are left out on purpose: they tell nothing apart.
 */
const STOPWORDS: Record<Language, ReadonlySet<string>> = {
  en: new Set(
    (
      'i my the and have has had is am are was it its with of in for what can do does not this that you he she ' +
      "i'm im i've ive been days ago since hurts hurt feel feeling pain fever chest head throat cough son daughter mom " +
      "mum dad wife husband baby can't cant don't dont just very really got today yesterday hello hi thanks thank please " +
      'yes yeah how when week weeks after since bad also there his her our your thx ty tysm thnx thanx pls plz u ur ' +
      "lol omg idk rn wont won't he's she's it's im he she they we would should could right now help"
    ).split(' '),
  ),
  pt: new Set(
    (
      'eu meu minha meus minhas nao com tenho tem estou ta voce vc ele ela muito muita ha dor dores febre ' +
      'cabeca peito garganta barriga filho filha ontem hoje sim oi ola obrigado obrigada bom boa em isso tambem agora ' +
      'ainda depois consigo sinto senti fiquei tosse mae pai marido crianca um uma da dos das na nas pra pro ' +
      'quando sangue estamos coisa tudo ao fazer xixi dente sentindo gripado gripada coriza nariz entupido quero queria ' +
      'posso atendimento receita remedio doi tou vc urinar ardencia machucou quais sao voces atendem ' +
      'obg brigado brigada valeu vlw kkk kkkk rsrs fome morrendo morrer gravida gravidez nenem hj mt q pq tb tbm ' +
      'voce ne pra pro essa esse isso ficou fiquei consegue consigo dele dela seu sua entao demais aqui oii qual ' +
      'aceitam pode jogando vcs tomei comprimidos dipirona faz mamada mamando'
    ).split(' '),
  ),
  es: new Set(
    (
      'yo mi mis tengo tiene estoy el la los las del y con muy hace dolor fiebre cabeza pecho garganta hijo hija ayer ' +
      'hoy hola gracias buenos buenas puedo duele pero tambien ahora todavia cuando mucho mucha sangre tos madre ' +
      'padre nino nina usted un es eso siento estan algo si hay al lo le se orinar muela anoche ultimamente quiero ' +
      'puede ojos cuello estomago espalda mocos resfriado tengo cita manana abren jaja jajaja jeje muero hambre ' +
      'este ya pues bueno oye vale aca usted ustedes gracias grax xq tmb porfa favor mija mijo embarazada nene ' +
      'tiene tienen estoy estaba tenia sangra duele ahorita necesito receta xfa hacen pruebas cual pastillas pastilla'
    ).split(' '),
  ),
};

/** Every stopword of every language (words spelling correction must leave alone). */
export function allStopwords(): string[] {
  return SUPPORTED_LANGUAGES.flatMap((lang) => [...STOPWORDS[lang]]);
}

/** Letters written three or more times ("obrigadaaaa", "graciaaas", "thxxx") are read as one or two of them. */
function variants(word: string): string[] {
  if (!/([a-z])\1\1/.test(word)) return [word];
  return [word, word.replace(/([a-z])\1{2,}/g, '$1'), word.replace(/([a-z])\1{2,}/g, '$1$1')];
}

/** Letters and endings only one of the languages uses (looked for before accents are stripped). */
const PT_MARKS = /[ãõç]|ção|ções|\b(?:est(?:ou|á|ão) a [a-z]+r)\b/g;
const ES_MARKS = /[ñ¿¡]|ción\b|ciones\b|\b(?:me he|se ha|le ha|me ha|lo he|la he|se han|hemos)\b/g;

function scores(text: string): Record<Language, number> {
  const words = tokens(normalise(text));
  const result: Record<Language, number> = { en: 0, pt: 0, es: 0 };
  for (const word of words) {
    const forms = variants(word);
    for (const lang of SUPPORTED_LANGUAGES) {
      const stopwords = STOPWORDS[lang];
      if (forms.some((form) => stopwords.has(form))) result[lang] += 1;
    }
  }
  const lower = text.toLowerCase();
  result.pt += 2 * (lower.match(PT_MARKS)?.length ?? 0);
  result.es += 2 * (lower.match(ES_MARKS)?.length ?? 0);
  return result;
}

// Ties go to Portuguese/Spanish: short English words ("to", "a") also appear in their chat spelling.
const TIE_ORDER: Language[] = ['pt', 'es', 'en'];

function argmax(score: Record<Language, number>): Language | undefined {
  let best: Language | undefined;
  let bestScore = 0;
  for (const lang of TIE_ORDER) {
    if (score[lang] > bestScore) {
      best = lang;
      bestScore = score[lang];
    }
  }
  return best;
}

/**
 * Returns the language with the most stopword hits, or `undefined` when the text holds none (a bare
 * "ok" or "40"), so the caller can fall back on the rest of the conversation.
 */
export function detectLanguage(text: string): Language | undefined {
  return argmax(scores(text));
}

/**
 * Detects the language of a conversation. The latest patient turn weighs three times as much as each
 * earlier one, so a patient who switches language is answered in the new one, while a bare "sim" or
 * "yes" still leans on what came before.
 */
export function detectConversationLanguage(patientTexts: string[], fallback: Language = 'en'): Language {
  const total: Record<Language, number> = { en: 0, pt: 0, es: 0 };
  patientTexts.forEach((text, index) => {
    const weight = index === patientTexts.length - 1 ? 3 : 1;
    const score = scores(text);
    for (const lang of SUPPORTED_LANGUAGES) total[lang] += weight * score[lang];
  });
  return argmax(total) ?? fallback;
}
