import { z } from 'zod';
import { toRecipientFields } from '../../wppconnect/ids';
import { multiLine, sessionName, singleLine } from './common';

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ error: 'the Idempotency-Key header is required' })
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .meta({ description: 'Client-chosen key; repeating a request with the same key sends nothing new' }),
});

export const sendMessageBodySchema = z
  .strictObject({
    to: z
      .string()
      .min(1)
      .max(64)
      .meta({ description: 'Phone digits with country code, or a full chat id', example: '5511999990001' }),
    type: z.enum(['text', 'image', 'document']),
    text: multiLine(z.string().min(1).max(4096)).optional(),
    caption: multiLine(z.string().max(1024)).optional(),
    filename: singleLine(z.string().min(1).max(200)).optional(),
    mediaBase64: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'File content: bare base64 or a data: URI (image and document)' }),
    mimetype: singleLine(z.string().min(3).max(100))
      .optional()
      .meta({ description: 'Detected from the data when omitted' }),
    session: sessionName.optional().meta({ description: 'WhatsApp session to send from; default the first one' }),
    as: z
      .enum(['system', 'human'])
      .optional()
      .meta({ description: 'human: a person of the clinic writes it (needs senderName); default system' }),
    senderName: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'The person writing, shown in the history (with "as": "human")' }),
  })
  .superRefine((body, ctx) => {
    if (toRecipientFields(body.to) === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'must be a phone number with country code (8 to 14 digits) or a chat id',
      });
    }
    if (body.type === 'text' && body.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'is required when type is text' });
    }
    if (body.type !== 'text' && body.mediaBase64 === undefined) {
      ctx.addIssue({ code: 'custom', path: ['mediaBase64'], message: `is required when type is ${body.type}` });
    }
    if (body.as === 'human' && body.senderName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['senderName'], message: 'is required when "as" is "human"' });
    }
    if (body.type === 'text' && (body.mediaBase64 !== undefined || body.caption !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'text messages carry no media or caption' });
    }
  })
  .meta({ id: 'SendMessageRequest' });
export type SendMessageBody = z.infer<typeof sendMessageBodySchema>;

export const sendMessageResponseSchema = z
  .object({
    requestId: z.string(),
    workflowId: z.string().meta({ description: "The chat's conversation workflow, which sends it in its turn" }),
    duplicate: z.literal(true).optional().meta({ description: 'Present on replays of an Idempotency-Key' }),
  })
  .meta({ id: 'SendMessageResponse' });

export const requestIdParams = z.object({ requestId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });

export const outboundStatusSchema = z
  .object({
    requestId: z.string(),
    session: z.string(),
    chatId: z.string(),
    workflowId: z.string(),
    status: z.enum(['pending', 'sent', 'delivered', 'read', 'failed']),
    reason: z.string().nullable(),
    messageId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'OutboundRequestStatus' });
