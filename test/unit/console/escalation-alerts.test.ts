import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAlertActivities, type AlertClient, type ClinicianAlert } from '../../../activities/alerts';
import { FailureType } from '../../../contracts';
import { openTestDatabase, targetRows, type TestDatabase } from '../db/targets';

/** What the console inbox shows about an escalation's alert: the activity records it on the escalation. */
describe.each(targetRows())('clinician alert outcome on %s', (_name, target) => {
  let db: TestDatabase;
  const activity = new MockActivityEnvironment();

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const alertFor = (chatId: string, kind: ClinicianAlert['kind'] = 'escalation'): ClinicianAlert => ({
    kind,
    session: 'clinic',
    chatId,
    conversationWorkflowId: `conversation:clinic:${chatId}`,
    triageLevel: 'emergency',
    redFlags: ['stroke-signs'],
  });

  const client = (configured: boolean, post: AlertClient['post'] = () => Promise.resolve()): AlertClient => ({
    configured,
    post,
  });

  async function escalated(chatId: string) {
    await db.repo.recordEscalation({
      session: 'clinic',
      chatId,
      triageLevel: 'emergency',
      redFlags: [],
      at: new Date(),
    });
  }
  const current = async (chatId: string) => (await db.repo.getEscalations('clinic', chatId, 1))[0];

  it('without CLINICIAN_ALERT_URL records that the console inbox is the channel', async () => {
    await escalated('a@c.us');
    const { alertClinician } = createAlertActivities({ alerts: client(false), escalations: db.repo });
    expect(await activity.run(alertClinician, alertFor('a@c.us'))).toEqual({ delivered: false });
    expect(await current('a@c.us')).toMatchObject({ alertStatus: 'not-configured', alertChannel: 'console' });
  });

  it('records a delivered alert once the endpoint accepted it', async () => {
    await escalated('b@c.us');
    const posted: object[] = [];
    const { alertClinician } = createAlertActivities({
      alerts: client(true, (alert) => {
        posted.push(alert);
        return Promise.resolve();
      }),
      escalations: db.repo,
    });
    expect(await activity.run(alertClinician, alertFor('b@c.us'))).toEqual({ delivered: true });
    expect(posted).toEqual([alertFor('b@c.us')]);
    expect(await current('b@c.us')).toMatchObject({
      alertStatus: 'delivered',
      alertChannel: 'webhook',
      alertDetail: null,
    });
  });

  it('records "retrying" with the reason when the endpoint fails, and still throws for Temporal to retry', async () => {
    await escalated('c@c.us');
    const { alertClinician } = createAlertActivities({
      alerts: client(true, () => Promise.reject(new Error('alert endpoint answered 503'))),
      escalations: db.repo,
    });
    await expect(activity.run(alertClinician, alertFor('c@c.us'))).rejects.toThrow('alert endpoint answered 503');
    expect(await current('c@c.us')).toMatchObject({
      alertStatus: 'retrying',
      alertChannel: 'webhook',
      alertDetail: 'alert endpoint answered 503',
    });
  });

  it('records "rejected" when the endpoint refuses the alert for good', async () => {
    await escalated('d@c.us');
    const refusal = ApplicationFailure.nonRetryable(
      'alert endpoint refused the alert with 400',
      FailureType.AlertRejected,
    );
    const { alertClinician } = createAlertActivities({
      alerts: client(true, () => Promise.reject(refusal)),
      escalations: db.repo,
    });
    await expect(activity.run(alertClinician, alertFor('d@c.us'))).rejects.toBe(refusal);
    expect(await current('d@c.us')).toMatchObject({ alertStatus: 'rejected', alertChannel: 'webhook' });
  });

  it('leaves the escalation alone for follow-up alerts (a message while escalated)', async () => {
    await escalated('e@c.us');
    const { alertClinician } = createAlertActivities({ alerts: client(true), escalations: db.repo });
    await activity.run(alertClinician, alertFor('e@c.us', 'message-while-escalated'));
    expect(await current('e@c.us')).toMatchObject({ alertStatus: 'pending', alertChannel: null });
  });
});
