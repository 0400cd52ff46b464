import { createMedicalCore } from '../../../triage';
import { detectLanguage } from '../../../triage/language';
import { EMERGENCY_INSTRUCTIONS, NOT_A_DIAGNOSIS_NOTICE } from '../../../triage/notices';
import { readAgeMonths, readDurationDays, readTemperatureC } from '../../../triage/rules/features';
import { createRulesProvider } from '../../../triage/rules/provider';
import { normalise } from '../../../triage/text';
import type { ConversationTurn } from '../../../triage/types';

const rules = createRulesProvider();
const core = createMedicalCore({ provider: 'rules' });
const patient = (text: string): ConversationTurn => ({ role: 'patient', text });
const assistant = (text: string): ConversationTurn => ({ role: 'assistant', text });
const assess = (...messages: ConversationTurn[]) => core.assess({ messages });

describe('rules provider', () => {
  it('normalises accents and case so rules are written once', () => {
    expect(normalise('NÃO tenho DOR no peito, cabeça')).toBe('nao tenho dor no peito, cabeca');
  });

  it('detects English, Portuguese and Spanish by stopwords', () => {
    expect(detectLanguage('I have a pain in my chest')).toBe('en');
    expect(detectLanguage('estou com dor de cabeça desde ontem')).toBe('pt');
    expect(detectLanguage('tengo dolor de cabeza desde ayer')).toBe('es');
    expect(detectLanguage('40')).toBeUndefined();
  });

  it('raises chest pain with warning signs as an emergency with instructions in the patient language', async () => {
    const result = await assess(patient('estou com dor no peito e suando frio'));
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['chest-pain-warning']);
    expect(result.language).toBe('pt');
    expect(result.reply.startsWith(EMERGENCY_INSTRUCTIONS.pt)).toBe(true);
    expect(result.reply.endsWith(NOT_A_DIAGNOSIS_NOTICE.pt)).toBe(true);
    expect(result.followUpQuestions).toEqual([]);
  });

  it.each([
    ['no chest pain, just a cough', 'en'],
    ['não tenho dor no peito, só tosse', 'pt'],
    ['no tengo dolor de pecho, solo tos', 'es'],
    ['I have a cough without fever or chest pain', 'en'],
  ])('does not raise an alarm for the negated mention "%s"', async (text, lang) => {
    const result = await assess(patient(text));
    expect(result.triageLevel).toBe('self-care');
    expect(result.redFlags).toEqual([]);
    expect(result.language).toBe(lang);
  });

  it.each([
    'my father had a stroke years ago',
    'I had chest pain last year',
    'what are the warning signs of a stroke?',
    'mi padre tuvo un infarto hace años',
  ])('does not raise an alarm for the historical or general mention "%s"', async (text) => {
    const result = await assess(patient(text));
    expect(result.triageLevel).toBe('info');
    expect(result.redFlags).toEqual([]);
  });

  it('raises an emergency for a relative described in the present tense', async () => {
    const result = await assess(patient('my baby has 40°C fever'));
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['infant-fever']);
  });

  it('still raises an emergency when a past event comes back now', async () => {
    const result = await assess(patient('my dad had a stroke years ago and now his face is drooping again'));
    expect(result.redFlags).toEqual(['stroke-signs']);
  });

  it('combines symptoms spread over several patient messages', async () => {
    const first = await assess(patient('my chest hurts'));
    expect(first.triageLevel).toBe('urgent');
    const both = await assess(patient('my chest hurts'), assistant(first.reply), patient('now I am sweating too'));
    expect(both.triageLevel).toBe('emergency');
    expect(both.redFlags).toEqual(['chest-pain-warning']);
  });

  it('counts a "yes" to the assistant screening question as the symptoms it asked about', async () => {
    const first = await assess(patient('I have chest pain'));
    expect(first.triageLevel).toBe('urgent');
    expect(first.followUpQuestions[0]).toContain('spread to your arm');
    const yes = await assess(patient('I have chest pain'), assistant(first.reply), patient('yes'));
    expect(yes.triageLevel).toBe('emergency');
    const no = await assess(patient('I have chest pain'), assistant(first.reply), patient('no'));
    expect(no.triageLevel).toBe('urgent');
  });

  it('asks only for the information that is missing', async () => {
    const vague = await assess(patient('I have a fever'));
    expect(vague.triageLevel).toBe('self-care');
    expect(vague.followUpQuestions).toEqual([
      'Have you measured the temperature? What was the reading?',
      'How long have you had these symptoms?',
      'How old is the person who is unwell?',
    ]);
    const detailed = await assess(patient("I'm 30 and have had a fever of 38.2 since yesterday"));
    expect(detailed.followUpQuestions).toEqual([]);
  });

  it('gives self-care guidance with clear criteria for seeing a doctor', async () => {
    const result = await assess(patient('sore throat since yesterday'));
    expect(result.triageLevel).toBe('self-care');
    expect(result.reply).toContain('See a doctor if it lasts more than a week');
  });

  it('answers greetings and admin questions as info, and never gives doses', async () => {
    expect((await assess(patient('hola'))).triageLevel).toBe('info');
    const meds = await assess(patient('how much paracetamol can I give my son?'));
    expect(meds.triageLevel).toBe('info');
    expect(meds.reply).toContain("I can't recommend medicines or doses");
  });

  it('lets the patient record supply pregnancy and age', async () => {
    const pregnant = await core.assess({
      messages: [patient('I am bleeding a little')],
      patient: { patientId: 'p1', pregnant: true },
    });
    expect(pregnant.redFlags).toEqual(['pregnancy-bleeding']);
    const baby = await core.assess({
      messages: [patient('she has a fever')],
      patient: { patientId: 'p2', ageYears: 0.1 },
    });
    expect(baby.redFlags).toEqual(['infant-fever']);
  });

  it('ignores turns older than twelve hours before the latest one', () => {
    const evaluation = rules.evaluate({
      messages: [
        { role: 'patient', text: 'I have crushing chest pain', at: '2024-05-01T08:00:00Z' },
        { role: 'patient', text: 'I have a sore throat', at: '2024-05-02T09:00:00Z' },
      ],
    });
    expect(evaluation.level).toBe('self-care');
  });

  it('reads temperatures, durations and ages from free text', () => {
    expect(readTemperatureC('fever of 39,5', true)).toBe(39.5);
    expect(readTemperatureC('102 f', false)).toBe(38.9);
    expect(readTemperatureC('39 weeks pregnant', true)).toBeUndefined();
    expect(readDurationDays('febre ha 5 dias')).toBe(5);
    expect(readDurationDays('a cough for 3 weeks')).toBe(21);
    expect(readDurationDays('my 2 month old')).toBeUndefined();
    expect(readAgeMonths('my 2 month old baby')).toBe(2);
    expect(readAgeMonths('tengo 70 anos')).toBe(840);
  });
});
