import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { ConsoleSession, OperatorRepository } from '../db/operators';

/**
 * Console sign-in state. The session token lives only in an HttpOnly, SameSite=Strict cookie (Secure, with
 * the __Host- prefix, in production); the database keeps its digest. Every state-changing request carries
 * the session's CSRF token in the form (`_csrf`) or the X-CSRF-Token header; the sign-in form, which has
 * no session yet, uses a double-submit token kept in its own short-lived cookie.
 */

export interface CookieNames {
  session: string;
  login: string;
}

export function cookieNames(production: boolean): CookieNames {
  // __Host- cookies are only accepted with Secure, Path=/ and no Domain: no sibling host can plant one.
  return production
    ? { session: '__Host-ma_console', login: '__Host-ma_console_login' }
    : { session: 'ma_console', login: 'ma_console_login' };
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name !== '' && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
}

/** A Set-Cookie value: HttpOnly and SameSite=Strict always; Max-Age 0 deletes. */
export function serializeCookie(name: string, value: string, { maxAgeSeconds, secure }: CookieOptions): string {
  return [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality of two tokens (hashed first, so lengths never leak or throw). */
export function tokensMatch(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || presented === '' || expected === '') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

export const newToken = (): string => randomBytes(32).toString('base64url');

export interface ConsoleState {
  session: ConsoleSession | null;
  /** The parsed form body of a POST. */
  form?: Record<string, string>;
}

export const consoleState = (ctx: Context): ConsoleState => {
  const state = ctx.state as { console?: ConsoleState };
  state.console ??= { session: null };
  return state.console;
};

/** Loads the signed-in operator's session (or none) from the cookie. */
export function loadSession(operators: OperatorRepository, names: CookieNames, now: () => Date): Middleware {
  return async (ctx, next) => {
    const token = parseCookies(ctx.get('Cookie')).get(names.session);
    consoleState(ctx).session = token ? await operators.findSession(token, now()) : null;
    await next();
  };
}

/** Where a signed-out visitor goes after signing in: only console paths (no open redirect). */
export function safeNext(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^\/console(\/[A-Za-z0-9._~%/@+-]*)?(\?[A-Za-z0-9._~%=&@+-]*)?$/.test(value) && !value.includes('//')
    ? value
    : undefined;
}

/**
 * Failed sign-ins per client address in a sliding minute: past `perMinute`, the address waits (whatever
 * username it tries). Successful sign-ins are not counted, so a clinic behind one address is not locked out
 * by its own staff. In memory, per API process.
 */
export interface FailedSignIns {
  /** Seconds the address must wait, or 0. */
  wait(address: string): number;
  record(address: string): void;
}

export function createFailedSignIns(perMinute: number, now: () => number, maxAddresses = 10_000): FailedSignIns {
  const failures = new Map<string, number[]>();
  const recent = (address: string, at: number): number[] => {
    const kept = (failures.get(address) ?? []).filter((t) => at - t < 60_000);
    if (kept.length === 0) failures.delete(address);
    else failures.set(address, kept);
    return kept;
  };
  return {
    wait(address) {
      const at = now();
      const kept = recent(address, at);
      if (kept.length < perMinute) return 0;
      const oldest = kept[kept.length - perMinute] ?? at;
      return Math.max(1, Math.ceil((oldest + 60_000 - at) / 1000));
    },
    record(address) {
      const at = now();
      if (!failures.has(address) && failures.size >= maxAddresses) {
        // Bounded memory: the address seen longest ago is forgotten first.
        const first = failures.keys().next();
        if (!first.done) failures.delete(first.value);
      }
      failures.set(address, [...recent(address, at), at]);
    },
  };
}
