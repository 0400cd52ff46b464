import type { Sequelize } from 'sequelize';
import type { PatientContext, PatientRecordProvider } from '../triage/types';
import { defineModels, type Patient } from './models';

export interface PatientInput {
  patientId: string;
  displayName?: string | null;
  birthYear?: number | null;
  sex?: 'female' | 'male' | 'other' | null;
  pregnant?: boolean | null;
  conditions?: string[];
  allergies?: string[];
  medications?: string[];
}

export interface PatientRecords extends PatientRecordProvider {
  /** Creates or replaces a patient record (seeding, tests, admin tools). */
  upsertPatient(input: PatientInput): Promise<void>;
}

function parseList(text: string | null): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function toContext(row: Patient, currentYear: number): PatientContext {
  const context: PatientContext = { patientId: row.patientId };
  // Only the birth year is stored (data minimisation), so the age is approximate by up to a year.
  if (row.birthYear !== null && row.birthYear !== undefined) context.ageYears = currentYear - row.birthYear;
  if (row.sex) context.sex = row.sex;
  if (row.pregnant !== null && row.pregnant !== undefined) context.pregnant = Boolean(row.pregnant);
  const conditions = parseList(row.conditions);
  const allergies = parseList(row.allergies);
  const medications = parseList(row.medications);
  if (conditions.length > 0) context.conditions = conditions;
  if (allergies.length > 0) context.allergies = allergies;
  if (medications.length > 0) context.medications = medications;
  return context;
}

/** The database-backed PatientRecordProvider the triage core reads patient context from. */
export function createPatientRecordProvider(sequelize: Sequelize, opts: { now?: () => Date } = {}): PatientRecords {
  const { Patient } = defineModels(sequelize);
  const now = opts.now ?? (() => new Date());
  return {
    async getPatientContext(patientId) {
      const row = await Patient.findByPk(patientId);
      return row ? toContext(row, now().getUTCFullYear()) : undefined;
    },
    async upsertPatient(input) {
      await Patient.upsert({
        patientId: input.patientId,
        displayName: input.displayName ?? null,
        birthYear: input.birthYear ?? null,
        sex: input.sex ?? null,
        pregnant: input.pregnant ?? null,
        conditions: JSON.stringify(input.conditions ?? []),
        allergies: JSON.stringify(input.allergies ?? []),
        medications: JSON.stringify(input.medications ?? []),
      });
    },
  };
}
