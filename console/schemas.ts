import { z } from 'zod';
import { chatIdSchema, sessionName } from '../api/schemas/common';

/** Inputs of the console's routes, validated once at the edge like the REST API's. */

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const noControl = (max: number, min = 0) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((v) => !CONTROL.test(v), { message: 'must not contain control characters' });

export const chatRouteParams = z.object({ session: sessionName, chatId: chatIdSchema });
export const sessionRouteParams = z.object({ session: sessionName });
export const mediaRouteParams = z.object({ session: sessionName, messageId: z.string().min(1).max(255) });

export const loginForm = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(256),
  next: z.string().max(500).optional(),
});

export const replyForm = z.object({
  text: noControl(4096, 1),
  requestKey: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

export const acknowledgeForm = z.object({ note: noControl(1000).optional() });
export const patientForm = z.object({ patientId: noControl(100, 1) });

export const chatQuery = z.object({
  before: z.iso.datetime({ offset: true }).optional(),
  partial: z.enum(['history', 'panel']).optional(),
  done: z.string().max(32).optional(),
});

/**
 * The search form: empty fields mean "any". Dates come from datetime-local inputs, in the zone whose offset
 * from UTC (minutes east) the browser script puts in `tz`; without the script, UTC.
 */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());
export const searchForm = z.object({
  q: optional(noControl(200, 1)),
  chatId: optional(chatIdSchema),
  senderType: optional(z.enum(['patient', 'assistant', 'human', 'system'])),
  messageType: optional(
    z.enum(['text', 'image', 'document', 'audio', 'video', 'location', 'sticker', 'contact', 'other']),
  ),
  from: optional(z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/)),
  to: optional(z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/)),
  offset: optional(z.coerce.number().int().min(0).max(10_000)),
  tz: optional(
    z.coerce
      .number()
      .int()
      .min(-14 * 60)
      .max(14 * 60),
  ),
});
