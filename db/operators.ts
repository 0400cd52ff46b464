import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Op, UniqueConstraintError, type Sequelize } from 'sequelize';
import { defineModels, type Operator } from './models';

/**
 * Operator accounts and their console sessions. Passwords are scrypt hashes (node:crypto); a session is a
 * random token in an HttpOnly cookie, stored here only as its sha256, with the CSRF token of its forms.
 * Failed sign-ins lock the account for a while after MAX_FAILED_SIGN_INS in a row (the console also
 * limits attempts per client address).
 */

export interface OperatorRecord {
  id: number;
  username: string;
  displayName: string;
  lastSignInAt: Date | null;
  createdAt: Date;
}

export interface ConsoleSession {
  operator: OperatorRecord;
  csrfToken: string;
  expiresAt: Date;
}

export type SignInResult =
  | { ok: true; operator: OperatorRecord }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export interface OperatorRepository {
  count(): Promise<number>;
  find(username: string): Promise<OperatorRecord | null>;
  /** Creates the operator, or sets a new password (and display name, when given) on an existing one. */
  save(input: { username: string; password: string; displayName?: string }): Promise<{
    operator: OperatorRecord;
    created: boolean;
  }>;
  /** Creates the operator only when the username is free (the development operator of `npm start`). */
  createIfMissing(input: { username: string; password: string; displayName?: string }): Promise<{
    operator: OperatorRecord;
    created: boolean;
  }>;
  verifySignIn(username: string, password: string, now: Date): Promise<SignInResult>;
  createSession(
    operatorId: number,
    opts: { ttlMs: number; now: Date },
  ): Promise<{ token: string; csrfToken: string; expiresAt: Date }>;
  /** The live session of a cookie token; null when unknown or expired. */
  findSession(token: string, now: Date): Promise<ConsoleSession | null>;
  deleteSession(token: string): Promise<void>;
  /** Removes expired sessions; returns how many. */
  deleteExpiredSessions(now: Date): Promise<number>;
}

export const MAX_FAILED_SIGN_INS = 5;
const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 15 * 60_000;
export const MIN_PASSWORD_LENGTH = 10;
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

// scrypt cost (N=2^15, r=8, p=1): ~50 ms and 32 MiB per hash, OWASP's recommended minimum or better.
const SCRYPT: ScryptOptions & { N: number; r: number; p: number } = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 64;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`: the parameters travel with the hash, so they can grow. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash no password matches: unknown usernames cost the same scrypt work as known ones. */
let decoyHash: Promise<string> | undefined;

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 256) return 'must be at most 256 characters';
  return undefined;
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const toRecord = (row: Operator): OperatorRecord => ({
  id: Number(row.id),
  username: row.username,
  displayName: row.displayName,
  lastSignInAt: row.lastSignInAt ? new Date(row.lastSignInAt) : null,
  createdAt: new Date(row.createdAt),
});

/** Lock length after `failures` consecutive failures: 1 min at the fifth, doubling, at most 15 min. */
export function lockDurationMs(failures: number): number {
  if (failures < MAX_FAILED_SIGN_INS) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** (failures - MAX_FAILED_SIGN_INS), MAX_LOCK_MS);
}

export function createOperatorRepository(sequelize: Sequelize): OperatorRepository {
  const { Operator, OperatorSession } = defineModels(sequelize);

  const check = (username: string, password: string): string => {
    const name = normaliseUsername(username);
    if (!USERNAME_PATTERN.test(name)) {
      throw new Error(
        'username must be 2-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
      );
    }
    const problem = passwordProblem(password);
    if (problem !== undefined) throw new Error(`password ${problem}`);
    return name;
  };

  const create = async (username: string, password: string, displayName?: string) => {
    try {
      const row = await Operator.create({
        username,
        displayName: (displayName?.trim() || username).slice(0, 128),
        passwordHash: await hashPassword(password),
      });
      return { operator: toRecord(row), created: true };
    } catch (err) {
      if (err instanceof UniqueConstraintError) return null;
      throw err;
    }
  };

  return {
    async count() {
      return Operator.count();
    },

    async find(username) {
      const row = await Operator.findOne({ where: { username: normaliseUsername(username) } });
      return row ? toRecord(row) : null;
    },

    async save({ username, password, displayName }) {
      const name = check(username, password);
      const existing = await Operator.findOne({ where: { username: name } });
      if (!existing) {
        const made = await create(name, password, displayName);
        if (made) return made;
      }
      const row = existing ?? (await Operator.findOne({ where: { username: name } }));
      if (!row) throw new Error(`operator ${name} vanished while being saved`);
      await row.update({
        passwordHash: await hashPassword(password),
        failedSignIns: 0,
        lockedUntil: null,
        ...(displayName?.trim() ? { displayName: displayName.trim().slice(0, 128) } : {}),
      });
      // A new password signs out every browser that knew the old one.
      await OperatorSession.destroy({ where: { operatorId: row.id } });
      return { operator: toRecord(row), created: false };
    },

    async createIfMissing({ username, password, displayName }) {
      const name = check(username, password);
      const existing = await Operator.findOne({ where: { username: name } });
      if (existing) return { operator: toRecord(existing), created: false };
      const made = await create(name, password, displayName);
      if (made) return made;
      const winner = await Operator.findOne({ where: { username: name } });
      if (!winner) throw new Error(`operator ${name} vanished while being created`);
      return { operator: toRecord(winner), created: false };
    },

    async verifySignIn(username, password, now) {
      const row = await Operator.findOne({ where: { username: normaliseUsername(username) } });
      if (!row) {
        decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
        await verifyPassword(password, await decoyHash);
        return { ok: false, reason: 'invalid' };
      }
      if (row.lockedUntil && new Date(row.lockedUntil) > now) {
        const retryAfterSeconds = Math.ceil((new Date(row.lockedUntil).getTime() - now.getTime()) / 1000);
        return { ok: false, reason: 'locked', retryAfterSeconds };
      }
      if (!(await verifyPassword(password, row.passwordHash))) {
        const failures = row.failedSignIns + 1;
        const lockMs = lockDurationMs(failures);
        await row.update({
          failedSignIns: failures,
          lockedUntil: lockMs > 0 ? new Date(now.getTime() + lockMs) : null,
        });
        return { ok: false, reason: 'invalid' };
      }
      await row.update({ failedSignIns: 0, lockedUntil: null, lastSignInAt: now });
      return { ok: true, operator: toRecord(row) };
    },

    async createSession(operatorId, { ttlMs, now }) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + ttlMs);
      await OperatorSession.create({ id: tokenDigest(token), operatorId, csrfToken, expiresAt, lastSeenAt: now });
      return { token, csrfToken, expiresAt };
    },

    async findSession(token, now) {
      if (token.length === 0 || token.length > 100) return null;
      const session = await OperatorSession.findByPk(tokenDigest(token));
      if (!session || new Date(session.expiresAt) <= now) return null;
      const operator = await Operator.findByPk(session.operatorId);
      if (!operator) return null;
      // Recorded at most once a minute: a write per page view would be wasted on SQLite's single writer.
      if (now.getTime() - new Date(session.lastSeenAt).getTime() > 60_000) await session.update({ lastSeenAt: now });
      return { operator: toRecord(operator), csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt) };
    },

    async deleteSession(token) {
      await OperatorSession.destroy({ where: { id: tokenDigest(token) } });
    },

    async deleteExpiredSessions(now) {
      return OperatorSession.destroy({ where: { expiresAt: { [Op.lte]: now } } });
    },
  };
}
