import { z } from 'zod';
import { toRecipientFields } from '../../wppconnect/ids';

/** Building blocks shared by the route schemas (also the OpenAPI components). */

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer' });

/**
 * Control characters (C0, DEL, C1). A NUL cannot be stored in PostgreSQL text and none of them belongs in
 * a search, a name or an id; multi-line text keeps tab, line feed and carriage return.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A one-line string: no control characters at all. */
export const singleLine = (schema: z.ZodString) =>
  schema.refine((v) => !CONTROL_CHARACTERS.test(v), { message: 'must not contain control characters' });
/** Free text: no control characters but tab and line breaks. */
export const multiLine = (schema: z.ZodString) =>
  schema.refine((v) => !CONTROL_CHARACTERS_BUT_LINES.test(v), {
    message: 'must not contain control characters other than tab and line breaks',
  });

export const SESSION_NAME = /^[A-Za-z0-9_-]{1,40}$/;
export const sessionName = z.string().regex(SESSION_NAME, 'must be a session name (letters, digits, _ or -)');

/** ISO 8601 date-time (with Z or an offset) → Date. */
export const isoDateTime = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v))
  .meta({ description: 'ISO 8601 date-time', example: '2026-01-31T12:00:00Z' });

export const limitParam = (def: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(def)
    .meta({ description: `1 to ${max}, default ${def}` });

/**
 * A chat id as stored (`5511999990001@c.us`, `...@g.us`, `...@lid`); bare phone digits are read as the
 * `@c.us` chat of that number.
 */
export const chatIdSchema = z
  .string()
  .max(100)
  .transform((value, ctx) => {
    const fields = toRecipientFields(value);
    if (fields === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a chat id (…@c.us, …@g.us, …@lid) or phone digits' });
      return z.NEVER;
    }
    return chatIdOf(fields);
  })
  .meta({ example: '5511999990001@c.us' });

export function chatIdOf(fields: { phone: string; isGroup?: true; isLid?: true }): string {
  if (fields.isGroup) return `${fields.phone}@g.us`;
  if (fields.isLid) return `${fields.phone}@lid`;
  return `${fields.phone}@c.us`;
}

export const chatParams = z.object({ chatId: chatIdSchema });
export const optionalSessionQuery = z.object({
  session: sessionName.optional().meta({ description: 'Which WhatsApp session, when the chat exists in several' }),
});

export const SENDER_TYPES = ['patient', 'assistant', 'human', 'system'] as const;
export const MESSAGE_TYPES = [
  'text',
  'image',
  'document',
  'audio',
  'video',
  'location',
  'sticker',
  'contact',
  'other',
] as const;
export const DELIVERY_STATUSES = ['received', 'pending', 'sent', 'delivered', 'read', 'failed'] as const;
export const CHAT_STATUSES = ['active', 'handoff', 'escalated', 'closed'] as const;

const dateOut = z.string().meta({ description: 'ISO 8601 date-time' });

export const chatSessionSchema = z
  .object({
    session: z.string(),
    chatId: z.string(),
    contactName: z.string().nullable(),
    contactPhone: z.string().nullable(),
    firstMessageAt: dateOut.nullable(),
    lastMessageAt: dateOut.nullable(),
    totalMessages: z.number().int(),
    status: z.enum(CHAT_STATUSES),
    patientId: z.string().nullable(),
    createdAt: dateOut,
    updatedAt: dateOut,
  })
  .meta({ id: 'ChatSession' });

export const messageRecordSchema = z
  .object({
    id: z.number().int(),
    session: z.string(),
    chatId: z.string(),
    messageId: z.string(),
    timestamp: dateOut,
    direction: z.enum(['inbound', 'outbound']),
    senderType: z.enum(SENDER_TYPES),
    senderId: z.string().nullable(),
    senderName: z.string().nullable(),
    messageType: z.enum(MESSAGE_TYPES),
    content: z.string().nullable(),
    mediaPath: z.string().nullable(),
    mediaFilename: z.string().nullable(),
    caption: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    deliveryStatus: z.enum(DELIVERY_STATUSES),
    statusReason: z.string().nullable(),
    createdAt: dateOut,
  })
  .meta({ id: 'ConversationMessage' });

export { dateOut };
