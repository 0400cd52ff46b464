import { createMedicalCore } from '../../../triage';
import { detectLanguage } from '../../../triage/language';
import { NOT_A_DIAGNOSIS_NOTICE } from '../../../triage/notices';

const core = createMedicalCore({ provider: 'rules' });

describe('reply language for short messages', () => {
  it.each<[string, 'en' | 'pt' | 'es', string]>([
    ['obrigadaaaa 🙏', 'pt', 'Olá! Sou o assistente virtual da clínica.'],
    ['valeu!!! 👍', 'pt', 'Olá! Sou o assistente virtual da clínica.'],
    ['graciaaas', 'es', '¡Hola! Soy el asistente virtual de la clínica.'],
    ['muchas graciaaas 🙏🙏', 'es', '¡Hola! Soy el asistente virtual de la clínica.'],
    ['thx!!', 'en', "Hello! I am the clinic's virtual assistant."],
  ])('answers "%s" in %s', async (text, lang, opening) => {
    const result = await core.assess({ messages: [{ role: 'patient', text }] });
    expect(result.triageLevel).toBe('info');
    expect(result.language).toBe(lang);
    expect(result.reply.startsWith(opening)).toBe(true);
    expect(result.reply.endsWith(NOT_A_DIAGNOSIS_NOTICE[lang])).toBe(true);
  });

  it('detects the language of short or slangy messages', () => {
    expect(detectLanguage('to gravida de 12 semanas e to sangrando muito')).toBe('pt');
    expect(detectLanguage('to morrendo de fome')).toBe('pt');
    expect(detectLanguage('me muero de hambre jaja')).toBe('es');
    expect(detectLanguage('me he tomado 30 paracetamoles')).toBe('es');
    expect(detectLanguage('feeling a bit down lately, would like to talk to someone')).toBe('en');
    expect(detectLanguage('🙏')).toBeUndefined();
  });
});
