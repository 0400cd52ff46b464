import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** The five tables and their b-tree indexes; column names are PascalCase like the seed design. */

const createdAt = { type: DataTypes.DATE, allowNull: false };
const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };

export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('Patients', {
    PatientId: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    DisplayName: { type: DataTypes.STRING(256), allowNull: true },
    BirthYear: { type: DataTypes.INTEGER, allowNull: true },
    Sex: { type: DataTypes.STRING(16), allowNull: true },
    Pregnant: { type: DataTypes.BOOLEAN, allowNull: true },
    Conditions: { type: DataTypes.TEXT, allowNull: false },
    Allergies: { type: DataTypes.TEXT, allowNull: false },
    Medications: { type: DataTypes.TEXT, allowNull: false },
    CreatedAt: createdAt,
    UpdatedAt: createdAt,
  });

  await qi.createTable('ChatSessions', {
    Id: id,
    Session: { type: DataTypes.STRING(64), allowNull: false },
    ChatId: { type: DataTypes.STRING(128), allowNull: false },
    ContactName: { type: DataTypes.STRING(256), allowNull: true },
    ContactPhone: { type: DataTypes.STRING(32), allowNull: true },
    FirstMessageAt: { type: DataTypes.DATE, allowNull: true },
    LastMessageAt: { type: DataTypes.DATE, allowNull: true },
    TotalMessages: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    Status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
    PatientId: { type: DataTypes.STRING(64), allowNull: true },
    CreatedAt: createdAt,
    UpdatedAt: createdAt,
  });
  await qi.addIndex('ChatSessions', ['Session', 'ChatId'], { unique: true, name: 'UX_ChatSessions_Session_ChatId' });
  await qi.addIndex('ChatSessions', ['ChatId'], { name: 'IX_ChatSessions_ChatId' });
  await qi.addIndex('ChatSessions', ['ContactPhone'], { name: 'IX_ChatSessions_ContactPhone' });
  await qi.addIndex('ChatSessions', {
    fields: [{ name: 'LastMessageAt', order: 'DESC' }],
    name: 'IX_ChatSessions_LastMessageAt',
  });
  await qi.addIndex('ChatSessions', ['PatientId'], { name: 'IX_ChatSessions_PatientId' });

  await qi.createTable('ConversationMessages', {
    Id: id,
    Session: { type: DataTypes.STRING(64), allowNull: false },
    ChatId: { type: DataTypes.STRING(128), allowNull: false },
    MessageId: { type: DataTypes.STRING(255), allowNull: false },
    Timestamp: { type: DataTypes.DATE, allowNull: false },
    Direction: { type: DataTypes.STRING(16), allowNull: false },
    SenderType: { type: DataTypes.STRING(16), allowNull: false },
    SenderId: { type: DataTypes.STRING(128), allowNull: true },
    SenderName: { type: DataTypes.STRING(256), allowNull: true },
    MessageType: { type: DataTypes.STRING(16), allowNull: false },
    Content: { type: DataTypes.TEXT, allowNull: true },
    MediaPath: { type: DataTypes.STRING(512), allowNull: true },
    MediaFilename: { type: DataTypes.STRING(256), allowNull: true },
    Caption: { type: DataTypes.TEXT, allowNull: true },
    Metadata: { type: DataTypes.TEXT, allowNull: false },
    DeliveryStatus: { type: DataTypes.STRING(16), allowNull: false },
    StatusReason: { type: DataTypes.STRING(512), allowNull: true },
    CreatedAt: createdAt,
  });
  await qi.addIndex('ConversationMessages', ['Session', 'MessageId'], {
    unique: true,
    name: 'UX_ConversationMessages_Session_MessageId',
  });
  await qi.addIndex('ConversationMessages', ['ChatId', 'Timestamp'], {
    name: 'IX_ConversationMessages_ChatId_Timestamp',
  });
  await qi.addIndex('ConversationMessages', ['SenderType'], { name: 'IX_ConversationMessages_SenderType' });
  await qi.addIndex('ConversationMessages', ['MessageType'], { name: 'IX_ConversationMessages_MessageType' });
  await qi.addIndex('ConversationMessages', ['DeliveryStatus'], { name: 'IX_ConversationMessages_DeliveryStatus' });
  await qi.addIndex('ConversationMessages', ['Timestamp'], { name: 'IX_ConversationMessages_Timestamp' });

  await qi.createTable('DeliveryEvents', {
    Id: id,
    Session: { type: DataTypes.STRING(64), allowNull: false },
    MessageId: { type: DataTypes.STRING(255), allowNull: false },
    Status: { type: DataTypes.STRING(16), allowNull: false },
    Ack: { type: DataTypes.INTEGER, allowNull: true },
    Reason: { type: DataTypes.STRING(512), allowNull: true },
    Source: { type: DataTypes.STRING(16), allowNull: false },
    At: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('DeliveryEvents', ['Session', 'MessageId'], { name: 'IX_DeliveryEvents_Session_MessageId' });

  await qi.createTable('OutboundRequests', {
    RequestId: { type: DataTypes.STRING(128), primaryKey: true, allowNull: false },
    Session: { type: DataTypes.STRING(64), allowNull: false },
    ChatId: { type: DataTypes.STRING(128), allowNull: false },
    WorkflowId: { type: DataTypes.STRING(255), allowNull: false },
    PayloadHash: { type: DataTypes.STRING(64), allowNull: true },
    Status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    Reason: { type: DataTypes.STRING(512), allowNull: true },
    MessageId: { type: DataTypes.STRING(255), allowNull: true },
    CreatedAt: createdAt,
    UpdatedAt: createdAt,
  });
  await qi.addIndex('OutboundRequests', ['MessageId'], { name: 'IX_OutboundRequests_MessageId' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('OutboundRequests');
  await qi.dropTable('DeliveryEvents');
  await qi.dropTable('ConversationMessages');
  await qi.dropTable('ChatSessions');
  await qi.dropTable('Patients');
};
