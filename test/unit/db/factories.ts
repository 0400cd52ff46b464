import type { LogMessageInput } from '../../../db/types';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A time `seconds` after a fixed instant, so tests never depend on the clock. */
export const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

export function patientText(overrides: Partial<LogMessageInput> & { messageId: string }): LogMessageInput {
  return {
    session: 'clinic',
    chatId: '5511999990000@c.us',
    timestamp: at(0),
    direction: 'inbound',
    senderType: 'patient',
    messageType: 'text',
    content: 'hello',
    deliveryStatus: 'received',
    ...overrides,
  };
}

export function assistantText(overrides: Partial<LogMessageInput> & { messageId: string }): LogMessageInput {
  return {
    session: 'clinic',
    chatId: '5511999990000@c.us',
    timestamp: at(0),
    direction: 'outbound',
    senderType: 'assistant',
    messageType: 'text',
    content: 'reply',
    deliveryStatus: 'pending',
    ...overrides,
  };
}
