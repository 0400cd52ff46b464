import type { Language } from './language';

/** Fixed texts the safety layer adds to replies, one per supported language. */

/** Every assistant reply ends with this. */
export const NOT_A_DIAGNOSIS_NOTICE: Record<Language, string> = {
  en: 'ℹ️ Automated guidance, not a diagnosis. It does not replace a doctor.',
  pt: 'ℹ️ Orientação automática, não é um diagnóstico. Não substitui um médico.',
  es: 'ℹ️ Orientación automática, no es un diagnóstico. No sustituye a un médico.',
};

/** Opens every emergency reply. The local number is named with examples because patients may be anywhere. */
export const EMERGENCY_INSTRUCTIONS: Record<Language, string> = {
  en: '🚨 This may be an emergency. Call your local emergency number now (for example 192 SAMU in Brazil, 112 in Spain and the EU, 911 in the US) or go to the nearest emergency department. Do not wait for a reply here.',
  pt: '🚨 Isto pode ser uma emergência. Ligue agora para o número de emergência local (por exemplo 192 SAMU no Brasil, 112 em Portugal e na União Europeia, 911 nos EUA) ou vá ao pronto-socorro mais próximo. Não espere por uma resposta aqui.',
  es: '🚨 Esto puede ser una emergencia. Llame ahora a su número de emergencias local (por ejemplo 112 en España y la UE, 911 en EE. UU. y gran parte de Latinoamérica, 192 SAMU en Brasil) o vaya a urgencias del hospital más cercano. No espere una respuesta aquí.',
};

/** Replaces a sentence that gave a dose or a dosing schedule. */
export const SAFE_MEDICATION_WORDING: Record<Language, string> = {
  en: 'For any medicine, follow the leaflet or ask a pharmacist or doctor about the right amount for you.',
  pt: 'Para qualquer remédio, siga a bula ou pergunte a um farmacêutico ou médico qual a quantidade certa para você.',
  es: 'Para cualquier medicamento, siga el prospecto o pregunte a un farmacéutico o médico la cantidad adecuada para usted.',
};

/** Replaces a sentence that stated a diagnosis as fact. */
export const SAFE_DIAGNOSIS_WORDING: Record<Language, string> = {
  en: 'These symptoms can have several causes; only a clinician who examines you can say what is going on.',
  pt: 'Esses sintomas podem ter várias causas; só um profissional de saúde que examine você pode dizer o que está acontecendo.',
  es: 'Estos síntomas pueden tener varias causas; solo un profesional sanitario que le examine puede decir qué ocurre.',
};

/** Added when the rules found a reason to be seen today that the model's answer played down. */
export const SEEN_TODAY_WORDING: Record<Language, string> = {
  en: 'To be safe, please get medical care today: contact your doctor or an urgent care service within the next few hours.',
  pt: 'Por segurança, procure atendimento médico hoje: fale com seu médico ou vá a um pronto atendimento nas próximas horas.',
  es: 'Por seguridad, busque atención médica hoy: contacte con su médico o un servicio de urgencias en las próximas horas.',
};
