import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { OutboundRequestStatus } from '../types';

/** A send asked for by another service (REST or signal), keyed by the caller's request id. */
export interface OutboundRequest extends Model<
  InferAttributes<OutboundRequest>,
  InferCreationAttributes<OutboundRequest>
> {
  requestId: string;
  session: string;
  chatId: string;
  workflowId: string;
  /** sha256 hex of the request body, to refuse a reused request id with a different body. */
  payloadHash: CreationOptional<string | null>;
  status: CreationOptional<OutboundRequestStatus>;
  reason: CreationOptional<string | null>;
  messageId: CreationOptional<string | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type OutboundRequestModel = ModelStatic<OutboundRequest>;

export function initOutboundRequest(sequelize: Sequelize): OutboundRequestModel {
  return sequelize.define<OutboundRequest>(
    'OutboundRequest',
    {
      requestId: { type: DataTypes.STRING(128), primaryKey: true, field: 'RequestId' },
      session: { type: DataTypes.STRING(64), allowNull: false, field: 'Session' },
      chatId: { type: DataTypes.STRING(128), allowNull: false, field: 'ChatId' },
      workflowId: { type: DataTypes.STRING(255), allowNull: false, field: 'WorkflowId' },
      payloadHash: { type: DataTypes.STRING(64), allowNull: true, field: 'PayloadHash' },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending', field: 'Status' },
      reason: { type: DataTypes.STRING(512), allowNull: true, field: 'Reason' },
      messageId: { type: DataTypes.STRING(255), allowNull: true, field: 'MessageId' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
      updatedAt: { type: DataTypes.DATE, allowNull: false, field: 'UpdatedAt' },
    },
    { tableName: 'OutboundRequests', timestamps: true },
  );
}
