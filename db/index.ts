import type { Sequelize } from 'sequelize';
import { createSequelize, type ConnectionOptions } from './connection';
import { migrate } from './migrator';
import { createOperatorRepository, type OperatorRepository } from './operators';
import { createPatientRecordProvider, type PatientRecords } from './patient-records';
import { createConversationRepository } from './repository';
import type { IConversationRepository } from './types';

export interface Database {
  sequelize: Sequelize;
  repo: IConversationRepository;
  patients: PatientRecords;
  /** Operator accounts and console sessions. */
  operators: OperatorRepository;
  /** Names of the migrations this open applied (empty when the schema was current). */
  migrated: string[];
  close(): Promise<void>;
}

/** Connects, applies pending migrations and builds the repositories: what composition roots call. */
export async function openDatabase(databaseUrl: string, opts: ConnectionOptions = {}): Promise<Database> {
  const sequelize = createSequelize(databaseUrl, opts);
  try {
    await sequelize.authenticate();
    const migrated = await migrate(sequelize);
    const repo = createConversationRepository(sequelize);
    return {
      sequelize,
      repo,
      patients: createPatientRecordProvider(sequelize),
      operators: createOperatorRepository(sequelize),
      migrated,
      close: () => repo.close(),
    };
  } catch (err) {
    await sequelize.close().catch(() => undefined);
    throw err;
  }
}

export { createSequelize, dialectOf, type ConnectionOptions, type DatabaseDialect } from './connection';
export { createMigrator, migrate } from './migrator';
export { createConversationRepository } from './repository';
export { createOperatorRepository, type OperatorRecord, type OperatorRepository } from './operators';
export { createPatientRecordProvider, type PatientInput, type PatientRecords } from './patient-records';
export * from './types';
