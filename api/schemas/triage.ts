import { z } from 'zod';
import { TRIAGE_LEVELS } from '../../triage/types';
import { isoDateTime, multiLine } from './common';

export const triageBody = z
  .strictObject({
    text: multiLine(z.string().trim().min(1).max(4000)),
    history: z
      .array(
        z.strictObject({
          role: z.enum(['patient', 'assistant']),
          text: multiLine(z.string().min(1).max(4000)),
          at: isoDateTime.optional(),
        }),
      )
      .max(50)
      .optional()
      .meta({ description: 'Earlier turns, oldest first' }),
  })
  .meta({ id: 'TriageRequest' });

export const assessmentSchema = z
  .object({
    triageLevel: z.enum(TRIAGE_LEVELS),
    reply: z.string(),
    redFlags: z.array(z.string()),
    followUpQuestions: z.array(z.string()),
    provider: z.enum(['rules', 'openai']),
    model: z.string(),
    language: z.string(),
  })
  .meta({ id: 'Assessment' });
