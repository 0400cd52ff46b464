import { z } from 'zod';
import { defineRoute, type RouteDef } from '../route';
import { livenessSchema, readinessSchema } from '../schemas/operations';
import type { RouteContext } from './context';

const READY_CHECK_TIMEOUT_MS = 3000;

type Check = { status: 'up' | 'down'; error?: string };

async function probe(fn: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
      READY_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([fn(), timeout]);
    return { status: 'up' };
  } catch (err) {
    return { status: 'down', error: (err as Error).message?.slice(0, 200) ?? 'failed' };
  } finally {
    clearTimeout(timer);
  }
}

/** /health/live, /health/ready and /metrics: no API key (scraped by orchestrators). */
export function operationsRoutes({ deps, gateway, metrics }: RouteContext): RouteDef[] {
  const { repo, config } = deps;

  const wppconnect = async () => {
    const sessions: Record<string, { status: 'up' | 'down'; state: string }> = {};
    const errors: string[] = [];
    await Promise.all(
      config.wppconnect.sessions.map(async (session) => {
        let state = 'UNKNOWN';
        const check = await probe(async () => {
          const status = await gateway.sessionStatus(session);
          if (status === null) throw new Error('session keeper not running');
          state = status.state;
          if (status.state !== 'CONNECTED') throw new Error(`session is ${status.state}`);
        });
        sessions[session] = { status: check.status, state };
        if (check.error) errors.push(`${session}: ${check.error}`);
      }),
    );
    const down = Object.values(sessions).some((s) => s.status === 'down');
    return {
      status: down ? ('down' as const) : ('up' as const),
      ...(down ? { error: errors.join('; ') } : {}),
      sessions,
    };
  };

  return [
    defineRoute({
      method: 'get',
      path: '/health/live',
      tag: 'operations',
      auth: 'none',
      rateLimited: false,
      summary: 'The process is up',
      request: {},
      responses: { 200: { description: 'Alive', schema: livenessSchema } },
      handler(ctx) {
        ctx.body = { status: 'ok' };
        return Promise.resolve();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/health/ready',
      tag: 'operations',
      auth: 'none',
      rateLimited: false,
      summary: 'Database, Temporal and each WhatsApp session, each reported; 503 when one is down',
      request: {},
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: { description: 'Something is down', schema: readinessSchema },
      },
      async handler(ctx) {
        const [database, temporal, sessions] = await Promise.all([
          probe(() => repo.ping()),
          probe(() => gateway.ping()),
          wppconnect(),
        ]);
        const ready = database.status === 'up' && temporal.status === 'up' && sessions.status === 'up';
        ctx.status = ready ? 200 : 503;
        ctx.body = { status: ready ? 'ready' : 'not-ready', checks: { database, temporal, wppconnect: sessions } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      auth: 'none',
      rateLimited: false,
      summary: 'Prometheus metrics',
      request: {},
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() } },
      async handler(ctx) {
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    }),
  ] as RouteDef[];
}
