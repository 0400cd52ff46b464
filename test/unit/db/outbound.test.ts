import { createPatientRecordProvider } from '../../../db';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

describe.each(targetRows())('outbound requests and patient records on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const request = (requestId: string) => ({
    requestId,
    session: 'clinic',
    chatId: 'out@c.us',
    workflowId: `send-${requestId}`,
    payloadHash: 'a'.repeat(64),
  });

  it('creates a request once and returns the stored one for a repeated id', async () => {
    const first = await db.repo.createOutboundRequest(request('req-1'));
    const again = await db.repo.createOutboundRequest({
      ...request('req-1'),
      workflowId: 'other',
      payloadHash: 'b'.repeat(64),
    });
    expect(first).toEqual({
      created: true,
      record: {
        requestId: 'req-1',
        session: 'clinic',
        chatId: 'out@c.us',
        workflowId: 'send-req-1',
        payloadHash: 'a'.repeat(64),
        status: 'pending',
        reason: null,
        messageId: null,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      },
    });
    expect(again).toEqual({ created: false, record: first.record });
  });

  it('creates exactly one request when the same id arrives concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => db.repo.createOutboundRequest(request('req-race'))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.workflowId))).toEqual(new Set(['send-req-race']));
  });

  it('moves status forward only and records the message id even when the status cannot move', async () => {
    await db.repo.createOutboundRequest(request('req-2'));
    expect(await db.repo.updateOutboundRequest('req-2', { status: 'delivered' })).toMatchObject({
      status: 'delivered',
      messageId: null,
    });
    expect(await db.repo.updateOutboundRequest('req-2', { status: 'sent', messageId: 'wa-1' })).toMatchObject({
      status: 'delivered',
      messageId: 'wa-1',
    });
    expect(await db.repo.updateOutboundRequest('req-2', { status: 'read' })).toMatchObject({ status: 'read' });
    expect(await db.repo.updateOutboundRequest('req-2', { status: 'failed', reason: 'late timeout' })).toMatchObject({
      status: 'read',
      reason: null,
    });
    expect(await db.repo.getOutboundRequest('req-2')).toMatchObject({
      status: 'read',
      messageId: 'wa-1',
      reason: null,
    });
  });

  it('stores the reason of a failure and refuses to leave failed', async () => {
    await db.repo.createOutboundRequest(request('req-3'));
    expect(
      await db.repo.updateOutboundRequest('req-3', { status: 'failed', reason: 'recipient does not exist' }),
    ).toMatchObject({
      status: 'failed',
      reason: 'recipient does not exist',
    });
    expect(await db.repo.updateOutboundRequest('req-3', { status: 'sent' })).toMatchObject({ status: 'failed' });
  });

  it('answers null for an unknown request', async () => {
    expect(await db.repo.updateOutboundRequest('nope', { status: 'sent' })).toBeNull();
    expect(await db.repo.getOutboundRequest('nope')).toBeNull();
  });

  it('gives the triage core a patient context with an age from the birth year, and replaces records on upsert', async () => {
    const patients = createPatientRecordProvider(db.sequelize, { now: () => new Date(Date.UTC(2026, 5, 1)) });
    await patients.upsertPatient({
      patientId: 'p-1',
      displayName: 'Maria',
      birthYear: 1990,
      sex: 'female',
      pregnant: true,
      conditions: ['asthma'],
      allergies: ['penicillin'],
      medications: ['salbutamol'],
    });
    expect(await patients.getPatientContext('p-1')).toEqual({
      patientId: 'p-1',
      ageYears: 36,
      sex: 'female',
      pregnant: true,
      conditions: ['asthma'],
      allergies: ['penicillin'],
      medications: ['salbutamol'],
    });
    await patients.upsertPatient({ patientId: 'p-1', sex: 'female', pregnant: false });
    expect(await patients.getPatientContext('p-1')).toEqual({ patientId: 'p-1', sex: 'female', pregnant: false });
    expect(await patients.getPatientContext('p-unknown')).toBeUndefined();
  });
});
