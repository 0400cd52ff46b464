import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** A signed-in browser: keyed by the sha256 of its cookie token, with the CSRF token of its forms. */
export interface OperatorSession extends Model<
  InferAttributes<OperatorSession>,
  InferCreationAttributes<OperatorSession>
> {
  id: string;
  operatorId: number;
  csrfToken: string;
  expiresAt: Date;
  lastSeenAt: Date;
  createdAt: CreationOptional<Date>;
}

export type OperatorSessionModel = ModelStatic<OperatorSession>;

export function initOperatorSession(sequelize: Sequelize): OperatorSessionModel {
  return sequelize.define<OperatorSession>(
    'OperatorSession',
    {
      id: { type: DataTypes.STRING(64), primaryKey: true, field: 'Id' },
      operatorId: { type: DataTypes.INTEGER, allowNull: false, field: 'OperatorId' },
      csrfToken: { type: DataTypes.STRING(64), allowNull: false, field: 'CsrfToken' },
      expiresAt: { type: DataTypes.DATE, allowNull: false, field: 'ExpiresAt' },
      lastSeenAt: { type: DataTypes.DATE, allowNull: false, field: 'LastSeenAt' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
    },
    { tableName: 'OperatorSessions', timestamps: true, updatedAt: false },
  );
}
