import { createMedicalCore } from '../../../triage';
import { detect } from '../../../triage/detect/detector';
import { clauseSpans, hasPast, hasPresent, sentenceSpans } from '../../../triage/detect/scope';
import { createRulesProvider } from '../../../triage/rules/provider';
import type { TriageLevel } from '../../../triage/types';
import { loadManifest, loadSet, OPEN_ROLES } from '../../../scripts/triage-sets';

const core = createMedicalCore({ provider: 'rules' });
const assess = (text: string) => core.assess({ messages: [{ role: 'patient', text }] });

describe('detector v2: negation in English, Portuguese and Spanish', () => {
  it.each<[string, TriageLevel]>([
    ['no chest pain, just a cough', 'self-care'],
    ["I don't have any trouble breathing, just a blocked nose", 'self-care'],
    ['not breathing fast, no fever, just a stuffy nose, my baby is 6 weeks', 'self-care'],
    ['não tenho dor no peito, só tosse', 'self-care'],
    ['nao é dor no peito, é mais nas costas, de mal jeito na academia', 'info'],
    ['não tenho falta de ar, só tosse', 'self-care'],
    ['no tengo dolor de pecho, solo tos', 'self-care'],
    ['no me falta el aire, solo tengo mocos', 'self-care'],
  ])('answers the negated mention "%s" with %s, never emergency', async (text, level) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe(level);
    expect(result.redFlags).toEqual([]);
  });
});

describe('detector v2: past events in English, Portuguese and Spanish', () => {
  it.each<[string, TriageLevel]>([
    ["I had a stroke in 2019, I'm fine now", 'info'],
    ['my dad had a heart attack 3 years ago', 'info'],
    ['when I was 20 I overdosed', 'info'],
    ['last year my son had a seizure', 'info'],
    ['i had an overdose in my teens, now sober 10 years, need a GP', 'info'],
    ['tive um AVC há 3 anos, hoje estou bem', 'info'],
    ['faz 5 anos que tive uma convulsão', 'info'],
    ['quando eu tinha 20 anos tentei suicidio', 'info'],
    ['ano passado tive um derrame', 'info'],
    ['hace 3 años tuve un infarto', 'info'],
    ['tuve un infarto hace 5 años atrás, ahora estoy bien', 'info'],
    ['meu filho teve convulsão febril com 1 ano, hoje tem 6 e nunca mais teve', 'info'],
    ['el año pasado mi padre tuvo un ictus', 'info'],
  ])('does not raise an alarm for the past event "%s" (answers %s)', async (text, level) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe(level);
    expect(result.redFlags).toEqual([]);
  });

  it('still raises an emergency when the past event is back now', async () => {
    const result = await assess('my dad had a stroke years ago and now his face is drooping again');
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['stroke-signs']);
  });

  it('reads the time expressions of each language', () => {
    expect(
      ['in 2019', '3 years ago', 'há 2 anos', 'faz 5 anos', 'hace 3 años', '5 anos atras', 'when i was 20'].map((t) =>
        hasPast(t.normalize('NFD').replace(/[\u0300-\u036f]/g, '')),
      ),
    ).toEqual([true, true, true, true, true, true, true]);
    expect(
      ['last year', 'ano passado', 'el ano pasado', 'quando eu tinha 15 anos', 'cuando tenia 15 anos'].map(hasPast),
    ).toEqual([true, true, true, true, true]);
    expect(['since yesterday', 'ha 2 horas', 'hace un rato', 'this morning'].map(hasPast)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['now', 'agora', 'ahora', 'again', 'de novo', 'otra vez'].map(hasPresent)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('splits sentences and clauses so a time expression only reaches its own clause', () => {
    const text = 'a stroke in 2019, and now his face droops. help';
    const [first] = sentenceSpans(text);
    expect(clauseSpans(text, first!).map((c) => text.slice(c.start, c.end).trim())).toEqual([
      'a stroke in 2019',
      ', and now his face droops.',
    ]);
  });
});

describe('detector v2: resolved episodes and figures of speech', () => {
  it.each<string>([
    'meu filho engasgou mas ja saiu, ta tudo bem',
    'my dad choked on a bit of steak earlier but coughed it up, hes fine, eating again. anything we should watch',
    'minha filha desmaiou no calor ontem mas ja ta bem, comeu e ta normal. precisa de exame?',
    'this traffic is killing me',
    'quase infartei com a conta de luz',
    'me muero de risa',
    'my boss is gonna give me a heart attack with these deadlines',
    'meu chefe vai me matar se eu faltar de novo kkk',
  ])('does not raise an emergency for "%s"', async (text) => {
    const result = await assess(text);
    expect(result.triageLevel).not.toBe('emergency');
    expect(result.redFlags).toEqual([]);
  });

  it('keeps an overdose an emergency even when the patient feels fine now', async () => {
    const result = await assess('took 20 paracetamol about 2 hrs ago, feel fine now tbh. do i need to do anything');
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['poisoning-overdose']);
  });

  it('does not take "it stopped" as resolved when warning signs follow it', async () => {
    const result = await assess(
      'my 1 yr old went all stiff then started jerking his arms and legs, it stopped but now hes floppy and not really responding to me',
    );
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['seizure', 'loss-of-consciousness']);
  });
});

describe('detector v2: scope in round 2 (what counts as now)', () => {
  it.each<[string, string]>([
    [
      'Hi, I have epilepsy, been seizure free for 3 years, can I get a repeat prescription?',
      'a "free" after the mention',
    ],
    ['no se desmayó ni vomitó, solo se golpeó la rodilla', 'Spanish "no se" before a verb (not "no sé")'],
    ['vou me matar de tanto estudar essa semana kkk', 'written laughter and a figure of speech'],
    ['my phone is having a seizure, keeps restarting', 'a machine having a seizure'],
    [
      'this commute is killing me, can I get a sick note for stress?',
      'a figure of speech (a body part "killing me" is pain)',
    ],
    [
      'yesterday my son (7) choked on a grape, it came out straight away. he has been totally normal since. should he still be checked?',
      '"still" in a question about what to do',
    ],
    [
      'mum had sepsis two years ago and still gets tired, is that normal after?',
      'a past event "and still" a present one',
    ],
    [
      'whenever I get anxious my chest gets tight and my heart races, it calms down after a few minutes of breathing',
      'an episode that passes by itself',
    ],
    ['felt a bit shaky before lunch, sugar was 4.2, had a biscuit', 'a sugar reading in the usual range'],
    ["my baby isn't breathing fast and feeds fine, just a blocked nose", '"isn\'t breathing fast"'],
  ])('does not raise an emergency for "%s" (%s)', async (text) => {
    const result = await assess(text);
    expect(result.triageLevel).not.toBe('emergency');
    expect(result.redFlags).toEqual([]);
  });

  it.each<[string, string[]]>([
    [
      'hey is it normal for ur testicle to suddenly hurt really bad?? started an hour ago outta nowhere and the left one looks higher',
      ['testicular-torsion'],
    ],
    [
      'chest burning going up into my throat and jaw, sweating and nauseous, had a stent 2 years ago',
      ['chest-pain-warning'],
    ],
    [
      'positive test last week, now sharp pain on my left side low down and my shoulder tip hurts',
      ['pregnancy-bleeding'],
    ],
    ["dad's heart was racing and he went down in the kitchen, came round after a few secs", ['chest-pain-warning']],
  ])('raises "%s" as %j', async (text, flags) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(flags);
  });

  it('asks the deciding question for a warning sign of an episode that is over', async () => {
    const result = await assess('had some chest pain this morning, it passes after a few minutes');
    expect(result.triageLevel).toBe('urgent');
    expect(result.followUpQuestions).toEqual([
      'Does the pain spread to your arm, jaw or back, or are you sweating, short of breath or feeling faint?',
    ]);
  });
});

describe('detector v2: concepts combined by proximity', () => {
  it.each<[string, string[]]>([
    ['my friend took like 30 paracetamol an hour ago', ['poisoning-overdose']],
    ['minha mae tomou uns 20 comprimidos de rivotril', ['poisoning-overdose']],
    ['mi hija se tomo una caja entera de clonazepam', ['poisoning-overdose']],
    ['she mixed xanax with a bottle of vodka', ['poisoning-overdose']],
    ['ya no quiero vivir, me quiero morir', ['suicide-self-harm']],
    ['quero me matar', ['suicide-self-harm']],
    ['been saving up my tramadol, think tonight is the night', ['suicide-self-harm']],
    ['my 5 week old has a temp of 38.3', ['infant-fever']],
    ['6wk old 100.8F', ['infant-fever']],
    ['bebe de 20 dias com 38,2', ['infant-fever']],
    ['im 10 weeks pregnant and bleeding heavily with clots', ['severe-bleeding', 'pregnancy-bleeding']],
    ['36 wks, bad headache, seeing flashing lights and my face n hands r puffy', ['pregnancy-bleeding']],
    ['my diabetic dad is sweaty, shaky and confused, sugar is 2.1', ['hypoglycaemia']],
    ['my 14 yo son woke up with terrible pain in his testicle and is vomiting', ['testicular-torsion']],
    ['mi hijo se quedó duro y empezó a temblar todo', ['seizure']],
    [
      'my sister is having jerks one after another and is not coming to her senses in between',
      ['seizure', 'loss-of-consciousness'],
    ],
    ['my son is 16, his body is shaking and it has been 6 minutes', ['seizure']],
    ['asthma really bad, used my blue inhaler like 10 times in the last hour', ['breathing-difficulty']],
    ['I suddenly lost the vision in my left eye, like a curtain, and my left hand feels clumsy', ['stroke-signs']],
    ['like an elephant sitting on my chest', ['chest-pain-warning']],
    [
      'really bad indigestion for an hour, gaviscon did nothing, now clammy and a bit short of breath',
      ['chest-pain-warning', 'breathing-difficulty'],
    ],
    ['crushing ache between my shoulder blades and I feel really nauseous', ['chest-pain-warning']],
    ['ya no aguanto mas, tengo las pastillas aqui conmigo y esta noche lo voy a hacer', ['suicide-self-harm']],
    [
      "we've all got thumping headaches and feel sick, the old gas fire has been on all evening",
      ['poisoning-overdose'],
    ],
    ['cut my hand on the greenhouse glass, soaked 3 towels now and it is still pumping out', ['severe-bleeding']],
    ['bro my left ball is killing me out of nowhere, worst pain ever and i threw up', ['testicular-torsion']],
    ['8 weeks, temp 37.9 and 38.1 twice, bit grizzly', ['infant-fever']],
    ["80 year old dad fell and hit his head, he's on apixaban and has a big bump", ['head-injury-warning']],
    ['mi esposo dice que tiene agruras pero esta sudando a mares y palido', ['chest-pain-warning']],
  ])('raises "%s" as %j', async (text, flags) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(flags);
  });

  it('marks mentions with their scope', () => {
    const detection = detect([{ text: 'no fever, but my chest hurts', lang: 'en' }]);
    const mentions = detection.mentions.filter((m) => ['fever_word', 'chest_site'].includes(m.concept));
    expect(mentions.sort((a, b) => a.pos - b.pos)).toEqual([
      { concept: 'fever_word', pos: 1, scope: 'negated' },
      { concept: 'chest_site', pos: 4, scope: 'current' },
    ]);
  });
});

describe('detector v2: round 3 (bystanders, infants, teenagers, English by non-native speakers)', () => {
  it.each<[string, string[]]>([
    ['my brother has epilepsy, he had a fit and then another one and he did not wake up in between', ['seizure']],
    ['minha mãe teve uma crise e logo depois outra, sem acordar entre uma e outra', ['seizure']],
    ['mi papá tuvo dos ataques seguidos y entre uno y otro no se despierta', ['seizure']],
    ['she is jerking her arms and legs and not looking at me', ['seizure']],
    ['o menino tá se sacudindo todo e nem olha pra mim', ['seizure']],
    ['la nena está con sacudidas y no me mira', ['seizure']],
    ["baby's chest is caving in with every breath", ['infant-breathing']],
    ['my 6 week old is breathing 70 times a minute', ['infant-breathing']],
    ['mi bebé respira con la panza y se le hunde el cuello', ['infant-breathing']],
    ['meu bebê tá com respiração de cachorrinho e gemendo', ['infant-breathing']],
    ["my son (15) has sudden terrible pain down there and he's been sick", ['testicular-torsion']],
    ['a mi hijo le duelen mucho sus partes de repente y vomitó', ['testicular-torsion']],
    ['my baby have 5 weeks and he has 38.3', ['infant-fever']],
    ['my child drink the liquid for wash the dishes', ['poisoning-overdose']],
    ['man is lying on the street, not move, not answer', ['loss-of-consciousness']],
    ['father is having heaviness in chest and giddiness', ['chest-pain-warning']],
    ['a mi papá le late el corazón muy rápido y se acaba de desmayar', ['chest-pain-warning', 'loss-of-consciousness']],
    ['mi tío tiene el azúcar en 520, vomita y respira muy hondo', ['diabetic-crisis']],
    ['my little girl was born 8 weeks ago and the thermometer says 38.4', ['infant-fever']],
    ['mi bebé nació hace 5 semanas y tiene 38.2', ['infant-fever']],
    ['a mi abuela se le fue la boca para un lado de repente', ['stroke-signs']],
    ["my diabetic son's breath smells like pear drops and he's vomiting", ['diabetic-crisis']],
    ['my toddler has croup and the noise is there even when he is asleep', ['infant-breathing']],
    ['33 weeks pregnant, headache and my ankles are massive', ['pregnancy-bleeding']],
    ['the left side of her face is down and she is talking not normal', ['stroke-signs']],
  ])('raises "%s" as %j', async (text, flags) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(flags);
  });

  it.each<[string, TriageLevel]>([
    ['my dad is shivering with the fever, shaking for 10 minutes but talking to us', 'urgent'],
    ['ele não tá convulsionando, só tá tremendo de frio', 'urgent'],
    ['my husband has a painless swelling down there that came on slowly over weeks', 'urgent'],
    ['mi hija no respira mal, solo tiene tos', 'self-care'],
    ['mi bebé no respira por la nariz, tiene mocos', 'self-care'],
    ['my son is not responding to the antibiotics, still coughing', 'urgent'],
    ['i took folic acid this morning with breakfast', 'info'],
    ['after eating i get acid reflux', 'self-care'],
    ['the form asks about past overdoses, should i mention mine from when i was 17?', 'info'],
    ['two years before i have a stroke, now i need a new prescription', 'info'],
    ['my baby has 3 days of fever 38.5 and a cough', 'urgent'],
    ['my wife had a bad headache and vomiting yesterday but today she is good', 'info'],
    ['tuve sangrado de nariz, apreté 10 minutos y se detuvo', 'info'],
    ['my eyelid is twitching on one side, i am so tired', 'info'],
    ['she tilted her head to one side and smiled', 'info'],
    ['my breast pump is not working, can i get a new one?', 'info'],
    ['he is not moving much since the surgery, is it normal?', 'info'],
    ['thank you very much doctor, the bleeding from my gums when brushing is less now', 'info'],
  ])('does not raise an emergency for "%s" (answers %s)', async (text, level) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe(level);
    expect(result.redFlags).toEqual([]);
  });
});

describe('safety bias', () => {
  it.each<[string, string]>([
    [
      'I have chest pain',
      'Does the pain spread to your arm, jaw or back, or are you sweating, short of breath or feeling faint?',
    ],
    [
      'I feel low and hopeless, nothing matters',
      'Are you thinking about ending your life or hurting yourself right now?',
    ],
    [
      'my son hit his head, small bump, playing normally',
      'Since the knock, has there been vomiting, drowsiness, confusion or fainting, and does the person take blood thinners?',
    ],
  ])('answers "%s" at least urgent and asks the one deciding question', async (text, question) => {
    const result = await assess(text);
    expect(result.triageLevel).toBe('urgent');
    expect(result.followUpQuestions).toEqual([question]);
    expect(result.reply).toContain(question);
  });

  it('never answers info or self-care to a message of the labelled sets that carries a warning sign', () => {
    const rules = createRulesProvider();
    const sets = loadManifest().filter((e) => OPEN_ROLES.includes(e.role));
    const lowered: string[] = [];
    for (const entry of sets) {
      for (const message of loadSet(entry) ?? []) {
        const evaluation = rules.evaluate({ messages: message.turns });
        const warned = evaluation.detection.flags.length + evaluation.detection.signals.length > 0;
        if (warned && ['info', 'self-care'].includes(evaluation.level)) lowered.push(`${message.set}/${message.id}`);
      }
    }
    expect(lowered).toEqual([]);
  });
});
