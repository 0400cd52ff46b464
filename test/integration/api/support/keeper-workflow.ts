/**
 * Stand-in for sessionKeeperWorkflow in the API's integration tests: it answers the `status` query and
 * reacts to `sessionEvent` the way the API relies on, without WPPConnect. (The real keeper is tested in
 * test/workflows/.)
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  restartSessionUpdate,
  sessionEventSignal,
  type RestartSessionResult,
  type SessionKeeperInput,
  type SessionKeeperStatus,
  sessionStatusQuery,
} from '../../../../contracts';

export async function sessionKeeperWorkflow(input: SessionKeeperInput): Promise<void> {
  let status: SessionKeeperStatus = {
    session: input.session,
    state: 'QRCODE',
    since: '2026-01-01T00:00:00.000Z',
    restarts: 0,
    qrAvailable: true,
    stuck: false,
    catchUpStarted: 0,
    continuedAsNew: 0,
  };
  setHandler(sessionStatusQuery, () => status);
  // What the real keeper answers for a session whose close-session succeeded.
  setHandler(restartSessionUpdate, (): RestartSessionResult => {
    status = { ...status, restarts: status.restarts + 1 };
    return { session: input.session, close: 'closed', start: 'requested', state: status.state };
  });
  setHandler(sessionEventSignal, (event) => {
    if (event.type === 'restart-requested') status = { ...status, restarts: status.restarts + 1 };
    if (event.type === 'status-find' && event.status === 'inChat') {
      status = { ...status, state: 'CONNECTED', qrAvailable: false };
    }
  });
  await condition(() => false);
}
