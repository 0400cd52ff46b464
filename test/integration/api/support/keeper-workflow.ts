/**
 * Stand-in for sessionKeeperWorkflow in the API's integration tests: it answers the `status` query and
 * reacts to `sessionEvent` the way the API relies on, without WPPConnect. (The real keeper is tested in
 * test/workflows/.)
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  sessionEventSignal,
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
    catchUpStarted: 0,
    continuedAsNew: 0,
  };
  setHandler(sessionStatusQuery, () => status);
  setHandler(sessionEventSignal, (event) => {
    if (event.type === 'restart-requested') status = { ...status, restarts: status.restarts + 1 };
    if (event.type === 'status-find' && event.status === 'inChat') {
      status = { ...status, state: 'CONNECTED', qrAvailable: false };
    }
  });
  await condition(() => false);
}
