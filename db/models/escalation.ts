import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { AlertChannel, AlertStatus } from '../types';

/**
 * One escalation of a chat, open until a person hands the chat back to the assistant (ResolvedAt): what the
 * console inbox shows first. RedFlags is a JSON text array of red-flag rule ids.
 */
export interface Escalation extends Model<InferAttributes<Escalation>, InferCreationAttributes<Escalation>> {
  id: CreationOptional<number>;
  session: string;
  chatId: string;
  escalatedAt: Date;
  triageLevel: string;
  redFlags: string;
  alertStatus: CreationOptional<AlertStatus>;
  alertChannel: CreationOptional<AlertChannel | null>;
  alertDetail: CreationOptional<string | null>;
  alertAt: CreationOptional<Date | null>;
  acknowledgedBy: CreationOptional<string | null>;
  acknowledgedAt: CreationOptional<Date | null>;
  note: CreationOptional<string | null>;
  resolvedBy: CreationOptional<string | null>;
  resolvedAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type EscalationModel = ModelStatic<Escalation>;

export function initEscalation(sequelize: Sequelize): EscalationModel {
  return sequelize.define<Escalation>(
    'Escalation',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, field: 'Id' },
      session: { type: DataTypes.STRING(64), allowNull: false, field: 'Session' },
      chatId: { type: DataTypes.STRING(128), allowNull: false, field: 'ChatId' },
      escalatedAt: { type: DataTypes.DATE, allowNull: false, field: 'EscalatedAt' },
      triageLevel: { type: DataTypes.STRING(16), allowNull: false, field: 'TriageLevel' },
      redFlags: { type: DataTypes.TEXT, allowNull: false, field: 'RedFlags' },
      alertStatus: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending', field: 'AlertStatus' },
      alertChannel: { type: DataTypes.STRING(16), allowNull: true, field: 'AlertChannel' },
      alertDetail: { type: DataTypes.STRING(256), allowNull: true, field: 'AlertDetail' },
      alertAt: { type: DataTypes.DATE, allowNull: true, field: 'AlertAt' },
      acknowledgedBy: { type: DataTypes.STRING(128), allowNull: true, field: 'AcknowledgedBy' },
      acknowledgedAt: { type: DataTypes.DATE, allowNull: true, field: 'AcknowledgedAt' },
      note: { type: DataTypes.STRING(1000), allowNull: true, field: 'Note' },
      resolvedBy: { type: DataTypes.STRING(128), allowNull: true, field: 'ResolvedBy' },
      resolvedAt: { type: DataTypes.DATE, allowNull: true, field: 'ResolvedAt' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
      updatedAt: { type: DataTypes.DATE, allowNull: false, field: 'UpdatedAt' },
    },
    { tableName: 'Escalations', timestamps: true },
  );
}
