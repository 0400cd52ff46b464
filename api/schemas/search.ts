import { z } from 'zod';
import {
  chatIdSchema,
  isoDateTime,
  limitParam,
  MESSAGE_TYPES,
  messageRecordSchema,
  SENDER_TYPES,
  singleLine,
} from './common';

export const searchQuery = z.object({
  q: singleLine(z.string().trim().min(1).max(200)).meta({
    description: 'Words to find in message content ("quoted phrases" kept together); no control characters',
  }),
  chatId: chatIdSchema.optional(),
  senderType: z.enum(SENDER_TYPES).optional(),
  messageType: z.enum(MESSAGE_TYPES).optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  limit: limitParam(20, 100),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const searchResponseSchema = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  items: z.array(messageRecordSchema),
});
