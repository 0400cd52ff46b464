import { AppError, notFound } from '../errors';
import { defineRoute, type RouteDef, stateOf } from '../route';
import { errorBodySchema } from '../schemas/common';
import { keeperStatusSchema, restartResponseSchema, sessionParams } from '../schemas/sessions';
import type { RouteContext } from './context';

/** How long the restart route waits for the keeper's answer (it may be busy with a check or a catch-up pass). */
const RESTART_WAIT_MS = 20_000;

export function sessionRoutes({ deps, gateway }: RouteContext): RouteDef[] {
  const { config, mediaStore } = deps;
  const configured = (session: string): void => {
    if (!config.wppconnect.sessions.includes(session)) throw notFound('session is not configured');
  };
  const errors = {
    401: { description: 'Missing or invalid API key', schema: errorBodySchema },
    404: { description: 'Session not configured', schema: errorBodySchema },
    503: { description: 'Temporal unreachable, or the session keeper is not running', schema: errorBodySchema },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/sessions/:session',
      tag: 'sessions',
      auth: 'api-key',
      scope: 'admin',
      summary: 'Session keeper status: state, since, last check, restarts, QR available',
      request: { params: sessionParams },
      responses: { 200: { description: 'Status', schema: keeperStatusSchema }, ...errors },
      async handler(ctx, { params }) {
        configured(params.session);
        const status = await gateway.sessionStatus(params.session);
        if (status === null)
          throw new AppError(503, 'KEEPER_NOT_RUNNING', 'the session keeper workflow is not running');
        ctx.body = status;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/sessions/:session/qr',
      tag: 'sessions',
      auth: 'api-key',
      scope: 'admin',
      summary: 'The current QR code to link the WhatsApp number (404 when none)',
      request: { params: sessionParams },
      responses: {
        200: { description: 'QR code', contentType: 'image/png' },
        ...errors,
        404: { description: 'Session not configured, or no QR code to scan now', schema: errorBodySchema },
      },
      async handler(ctx, { params }) {
        configured(params.session);
        const status = await gateway.sessionStatus(params.session);
        // A stale QR stays on disk after login: only the keeper knows whether it is scannable now.
        const png = status?.qrAvailable ? await mediaStore.readQr(params.session) : null;
        if (png === null) throw new AppError(404, 'NO_QR_CODE', 'no QR code is available for this session now');
        ctx.set('Cache-Control', 'no-store');
        ctx.type = 'image/png';
        ctx.body = png;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/sessions/:session/restart',
      tag: 'sessions',
      auth: 'api-key',
      scope: 'admin',
      summary: 'Ask the session keeper to close and start the WhatsApp session, and say what it did',
      request: { params: sessionParams },
      responses: {
        200: { description: 'Closed (or nothing ran) and started', schema: restartResponseSchema },
        202: {
          description:
            'Start scheduled after the server closes the old browser, the keeper still at it, or a keeper started for it',
          schema: restartResponseSchema,
        },
        502: {
          description: 'WPPConnect refused or could not be reached: see close, start and error',
          schema: restartResponseSchema,
        },
        ...errors,
      },
      async handler(ctx, { params }) {
        configured(params.session);
        const by = `api:${stateOf(ctx).apiKeyId ?? 'anonymous'}`;
        const base = {
          session: params.session,
          workflowId: gateway.ids.sessionKeeper(params.session),
          requested: true,
        };
        const result = await gateway.restartSession(params.session, by, RESTART_WAIT_MS);
        if (result === null) {
          // No keeper runs (the worker has not started it yet): start one with the request.
          await gateway.signalSessionEvent(params.session, { type: 'restart-requested', by });
          ctx.status = 202;
          ctx.body = { ...base, outcome: 'keeper-started' };
          return;
        }
        if ('pending' in result) {
          ctx.status = 202;
          ctx.body = { ...base, outcome: 'pending' };
          return;
        }
        const { session: _answered, ...done } = result;
        const outcome =
          result.start === 'requested' ? 'restarted' : result.start === 'scheduled' ? 'start-scheduled' : 'failed';
        ctx.status = outcome === 'restarted' ? 200 : outcome === 'start-scheduled' ? 202 : 502;
        ctx.body = { ...base, outcome, ...done };
      },
    }),
  ] as RouteDef[];
}
