import { z } from 'zod';

/** Why a check is down. A code, never an error's text (that is logged, not answered). */
export const CHECK_REASONS = ['timeout', 'error', 'not-running', 'state', 'stuck', 'session'] as const;
export type CheckReason = (typeof CHECK_REASONS)[number];

const check = z.object({
  status: z.enum(['up', 'down']),
  reason: z
    .enum(CHECK_REASONS)
    .optional()
    .meta({
      description:
        'timeout: no answer in 3 s; error: the call failed; not-running: no session keeper; state: the session ' +
        'is not CONNECTED; stuck: the keeper gave up restarting it; session: a session is down',
    }),
});

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z
      .object({
        database: check,
        temporal: check,
        wppconnect: check.extend({
          sessions: z.record(z.string(), check.extend({ state: z.string() })),
        }),
      })
      .optional()
      .meta({ description: 'Only for an API key with the admin scope' }),
  })
  .meta({ id: 'Readiness' });

export const livenessSchema = z.object({ status: z.literal('ok') });
