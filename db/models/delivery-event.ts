import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { DeliveryEventInput, DeliveryStatus } from '../types';

/**
 * Every delivery status event as it arrived, including events for messages not recorded yet
 * (an ack can beat the send activity's insert); logMessage replays those.
 */
export interface DeliveryEvent extends Model<InferAttributes<DeliveryEvent>, InferCreationAttributes<DeliveryEvent>> {
  id: CreationOptional<number>;
  session: string;
  messageId: string;
  status: DeliveryStatus;
  ack: number | null;
  reason: string | null;
  source: DeliveryEventInput['source'];
  at: Date;
}

export type DeliveryEventModel = ModelStatic<DeliveryEvent>;

export function initDeliveryEvent(sequelize: Sequelize): DeliveryEventModel {
  return sequelize.define<DeliveryEvent>(
    'DeliveryEvent',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, field: 'Id' },
      session: { type: DataTypes.STRING(64), allowNull: false, field: 'Session' },
      messageId: { type: DataTypes.STRING(255), allowNull: false, field: 'MessageId' },
      status: { type: DataTypes.STRING(16), allowNull: false, field: 'Status' },
      ack: { type: DataTypes.INTEGER, allowNull: true, field: 'Ack' },
      reason: { type: DataTypes.STRING(512), allowNull: true, field: 'Reason' },
      source: { type: DataTypes.STRING(16), allowNull: false, field: 'Source' },
      at: { type: DataTypes.DATE, allowNull: false, field: 'At' },
    },
    { tableName: 'DeliveryEvents', timestamps: false },
  );
}
