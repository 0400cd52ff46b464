/**
 * The medical core's one interface, used by the diagnosis activity and by POST /api/triage.
 */

export const TRIAGE_LEVELS = ['emergency', 'urgent', 'routine', 'self-care', 'info'] as const;
export type TriageLevel = (typeof TRIAGE_LEVELS)[number];

export interface ConversationTurn {
  role: 'patient' | 'assistant';
  text: string;
  /** ISO time; lets the engine weigh recent turns over old ones. */
  at?: string;
}

export interface PatientContext {
  patientId: string;
  /** Free-form facts a patient record provides (age band, pregnancy, allergies, conditions...). */
  ageYears?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant?: boolean;
  conditions?: string[];
  allergies?: string[];
  medications?: string[];
}

export interface AssessInput {
  /** The recent conversation, oldest first; the last patient turns are what must be answered. */
  messages: ConversationTurn[];
  patient?: PatientContext;
}

export interface Assessment {
  triageLevel: TriageLevel;
  /** The full text to send, notice included. */
  reply: string;
  /** Ids of the red-flag rules that matched (e.g. "chest-pain-warning", "stroke-signs"). */
  redFlags: string[];
  followUpQuestions: string[];
  provider: 'rules' | 'openai';
  model: string;
  /** ISO 639-1 code of the language the reply was written in. */
  language: string;
}

export interface MedicalCore {
  assess(input: AssessInput): Promise<Assessment>;
}

/** Where the assessment gets patient context from (database-backed by default). */
export interface PatientRecordProvider {
  getPatientContext(patientId: string): Promise<PatientContext | undefined>;
}
