import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { ChatStatus } from '../types';

/** One row per (WhatsApp session, chat): contact details and message counters. */
export interface ChatSession extends Model<InferAttributes<ChatSession>, InferCreationAttributes<ChatSession>> {
  id: CreationOptional<number>;
  session: string;
  chatId: string;
  contactName: CreationOptional<string | null>;
  contactPhone: CreationOptional<string | null>;
  firstMessageAt: CreationOptional<Date | null>;
  lastMessageAt: CreationOptional<Date | null>;
  totalMessages: CreationOptional<number>;
  status: CreationOptional<ChatStatus>;
  patientId: CreationOptional<string | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type ChatSessionModel = ModelStatic<ChatSession>;

export function initChatSession(sequelize: Sequelize): ChatSessionModel {
  return sequelize.define<ChatSession>(
    'ChatSession',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, field: 'Id' },
      session: { type: DataTypes.STRING(64), allowNull: false, field: 'Session' },
      chatId: { type: DataTypes.STRING(128), allowNull: false, field: 'ChatId' },
      contactName: { type: DataTypes.STRING(256), allowNull: true, field: 'ContactName' },
      contactPhone: { type: DataTypes.STRING(32), allowNull: true, field: 'ContactPhone' },
      firstMessageAt: { type: DataTypes.DATE, allowNull: true, field: 'FirstMessageAt' },
      lastMessageAt: { type: DataTypes.DATE, allowNull: true, field: 'LastMessageAt' },
      totalMessages: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0, field: 'TotalMessages' },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active', field: 'Status' },
      patientId: { type: DataTypes.STRING(64), allowNull: true, field: 'PatientId' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
      updatedAt: { type: DataTypes.DATE, allowNull: false, field: 'UpdatedAt' },
    },
    { tableName: 'ChatSessions', timestamps: true },
  );
}
