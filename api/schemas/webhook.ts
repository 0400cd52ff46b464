import { z } from 'zod';
import { parseWebhookEvent, type WebhookEvent } from '../../wppconnect/schemas';
import { sessionName } from './common';

/**
 * WPPConnect's webhook body. Documented as an object with `event` (and usually `session`); validated by
 * parseWebhookEvent, whose issues become the zod issues of a 400.
 */
export const webhookBodySchema = z
  .looseObject({
    event: z.string().meta({ description: 'onmessage, onack, status-find, qrcode, ...' }),
    session: z.string().optional(),
  })
  .transform((body, ctx): WebhookEvent => {
    const parsed = parseWebhookEvent(body);
    if (!parsed.ok) {
      for (const issue of parsed.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path === '' ? [] : issue.path.split('.') });
      }
      return z.NEVER;
    }
    return parsed.event;
  })
  .meta({ id: 'WebhookEvent' });

export const webhookTokenParams = z.object({ token: z.string().max(200) });
export const webhookSessionParams = z.object({ session: sessionName, token: z.string().max(200) });
export const webhookTokenQuery = z.object({
  token: z.string().max(200).optional().meta({ description: 'Webhook token, when not in the path or a Bearer header' }),
});

export const webhookResponseSchema = z
  .object({
    workflowId: z.string().optional().meta({ description: "The chat's conversationWorkflow" }),
    messageWorkflowId: z
      .string()
      .optional()
      .meta({ description: 'The inboundMessageWorkflow that will name what was done for the message' }),
    duplicate: z.boolean().optional(),
    ignored: z.literal(true).optional(),
    recorded: z.literal(true).optional(),
    status: z.string().optional(),
    signalled: z.boolean().optional(),
  })
  .meta({ id: 'WebhookResult' });
