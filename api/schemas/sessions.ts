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
    lastDeliveryWatchAt: z.string().optional(),
    repliesFlagged: z.number().int().optional(),
    continuedAsNew: z.number().int(),
    stuck: z.boolean().meta({
      description:
        'The session stayed INITIALIZING/QRCODE/PHONECODE past SESSION_STUCK_SECONDS and a close + start did not help: restart the WPPConnect Server (lastError says so)',
    }),
  })
  .meta({ id: 'SessionKeeperStatus' });

export const restartResponseSchema = z
  .object({
    session: z.string(),
    workflowId: z.string(),
    requested: z.literal(true),
    outcome: z.enum(['restarted', 'start-scheduled', 'failed', 'pending', 'keeper-started']).meta({
      description:
        'restarted: closed and started; start-scheduled: the close failed while the session was starting, so start-session waits for the server to close the old browser (startAfter); failed: WPPConnect refused or could not be reached (error); pending: the keeper took the request and is still at it; keeper-started: no keeper ran, one was started with the request',
    }),
    close: z.enum(['closed', 'failed', 'error']).optional(),
    closeAnswer: z.string().optional().meta({ description: "The server's answer to a failed close-session" }),
    start: z.enum(['requested', 'scheduled', 'failed', 'not-attempted']).optional(),
    startAfter: z.string().optional(),
    error: z.string().optional(),
    state: z.string().optional().meta({ description: "The keeper's state when it answered" }),
  })
  .meta({ id: 'SessionRestart' });
