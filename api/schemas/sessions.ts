import { z } from 'zod';
import { sessionName } from './common';

export const sessionParams = z.object({ session: sessionName });

export const keeperStatusSchema = z
  .object({
    session: z.string(),
    state: z.enum([
      'CLOSED',
      'INITIALIZING',
      'QRCODE',
      'PHONECODE',
      'CONNECTED',
      'UNKNOWN',
      'AUTH_FAILED',
      'UNREACHABLE',
    ]),
    since: z.string(),
    lastCheckAt: z.string().optional(),
    restarts: z.number().int(),
    qrAvailable: z.boolean(),
    lastError: z.string().optional(),
    lastCatchUpAt: z.string().optional(),
    catchUpStarted: z.number().int(),
    continuedAsNew: z.number().int(),
  })
  .meta({ id: 'SessionKeeperStatus' });

export const restartResponseSchema = z.object({
  session: z.string(),
  workflowId: z.string(),
  requested: z.literal(true),
});
