import type { Context } from 'koa';
import { z } from 'zod';
import { defineRoute, type RouteDef, stateOf } from '../route';
import { errorBodySchema } from '../schemas/common';
import { livenessSchema, readinessSchema, type CheckReason } from '../schemas/operations';
import type { RouteContext } from './context';

const READY_CHECK_TIMEOUT_MS = 3000;
/** Orchestrators, load balancers and anyone on the network may poll: the checks run at most this often. */
export const READY_CACHE_MS = 5000;

interface Check {
  status: 'up' | 'down';
  reason?: CheckReason;
}
interface SessionCheck extends Check {
  state: string;
}
interface Readiness {
  ready: boolean;
  checks: {
    database: Check;
    temporal: Check;
    wppconnect: Check & { sessions: Record<string, SessionCheck> };
  };
}

class NotReady extends Error {
  constructor(
    readonly reason: CheckReason,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one check under a deadline; the error text goes to the log, never into the answer. */
async function probe(fn: () => Promise<unknown>, onDown: (error: string) => void): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NotReady('timeout', `no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
      READY_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([fn(), timeout]);
    return { status: 'up' };
  } catch (err) {
    onDown((err as Error)?.message ?? String(err));
    return { status: 'down', reason: err instanceof NotReady ? err.reason : 'error' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /health/live, /health/ready and /metrics: no API key needed (scraped by orchestrators). Without a key
 * /health/ready answers only ready or not; a key with the admin scope also sees each check (up/down, a
 * reason code and each session's state), never an error's text: that goes to the log.
 */
export function operationsRoutes({ deps, gateway, metrics }: RouteContext): RouteDef[] {
  const { repo, config, logger } = deps;
  const now = deps.now ?? Date.now;
  const lastDown = new Map<string, string>();
  const report = (component: string) => (error: string) => {
    // One warning per component and distinct error, not one per poll.
    if (lastDown.get(component) === error) return;
    lastDown.set(component, error);
    logger.warn({ component, errMessage: error.slice(0, 300) }, 'readiness check down');
  };
  const recovered = (component: string, check: Check) => {
    if (check.status === 'up') lastDown.delete(component);
    return check;
  };

  const sessionCheck = async (session: string): Promise<SessionCheck> => {
    let state = 'UNKNOWN';
    const check = await probe(
      async () => {
        const status = await gateway.sessionStatus(session);
        if (status === null) throw new NotReady('not-running', 'session keeper not running');
        state = status.state;
        // The keeper may flag a session stuck in a non-final state past its deadline (issue 12).
        if ((status as { stuck?: boolean }).stuck === true) {
          throw new NotReady('stuck', `session stuck in ${status.state}: ${status.lastError ?? ''}`);
        }
        if (status.state !== 'CONNECTED') throw new NotReady('state', `session is ${status.state}`);
      },
      report(`wppconnect:${session}`),
    );
    return { ...recovered(`wppconnect:${session}`, check), state };
  };

  const compute = async (): Promise<Readiness> => {
    const [database, temporal, sessionList] = await Promise.all([
      probe(() => repo.ping(), report('database')),
      probe(() => gateway.ping(), report('temporal')),
      Promise.all(config.wppconnect.sessions.map(async (s) => [s, await sessionCheck(s)] as const)),
    ]);
    const sessions = Object.fromEntries(sessionList);
    const sessionsUp = sessionList.every(([, s]) => s.status === 'up');
    const wppconnect = {
      ...(sessionsUp ? { status: 'up' as const } : { status: 'down' as const, reason: 'session' as const }),
      sessions,
    };
    return {
      ready: database.status === 'up' && temporal.status === 'up' && sessionsUp,
      checks: {
        database: recovered('database', database),
        temporal: recovered('temporal', temporal),
        wppconnect,
      },
    };
  };

  // Concurrent polls share one computation; a result serves everyone for READY_CACHE_MS.
  let cached: { at: number; result: Promise<Readiness> } | undefined;
  const readiness = (): Promise<Readiness> => {
    const at = now();
    if (cached === undefined || at - cached.at >= READY_CACHE_MS) cached = { at, result: compute() };
    return cached.result;
  };

  const answerReady = async (ctx: Context): Promise<void> => {
    const { ready, checks } = await readiness();
    const detailed = (stateOf(ctx).apiKeyScopes ?? []).includes('admin');
    ctx.status = ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: ready ? 'ready' : 'not-ready', ...(detailed ? { checks } : {}) };
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
      auth: 'optional-api-key',
      rateLimited: false,
      summary: 'Ready or not (503): the database, Temporal and every WhatsApp session are up',
      description:
        `Checked at most every ${READY_CACHE_MS / 1000} s. Without an API key the answer is only the status; ` +
        'a key with the admin scope also gets each check (up/down, a reason code, the session states).',
      request: {},
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        401: { description: 'An API key was presented and is wrong', schema: errorBodySchema },
        503: { description: 'Something is down', schema: readinessSchema },
      },
      handler: answerReady,
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
