import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALERT_SIGNATURE_HEADER, createAlertClient, signAlert, verifyAlertSignature } from '../../../activities/alerts';

const SECRET = 'alert-secret-0123456789abcdef0123456789';

/** A receiver on loopback that keeps what it was sent. */
async function receiver(): Promise<{
  url: string;
  got: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}> {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    got,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('outbound alerts are signed (CLINICIAN_ALERT_SECRET)', () => {
  const at = Date.UTC(2026, 10, 29, 12, 0, 0);

  it('carries t=<seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> over the exact bytes sent', async () => {
    const rx = await receiver();
    try {
      const client = createAlertClient({ url: rx.url, secret: SECRET, now: () => at });
      await client.post({ kind: 'escalation', session: 's', chatId: 'c', triageLevel: 'emergency' });
      const [{ headers, body }] = rx.got as [{ headers: IncomingHttpHeaders; body: string }];
      const t = at / 1000;
      const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
      expect(headers[ALERT_SIGNATURE_HEADER]).toBe(`t=${t},v1=${expected}`);
      expect(JSON.parse(body)).toEqual({
        kind: 'escalation',
        session: 's',
        chatId: 'c',
        triageLevel: 'emergency',
        at: '2026-11-29T12:00:00.000Z',
      });
      expect(verifyAlertSignature(SECRET, String(headers[ALERT_SIGNATURE_HEADER]), body, t + 10)).toBe(true);
    } finally {
      await rx.close();
    }
  });

  it('sends no signature header without a secret (development)', async () => {
    const rx = await receiver();
    try {
      await createAlertClient({ url: rx.url }).post({ type: 'session-qr', session: 's' });
      expect(rx.got[0]?.headers[ALERT_SIGNATURE_HEADER]).toBeUndefined();
    } finally {
      await rx.close();
    }
  });

  it('verification fails for another body, another secret, a stale or a malformed header', () => {
    const body = '{"a":1}';
    const header = signAlert(SECRET, body, 1000);
    expect(verifyAlertSignature(SECRET, header, body, 1000)).toBe(true);
    expect(verifyAlertSignature(SECRET, header, '{"a":2}', 1000)).toBe(false);
    expect(verifyAlertSignature(`${SECRET}x`, header, body, 1000)).toBe(false);
    expect(verifyAlertSignature(SECRET, header, body, 1000 + 301)).toBe(false);
    expect(verifyAlertSignature(SECRET, 't=1000,v1=zz', body, 1000)).toBe(false);
    expect(verifyAlertSignature(SECRET, header.replace('t=1000', 't=1001'), body, 1000)).toBe(false);
  });
});

describe('production refuses plain http alert URLs unless they point at the local host', () => {
  it('throws at construction for http to another host', () => {
    expect(() => createAlertClient({ url: 'http://alerts.example/hook', production: true })).toThrow(
      'CLINICIAN_ALERT_URL must be https: in production unless it points at the local host',
    );
  });

  it('accepts https anywhere, http to the local host, and anything outside production', () => {
    for (const url of ['https://alerts.example/hook', 'http://localhost:9/a', 'http://127.0.0.1/a', 'http://[::1]/a']) {
      expect(createAlertClient({ url, production: true }).configured).toBe(true);
    }
    expect(createAlertClient({ url: 'http://alerts.example/hook' }).configured).toBe(true);
  });
});
