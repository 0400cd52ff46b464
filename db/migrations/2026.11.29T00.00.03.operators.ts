import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The operator console (docs/console.md): operator accounts, their browser sessions, and escalations (when a
 * chat escalated, its red flags, whether and how the clinician alert went out, who acknowledged it and when).
 * The UpdatedAt indexes serve the console's live feed, which polls for rows changed since its last look.
 */

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };
const date = { type: DataTypes.DATE, allowNull: false };
const optionalDate = { type: DataTypes.DATE, allowNull: true };

export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('Operators', {
    Id: id,
    Username: { type: DataTypes.STRING(64), allowNull: false },
    DisplayName: { type: DataTypes.STRING(128), allowNull: false },
    PasswordHash: { type: DataTypes.STRING(256), allowNull: false },
    FailedSignIns: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    LockedUntil: optionalDate,
    LastSignInAt: optionalDate,
    CreatedAt: date,
    UpdatedAt: date,
  });
  await qi.addIndex('Operators', ['Username'], { unique: true, name: 'UX_Operators_Username' });

  await qi.createTable('OperatorSessions', {
    // sha256 of the cookie's token: the database never holds a usable session.
    Id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    OperatorId: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'Operators', key: 'Id' },
      onDelete: 'CASCADE',
    },
    CsrfToken: { type: DataTypes.STRING(64), allowNull: false },
    ExpiresAt: date,
    LastSeenAt: date,
    CreatedAt: date,
  });
  await qi.addIndex('OperatorSessions', ['OperatorId'], { name: 'IX_OperatorSessions_OperatorId' });
  await qi.addIndex('OperatorSessions', ['ExpiresAt'], { name: 'IX_OperatorSessions_ExpiresAt' });

  await qi.createTable('Escalations', {
    Id: id,
    Session: { type: DataTypes.STRING(64), allowNull: false },
    ChatId: { type: DataTypes.STRING(128), allowNull: false },
    EscalatedAt: date,
    TriageLevel: { type: DataTypes.STRING(16), allowNull: false },
    RedFlags: { type: DataTypes.TEXT, allowNull: false },
    AlertStatus: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    AlertChannel: { type: DataTypes.STRING(16), allowNull: true },
    AlertDetail: { type: DataTypes.STRING(256), allowNull: true },
    AlertAt: optionalDate,
    AcknowledgedBy: { type: DataTypes.STRING(128), allowNull: true },
    AcknowledgedAt: optionalDate,
    Note: { type: DataTypes.STRING(1000), allowNull: true },
    ResolvedBy: { type: DataTypes.STRING(128), allowNull: true },
    ResolvedAt: optionalDate,
    CreatedAt: date,
    UpdatedAt: date,
  });
  await qi.addIndex('Escalations', ['Session', 'ChatId'], { name: 'IX_Escalations_Session_ChatId' });
  await qi.addIndex('Escalations', ['ResolvedAt'], { name: 'IX_Escalations_ResolvedAt' });
  await qi.addIndex('Escalations', ['UpdatedAt'], { name: 'IX_Escalations_UpdatedAt' });

  await qi.addIndex('ChatSessions', ['UpdatedAt'], { name: 'IX_ChatSessions_UpdatedAt' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('ChatSessions', 'IX_ChatSessions_UpdatedAt');
  await qi.dropTable('Escalations');
  await qi.dropTable('OperatorSessions');
  await qi.dropTable('Operators');
};
