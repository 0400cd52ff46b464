import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { DeliveryStatus, Direction, MessageType, SenderType } from '../types';

/** Every message in and out; (session, messageId) is unique so a replayed webhook inserts nothing. */
export interface ConversationMessage extends Model<
  InferAttributes<ConversationMessage>,
  InferCreationAttributes<ConversationMessage>
> {
  id: CreationOptional<number>;
  session: string;
  chatId: string;
  messageId: string;
  timestamp: Date;
  direction: Direction;
  senderType: SenderType;
  senderId: string | null;
  senderName: string | null;
  messageType: MessageType;
  content: string | null;
  mediaPath: string | null;
  mediaFilename: string | null;
  caption: string | null;
  /** JSON text; the repository parses it. */
  metadata: string;
  deliveryStatus: DeliveryStatus;
  statusReason: string | null;
  createdAt: CreationOptional<Date>;
}

export type ConversationMessageModel = ModelStatic<ConversationMessage>;

export function initConversationMessage(sequelize: Sequelize): ConversationMessageModel {
  return sequelize.define<ConversationMessage>(
    'ConversationMessage',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, field: 'Id' },
      session: { type: DataTypes.STRING(64), allowNull: false, field: 'Session' },
      chatId: { type: DataTypes.STRING(128), allowNull: false, field: 'ChatId' },
      messageId: { type: DataTypes.STRING(255), allowNull: false, field: 'MessageId' },
      timestamp: { type: DataTypes.DATE, allowNull: false, field: 'Timestamp' },
      direction: { type: DataTypes.STRING(16), allowNull: false, field: 'Direction' },
      senderType: { type: DataTypes.STRING(16), allowNull: false, field: 'SenderType' },
      senderId: { type: DataTypes.STRING(128), allowNull: true, field: 'SenderId' },
      senderName: { type: DataTypes.STRING(256), allowNull: true, field: 'SenderName' },
      messageType: { type: DataTypes.STRING(16), allowNull: false, field: 'MessageType' },
      content: { type: DataTypes.TEXT, allowNull: true, field: 'Content' },
      mediaPath: { type: DataTypes.STRING(512), allowNull: true, field: 'MediaPath' },
      mediaFilename: { type: DataTypes.STRING(256), allowNull: true, field: 'MediaFilename' },
      caption: { type: DataTypes.TEXT, allowNull: true, field: 'Caption' },
      metadata: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}', field: 'Metadata' },
      deliveryStatus: { type: DataTypes.STRING(16), allowNull: false, field: 'DeliveryStatus' },
      statusReason: { type: DataTypes.STRING(512), allowNull: true, field: 'StatusReason' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
    },
    { tableName: 'ConversationMessages', timestamps: true, updatedAt: false },
  );
}
