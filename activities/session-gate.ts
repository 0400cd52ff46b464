import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  FailureType,
  plainWorkflowIds,
  sessionStatusQuery,
  type KeeperSessionState,
  type SessionKeeperStatus,
  type WorkflowIds,
} from '../contracts';
import type { SessionGate } from './send-activities';

/**
 * The session gate: the send activities' circuit breaker. It asks the session keeper (status query) before
 * a send, so while the keeper knows the session is down sends back off instead of each hitting a dead
 * session.
 */

export interface SessionGateOptions {
  client: Pick<Client, 'workflow'>;
  ids?: WorkflowIds;
  /** How long one keeper answer is reused (default 2 s). */
  cacheMs?: number;
  /** A keeper that does not answer within this time is treated as absent (default 2 s). */
  queryTimeoutMs?: number;
  now?: () => number;
}

/** States in which the keeper has seen the session fail; UNKNOWN means it has not looked yet. */
const UNUSABLE_STATES = new Set<KeeperSessionState>([
  'CLOSED',
  'INITIALIZING',
  'QRCODE',
  'PHONECODE',
  'AUTH_FAILED',
  'UNREACHABLE',
]);

export function createSessionGate({
  client,
  ids = plainWorkflowIds,
  cacheMs = 2_000,
  queryTimeoutMs = 2_000,
  now = Date.now,
}: SessionGateOptions): SessionGate {
  const cache = new Map<string, { at: number; status: SessionKeeperStatus | null }>();

  const keeperStatus = async (session: string): Promise<SessionKeeperStatus | null> => {
    const cached = cache.get(session);
    if (cached && now() - cached.at < cacheMs) return cached.status;
    let status: SessionKeeperStatus | null;
    try {
      const handle = client.workflow.getHandle(ids.sessionKeeper(session));
      status = await client.workflow.withDeadline(now() + queryTimeoutMs, () => handle.query(sessionStatusQuery));
    } catch {
      // Not running, not queryable, or no worker: the gate must never be the thing that blocks sends.
      status = null;
    }
    cache.set(session, { at: now(), status });
    return status;
  };

  return {
    /**
     * Throws a retryable `WppSessionUnavailable` failure when the keeper knows the session is down, so the
     * send activity backs off instead of hitting a dead session; passes when the keeper is unknown.
     */
    async assertSessionUsable(session) {
      const status = await keeperStatus(session);
      if (status !== null && UNUSABLE_STATES.has(status.state)) {
        const stuck = status.stuck ? ', stuck: an operator must restart the WPPConnect Server' : '';
        throw ApplicationFailure.retryable(
          `WhatsApp session ${session} is ${status.state} (since ${status.since}${stuck})`,
          FailureType.SessionUnavailable,
        );
      }
    },
  };
}
