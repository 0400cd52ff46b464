import {
  cookieNames,
  createFailedSignIns,
  parseCookies,
  safeNext,
  serializeCookie,
  tokensMatch,
} from '../../../console/auth';

describe('console cookies', () => {
  it('are HttpOnly and SameSite=Strict; in production Secure with the __Host- prefix', () => {
    const production = cookieNames(true);
    expect(production).toEqual({ session: '__Host-ma_console', login: '__Host-ma_console_login' });
    expect(serializeCookie(production.session, 'tok', { maxAgeSeconds: 43_200, secure: true })).toBe(
      '__Host-ma_console=tok; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure',
    );
    expect(serializeCookie(cookieNames(false).session, '', { maxAgeSeconds: 0, secure: false })).toBe(
      'ma_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict',
    );
  });

  it('parses a Cookie header, keeping the first of a repeated name', () => {
    expect([...parseCookies('a=1; ma_console=x=y; a=2;bad; =v')]).toEqual([
      ['a', '1'],
      ['ma_console', 'x=y'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('tokens and redirects', () => {
  it('compares tokens in constant time and never accepts an empty one', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abd', 'abc')).toBe(false);
    expect(tokensMatch('abcd', 'abc')).toBe(false);
    expect(tokensMatch(undefined, 'abc')).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });

  it('goes back only to console paths after signing in', () => {
    expect(safeNext('/console/chats/clinic/5511%40c.us?done=x')).toBe('/console/chats/clinic/5511%40c.us?done=x');
    expect(safeNext('/console')).toBe('/console');
    for (const bad of [
      '//evil.example',
      'https://evil.example/console',
      '/console//evil',
      '/api/x',
      '/consoleX',
      '/console/"><script>',
    ]) {
      expect([bad, safeNext(bad)]).toEqual([bad, undefined]);
    }
  });
});

describe('failed sign-ins per address', () => {
  it('makes an address wait after ten failures in a sliding minute, and forgets them after it', () => {
    let now = 0;
    const failed = createFailedSignIns(10, () => now);
    for (let i = 0; i < 10; i++) {
      expect(failed.wait('10.0.0.1')).toBe(0);
      failed.record('10.0.0.1');
      now += 1000;
    }
    expect(failed.wait('10.0.0.1')).toBe(50);
    expect(failed.wait('10.0.0.2')).toBe(0);
    now = 59_999;
    expect(failed.wait('10.0.0.1')).toBe(1);
    now = 60_000;
    expect(failed.wait('10.0.0.1')).toBe(0);
  });

  it('keeps a bounded number of addresses', () => {
    const failed = createFailedSignIns(1, () => 0, 2);
    failed.record('a');
    failed.record('b');
    failed.record('c');
    expect([failed.wait('a'), failed.wait('b'), failed.wait('c')]).toEqual([0, 60, 60]);
  });
});
