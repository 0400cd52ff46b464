import { createRulesProvider } from '../../../triage/rules/provider';
import {
  checkReplySafety,
  createSafetyLayer,
  EMERGENCY_INSTRUCTIONS,
  finaliseAssessment,
  NOT_A_DIAGNOSIS_NOTICE,
  SAFE_DIAGNOSIS_WORDING,
  SAFE_MEDICATION_WORDING,
  sanitizeReply,
} from '../../../triage/safety';
import type { Assessment, MedicalCore } from '../../../triage/types';

const modelAssessment = (overrides: Partial<Assessment> = {}): Assessment => ({
  triageLevel: 'self-care',
  reply: 'Rest and drink fluids.',
  redFlags: [],
  followUpQuestions: [],
  provider: 'openai',
  model: 'test-model',
  language: 'en',
  ...overrides,
});

/** A provider that always says the same thing, to see what the safety layer does with it. */
function scripted(answer: Assessment): MedicalCore & { calls: number } {
  const provider = {
    calls: 0,
    assess() {
      provider.calls += 1;
      return Promise.resolve(answer);
    },
  };
  return provider;
}

describe('checkReplySafety', () => {
  it('flags doses, dosing schedules and definitive diagnoses', () => {
    const report = checkReplySafety('You have the flu. Take 500 mg every 8 hours. Rest well.');
    expect(report).toEqual({
      ok: false,
      hasNotice: false,
      doseSentences: ['Take 500 mg every 8 hours.'],
      diagnosisSentences: ['You have the flu.'],
    });
  });

  it.each([
    'Voce tem uma gripe.',
    'Usted tiene una infección urinaria.',
    'Tome 2 comprimidos de 8 em 8 horas.',
    'Tome 1 g de paracetamol.',
    'Toma 400mg cada 8 horas.',
  ])('flags "%s" in Portuguese or Spanish', (sentence) => {
    const report = checkReplySafety(`${sentence} ${NOT_A_DIAGNOSIS_NOTICE.en}`);
    expect(report.ok).toBe(false);
  });

  it('accepts conditional and question forms, temperatures and emergency numbers', () => {
    const text = [
      'If you have a fever above 39.5 °C, see a doctor.',
      'Do you have any chest pain?',
      'Se você tem febre há mais de 3 dias, procure um médico.',
      EMERGENCY_INSTRUCTIONS.es,
      NOT_A_DIAGNOSIS_NOTICE.en,
    ].join(' ');
    expect(checkReplySafety(text)).toEqual({ ok: true, hasNotice: true, doseSentences: [], diagnosisSentences: [] });
  });
});

describe('sanitizeReply', () => {
  it('replaces each unsafe sentence kind once with safe wording in the reply language', () => {
    const cleaned = sanitizeReply('Você tem sinusite. Tome 500 mg. Tome mais 2 comprimidos à noite. Descanse.', 'pt');
    expect(cleaned).toBe(`${SAFE_DIAGNOSIS_WORDING.pt} ${SAFE_MEDICATION_WORDING.pt} Descanse.`);
  });

  it('removes a notice the provider wrote itself so it appears exactly once', () => {
    const final = finaliseAssessment(modelAssessment({ reply: `Rest.\n\n${NOT_A_DIAGNOSIS_NOTICE.en}` }), 'en');
    expect(final.reply).toBe(`Rest.\n\n${NOT_A_DIAGNOSIS_NOTICE.en}`);
  });
});

describe('safety layer', () => {
  const rules = createRulesProvider();

  it('answers a red flag from the rules at once without calling the provider', async () => {
    const inner = scripted(modelAssessment({ reply: 'Take 1000mg paracetamol and rest.' }));
    const core = createSafetyLayer({ rules, inner });
    const result = await core.assess({ messages: [{ role: 'patient', text: 'no puedo respirar' }] });
    expect(inner.calls).toBe(0);
    expect(result.triageLevel).toBe('emergency');
    expect(result.provider).toBe('rules');
    expect(result.redFlags).toEqual(['breathing-difficulty']);
    expect(result.reply.startsWith(EMERGENCY_INSTRUCTIONS.es)).toBe(true);
    expect(checkReplySafety(result.reply).ok).toBe(true);
  });

  it("keeps a provider's emergency and adds the emergency instructions it left out", async () => {
    const inner = scripted(
      modelAssessment({ triageLevel: 'emergency', reply: 'Please get help now.', language: 'pt' }),
    );
    const core = createSafetyLayer({ rules, inner });
    const result = await core.assess({ messages: [{ role: 'patient', text: 'estou me sentindo estranho' }] });
    expect(result.triageLevel).toBe('emergency');
    expect(result.redFlags).toEqual(['provider-emergency']);
    expect(result.reply).toBe(`${EMERGENCY_INSTRUCTIONS.pt}\n\nPlease get help now.\n\n${NOT_A_DIAGNOSIS_NOTICE.pt}`);
  });

  it('raises a provider answer to urgent when the rules want a same-day visit', async () => {
    const inner = scripted(modelAssessment({ triageLevel: 'self-care', reply: 'Rest at home.' }));
    const core = createSafetyLayer({ rules, inner });
    const result = await core.assess({
      messages: [{ role: 'patient', text: 'I have some chest pain when I breathe in' }],
    });
    expect(result.triageLevel).toBe('urgent');
    expect(result.provider).toBe('openai');
    expect(result.reply).toMatch(/^To be safe, please get medical care today/);
  });

  it('passes through errors that are not provider outages', async () => {
    const inner: MedicalCore = { assess: () => Promise.reject(new TypeError('bug')) };
    const core = createSafetyLayer({ rules, inner });
    await expect(core.assess({ messages: [{ role: 'patient', text: 'sore throat' }] })).rejects.toThrow('bug');
  });
});
