import type { Sequelize } from 'sequelize';
import { initChatSession, type ChatSessionModel } from './chat-session';
import { initConversationMessage, type ConversationMessageModel } from './conversation-message';
import { initDeliveryEvent, type DeliveryEventModel } from './delivery-event';
import { initEscalation, type EscalationModel } from './escalation';
import { initOperator, type OperatorModel } from './operator';
import { initOperatorSession, type OperatorSessionModel } from './operator-session';
import { initOutboundRequest, type OutboundRequestModel } from './outbound-request';
import { initPatient, type PatientModel } from './patient';

export interface Models {
  ChatSession: ChatSessionModel;
  ConversationMessage: ConversationMessageModel;
  DeliveryEvent: DeliveryEventModel;
  OutboundRequest: OutboundRequestModel;
  Patient: PatientModel;
  Escalation: EscalationModel;
  Operator: OperatorModel;
  OperatorSession: OperatorSessionModel;
}

const cache = new WeakMap<Sequelize, Models>();

/**
 * Defines every model on this Sequelize instance once and wires the associations in one place.
 * The schema itself comes from migrations; models never sync().
 */
export function defineModels(sequelize: Sequelize): Models {
  const existing = cache.get(sequelize);
  if (existing) return existing;
  const models: Models = {
    ChatSession: initChatSession(sequelize),
    ConversationMessage: initConversationMessage(sequelize),
    DeliveryEvent: initDeliveryEvent(sequelize),
    OutboundRequest: initOutboundRequest(sequelize),
    Patient: initPatient(sequelize),
    Escalation: initEscalation(sequelize),
    Operator: initOperator(sequelize),
    OperatorSession: initOperatorSession(sequelize),
  };
  // A chat may name a patient kept in another system, so no foreign-key constraint.
  models.ChatSession.belongsTo(models.Patient, { foreignKey: 'patientId', targetKey: 'patientId', constraints: false });
  models.Patient.hasMany(models.ChatSession, { foreignKey: 'patientId', sourceKey: 'patientId', constraints: false });
  cache.set(sequelize, models);
  return models;
}

export type { ChatSession, ChatSessionModel } from './chat-session';
export type { ConversationMessage, ConversationMessageModel } from './conversation-message';
export type { DeliveryEvent, DeliveryEventModel } from './delivery-event';
export type { Escalation, EscalationModel } from './escalation';
export type { Operator, OperatorModel } from './operator';
export type { OperatorSession, OperatorSessionModel } from './operator-session';
export type { OutboundRequest, OutboundRequestModel } from './outbound-request';
export type { Patient, PatientModel } from './patient';
