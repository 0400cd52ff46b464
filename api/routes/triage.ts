import { defineRoute, type RouteDef } from '../route';
import { errorBodySchema } from '../schemas/common';
import { assessmentSchema, triageBody } from '../schemas/triage';
import type { RouteContext } from './context';

export function triageRoutes({ deps }: RouteContext): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/triage',
      tag: 'triage',
      auth: 'api-key',
      scope: 'read',
      summary: "The assistant's assessment of a text (nothing is sent or stored), for clinicians to try the engine",
      request: { body: triageBody },
      responses: {
        200: { description: 'Assessment', schema: assessmentSchema },
        400: { description: 'Invalid body', schema: errorBodySchema },
        401: { description: 'Missing or invalid API key', schema: errorBodySchema },
      },
      async handler(ctx, { body }) {
        const history = (body.history ?? []).map((turn) => ({
          role: turn.role,
          text: turn.text,
          ...(turn.at ? { at: turn.at.toISOString() } : {}),
        }));
        ctx.body = await deps.medicalCore.assess({ messages: [...history, { role: 'patient', text: body.text }] });
      },
    }),
  ] as RouteDef[];
}
