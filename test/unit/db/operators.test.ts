import { QueryTypes } from 'sequelize';
import { hashPassword, lockDurationMs, MAX_FAILED_SIGN_INS, verifyPassword } from '../../../db/operators';
import { openTestDatabase, targetRows, type TestDatabase } from './targets';

const T0 = new Date(Date.UTC(2026, 0, 15, 12, 0, 0));
const later = (ms: number): Date => new Date(T0.getTime() + ms);

describe('operator passwords', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    expect(second).not.toBe(first);
    expect(await verifyPassword('correct horse', first)).toBe(true);
    expect(await verifyPassword('correct horsf', first)).toBe(false);
    expect(await verifyPassword('correct horse', 'bcrypt$whatever')).toBe(false);
  });

  it('locks for one minute at the fifth failure in a row, doubling up to fifteen minutes', () => {
    expect([1, 4, 5, 6, 7, 9, 20].map(lockDurationMs)).toEqual([0, 0, 60_000, 120_000, 240_000, 900_000, 900_000]);
    expect(MAX_FAILED_SIGN_INS).toBe(5);
  });
});

describe.each(targetRows())('operators on %s', (_name, target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(async () => {
    await db.dispose();
  });

  const storedHash = async (username: string): Promise<string> => {
    const [row] = await db.sequelize.query<{ PasswordHash: string }>(
      'SELECT "PasswordHash" FROM "Operators" WHERE "Username" = :username',
      { replacements: { username }, type: QueryTypes.SELECT },
    );
    return row?.PasswordHash ?? '';
  };

  it('creates an operator with a lower-cased username and never stores the password itself', async () => {
    const { operator, created } = await db.operators.save({
      username: 'Ana.Souza',
      password: 'a long enough secret',
      displayName: 'Dr. Ana Souza',
    });
    expect(created).toBe(true);
    expect(operator).toEqual({
      id: expect.any(Number),
      username: 'ana.souza',
      displayName: 'Dr. Ana Souza',
      lastSignInAt: null,
      createdAt: expect.any(Date),
    });
    const hash = await storedHash('ana.souza');
    expect(hash.startsWith('scrypt$')).toBe(true);
    expect(hash).not.toContain('a long enough secret');
    expect(await db.operators.count()).toBe(1);
  });

  it('refuses short passwords and malformed usernames, creating nothing', async () => {
    const before = await db.operators.count();
    await expect(db.operators.save({ username: 'bob', password: 'short' })).rejects.toThrow(
      'password must be at least 10 characters',
    );
    await expect(db.operators.save({ username: 'bad name!', password: 'long enough password' })).rejects.toThrow(
      /^username must be/,
    );
    expect(await db.operators.count()).toBe(before);
  });

  it('signs in with the right password only, and records when', async () => {
    await db.operators.save({ username: 'carla', password: 'carla password 1' });
    expect(await db.operators.verifySignIn('carla', 'wrong password', T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(await db.operators.verifySignIn('nobody', 'carla password 1', T0)).toEqual({ ok: false, reason: 'invalid' });
    const ok = await db.operators.verifySignIn('CARLA', 'carla password 1', T0);
    expect(ok).toEqual({ ok: true, operator: expect.objectContaining({ username: 'carla', lastSignInAt: T0 }) });
  });

  it('locks the account after five failures in a row, even for the right password, until the lock ends', async () => {
    await db.operators.save({ username: 'dario', password: 'dario password 1' });
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      expect(await db.operators.verifySignIn('dario', `guess ${i}`, T0)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await db.operators.verifySignIn('dario', 'dario password 1', later(1000))).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterSeconds: 59,
    });
    expect(await db.operators.verifySignIn('dario', 'dario password 1', later(60_000))).toMatchObject({ ok: true });
    // The success reset the count: one more failure does not lock again.
    expect(await db.operators.verifySignIn('dario', 'nope', later(61_000))).toEqual({ ok: false, reason: 'invalid' });
    expect(await db.operators.verifySignIn('dario', 'dario password 1', later(62_000))).toMatchObject({ ok: true });
  });

  it('keeps a session by the digest of its token until it expires, and signs it out', async () => {
    const { operator } = await db.operators.save({ username: 'eva', password: 'eva password 12', displayName: 'Eva' });
    const session = await db.operators.createSession(operator.id, { ttlMs: 3_600_000, now: T0 });
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt).toEqual(later(3_600_000));

    const ids = await db.sequelize.query<{ Id: string }>('SELECT "Id" FROM "OperatorSessions"', {
      type: QueryTypes.SELECT,
    });
    expect(ids.map((r) => r.Id)).not.toContain(session.token);

    expect(await db.operators.findSession(session.token, later(1000))).toEqual({
      operator: expect.objectContaining({ username: 'eva', displayName: 'Eva' }),
      csrfToken: session.csrfToken,
      expiresAt: later(3_600_000),
    });
    expect(await db.operators.findSession(session.token, later(3_600_000))).toBeNull();
    expect(await db.operators.findSession('not-a-token', later(1000))).toBeNull();

    expect(await db.operators.deleteExpiredSessions(later(3_600_000))).toBeGreaterThanOrEqual(1);
    const again = await db.operators.createSession(operator.id, { ttlMs: 3_600_000, now: T0 });
    await db.operators.deleteSession(again.token);
    expect(await db.operators.findSession(again.token, later(1000))).toBeNull();
  });

  it('a new password signs out every session of the operator and lifts a lock', async () => {
    const { operator } = await db.operators.save({ username: 'fabio', password: 'fabio password 1' });
    const session = await db.operators.createSession(operator.id, { ttlMs: 3_600_000, now: T0 });
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await db.operators.verifySignIn('fabio', 'wrong', T0);
    const saved = await db.operators.save({ username: 'fabio', password: 'fabio password 2' });
    expect(saved).toEqual({ created: false, operator: expect.objectContaining({ id: operator.id }) });
    expect(await db.operators.findSession(session.token, later(1000))).toBeNull();
    expect(await db.operators.verifySignIn('fabio', 'fabio password 1', later(1000))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await db.operators.verifySignIn('fabio', 'fabio password 2', later(2000))).toMatchObject({ ok: true });
  });

  it('createIfMissing leaves an existing operator and its password alone', async () => {
    const first = await db.operators.createIfMissing({ username: 'operator', password: 'dev-operator-password' });
    const second = await db.operators.createIfMissing({ username: 'operator', password: 'another password' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ created: false, operator: first.operator });
    expect(await db.operators.verifySignIn('operator', 'dev-operator-password', T0)).toMatchObject({ ok: true });
  });
});
