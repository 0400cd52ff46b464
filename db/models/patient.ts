import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** Minimal patient record the triage core reads; list fields are JSON text arrays. */
export interface Patient extends Model<InferAttributes<Patient>, InferCreationAttributes<Patient>> {
  patientId: string;
  displayName: string | null;
  birthYear: number | null;
  sex: 'female' | 'male' | 'other' | null;
  pregnant: boolean | null;
  conditions: string;
  allergies: string;
  medications: string;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type PatientModel = ModelStatic<Patient>;

export function initPatient(sequelize: Sequelize): PatientModel {
  return sequelize.define<Patient>(
    'Patient',
    {
      patientId: { type: DataTypes.STRING(64), primaryKey: true, field: 'PatientId' },
      displayName: { type: DataTypes.STRING(256), allowNull: true, field: 'DisplayName' },
      birthYear: { type: DataTypes.INTEGER, allowNull: true, field: 'BirthYear' },
      sex: { type: DataTypes.STRING(16), allowNull: true, field: 'Sex' },
      pregnant: { type: DataTypes.BOOLEAN, allowNull: true, field: 'Pregnant' },
      conditions: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]', field: 'Conditions' },
      allergies: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]', field: 'Allergies' },
      medications: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]', field: 'Medications' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
      updatedAt: { type: DataTypes.DATE, allowNull: false, field: 'UpdatedAt' },
    },
    { tableName: 'Patients', timestamps: true },
  );
}
