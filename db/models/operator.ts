import {
  DataTypes,
  type Model,
  type ModelStatic,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** A person who signs in to the operator console; the password is stored as an scrypt hash only. */
export interface Operator extends Model<InferAttributes<Operator>, InferCreationAttributes<Operator>> {
  id: CreationOptional<number>;
  username: string;
  displayName: string;
  passwordHash: string;
  /** Consecutive failed sign-ins; reset by a successful one. */
  failedSignIns: CreationOptional<number>;
  lockedUntil: CreationOptional<Date | null>;
  lastSignInAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type OperatorModel = ModelStatic<Operator>;

export function initOperator(sequelize: Sequelize): OperatorModel {
  return sequelize.define<Operator>(
    'Operator',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, field: 'Id' },
      username: { type: DataTypes.STRING(64), allowNull: false, field: 'Username' },
      displayName: { type: DataTypes.STRING(128), allowNull: false, field: 'DisplayName' },
      passwordHash: { type: DataTypes.STRING(256), allowNull: false, field: 'PasswordHash' },
      failedSignIns: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0, field: 'FailedSignIns' },
      lockedUntil: { type: DataTypes.DATE, allowNull: true, field: 'LockedUntil' },
      lastSignInAt: { type: DataTypes.DATE, allowNull: true, field: 'LastSignInAt' },
      createdAt: { type: DataTypes.DATE, allowNull: false, field: 'CreatedAt' },
      updatedAt: { type: DataTypes.DATE, allowNull: false, field: 'UpdatedAt' },
    },
    { tableName: 'Operators', timestamps: true },
  );
}
