/**
 * Stand-ins for the console's API tests, without WPPConnect: sessionKeeperWorkflow answers the `status`
 * query (a QR waiting to be scanned) and answers restart requests as the real keeper does when the old
 * browser must close first; conversationWorkflow only keeps the signals
 * it is sent in its history, where the tests read them. The real workflows run in test/e2e.
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  restartSessionUpdate,
  sessionEventSignal,
  sessionStatusQuery,
  type RestartSessionResult,
  type SessionKeeperInput,
  type SessionKeeperStatus,
} from '../../../../contracts';

export async function sessionKeeperWorkflow(input: SessionKeeperInput): Promise<void> {
  // Not a literal typed as the status: the status type gains fields over time, the console reads these.
  const initial = {
    session: input.session,
    state: 'QRCODE' as const,
    since: '2026-01-01T00:00:00.000Z',
    restarts: 0,
    qrAvailable: true,
    catchUpStarted: 0,
    continuedAsNew: 0,
    stuck: false,
  };
  let status: SessionKeeperStatus = initial;
  setHandler(sessionStatusQuery, () => status);
  setHandler(sessionEventSignal, (event) => {
    if (event.type === 'restart-requested') status = { ...status, restarts: status.restarts + 1 };
  });
  // What the real keeper answers when the old browser must finish closing before the start.
  setHandler(restartSessionUpdate, (): RestartSessionResult => {
    status = { ...status, restarts: status.restarts + 1 };
    return {
      session: input.session,
      close: 'failed',
      closeAnswer: 'Error closing session',
      start: 'scheduled',
      startAfter: '2026-01-01T00:01:15.000Z',
      state: status.state,
    };
  });
  await condition(() => false);
}

export async function conversationWorkflow(): Promise<void> {
  await condition(() => false);
}
