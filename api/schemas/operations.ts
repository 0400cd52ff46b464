import { z } from 'zod';

const check = z.object({ status: z.enum(['up', 'down']), error: z.string().optional() });

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.object({
      database: check,
      temporal: check,
      wppconnect: check.extend({
        sessions: z.record(z.string(), z.object({ status: z.enum(['up', 'down']), state: z.string() })),
      }),
    }),
  })
  .meta({ id: 'Readiness' });

export const livenessSchema = z.object({ status: z.literal('ok') });
