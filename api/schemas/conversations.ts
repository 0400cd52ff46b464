import { z } from 'zod';
import {
  chatSessionSchema,
  DELIVERY_STATUSES,
  isoDateTime,
  limitParam,
  messageRecordSchema,
  MESSAGE_TYPES,
  sessionName,
  singleLine,
} from './common';

export const recentConversationsQuery = z.object({
  since: isoDateTime.optional(),
  limit: limitParam(50, 200),
});
export const conversationsResponseSchema = z.object({ conversations: z.array(chatSessionSchema) });

export const historyQuery = z.object({
  limit: limitParam(50, 500),
  before: isoDateTime.optional(),
  session: sessionName.optional(),
});
export const historyResponseSchema = z.object({
  chatId: z.string(),
  messages: z.array(messageRecordSchema).meta({ description: 'Newest last' }),
});

const counts = <T extends readonly [string, ...string[]]>(keys: T) => z.partialRecord(z.enum(keys), z.number().int());
export const statsResponseSchema = z
  .object({
    chatId: z.string(),
    total: z.number().int(),
    byDirection: z.object({ inbound: z.number().int(), outbound: z.number().int() }),
    byType: counts(MESSAGE_TYPES),
    byStatus: counts(DELIVERY_STATUSES),
    firstMessageAt: z.string().nullable(),
    lastMessageAt: z.string().nullable(),
    responseTimeMs: z.object({
      count: z.number().int(),
      median: z.number().nullable(),
      p90: z.number().nullable(),
    }),
  })
  .meta({ id: 'ChatStats' });

export const linkPatientBody = z.strictObject({ patientId: singleLine(z.string().trim().min(1).max(100)) });
export const linkPatientResponse = z.object({ session: z.string(), chatId: z.string(), patientId: z.string() });

export const handoffBody = z
  .strictObject({
    by: singleLine(z.string().trim().min(1).max(100))
      .optional()
      .meta({ description: 'Who acts (default: the API key)' }),
  })
  .optional();
export const handoffResponse = z.object({
  session: z.string(),
  chatId: z.string(),
  status: z.enum(['handoff', 'active']),
  workflowId: z.string(),
});

export const workflowsQuery = z.object({
  session: sessionName.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const workflowLink = z.object({
  workflowId: z.string(),
  url: z.string().meta({ description: 'The workflow in the Temporal Web UI (TEMPORAL_UI_URL)' }),
});

export const chatWorkflowsResponse = z
  .object({
    session: z.string(),
    chatId: z.string(),
    conversation: workflowLink,
    messages: z.array(workflowLink.extend({ messageId: z.string(), at: z.string() })),
  })
  .meta({ id: 'ChatWorkflows' });
