/** The streaming reader of get-media-by-message answers (wppconnect/media-body.ts). */
import fc from 'fast-check';
import { WppProtocolError, WppResponseTooLargeError } from '../../../wppconnect/errors';
import { MediaBodyParser } from '../../../wppconnect/media-body';

/** Feeds `body` in pieces cut at the given offsets; returns the result and the decoded bytes. */
async function parse(body: string | Buffer, maxBytes: number, cuts: number[] = []) {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const pieces: Buffer[] = [];
  const parser = new MediaBodyParser({ maxBytes, onBytes: (chunk) => void pieces.push(chunk) });
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(c, raw.length)))].sort((a, b) => a - b)) {
    await parser.push(raw.subarray(from, cut));
    from = cut;
  }
  await parser.push(raw.subarray(from));
  const result = await parser.end();
  return { result, bytes: Buffer.concat(pieces), writes: pieces.length };
}

describe('MediaBodyParser', () => {
  it('decodes the base64 of any file, whatever the key order and however the body is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 4100 }), { maxLength: 12 }),
        async (bytes, mimetypeFirst, cuts) => {
          const file = Buffer.from(bytes);
          const fields = { base64: file.toString('base64'), mimetype: 'image/jpeg' };
          const body = mimetypeFirst
            ? JSON.stringify({ mimetype: fields.mimetype, base64: fields.base64 })
            : JSON.stringify(fields);
          const { result, bytes: decoded } = await parse(body, 3000, cuts);
          expect(result).toEqual({ mimetype: 'image/jpeg', bytes: file.length });
          expect(decoded.equals(file)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands the file on in pieces as the body streams', async () => {
    const file = Buffer.alloc(90_000, 3);
    const body = JSON.stringify({ base64: file.toString('base64'), mimetype: 'application/pdf' });
    const cuts = Array.from({ length: 10 }, (_, i) => (i + 1) * 10_000);
    const { bytes, writes } = await parse(body, 90_000, cuts);
    expect(bytes.equals(file)).toBe(true);
    expect(writes).toBeGreaterThanOrEqual(10);
  });

  it('skips other fields (an injected session, a nested object) and reads escaped slashes and a data: prefix', async () => {
    const file = Buffer.from([0xfb, 0xff, 0xbf, 1, 2]); // base64 with "/" and "+"
    const base64 = `data:image/png;base64,${file.toString('base64')}`.replace(/\//g, '\\/');
    const body = `{"extra":{"a":[1,"}\\""]},"n":12,"ok":true,"base64":"${base64}","mimetype":"image\\/png","session":"x"}`;
    const { result, bytes } = await parse(body, 100, [3, 20, 41, 42, 60]);
    expect(result).toEqual({ mimetype: 'image/png', bytes: 5 });
    expect(bytes.equals(file)).toBe(true);
  });

  it('stops with WppResponseTooLargeError as soon as the decoded bytes pass maxBytes', async () => {
    const body = JSON.stringify({ base64: Buffer.alloc(10_000).toString('base64'), mimetype: 'image/png' });
    const pieces: Buffer[] = [];
    const parser = new MediaBodyParser({ maxBytes: 4_000, onBytes: (c) => void pieces.push(c) });
    const raw = Buffer.from(body);
    let error: unknown;
    for (let at = 0; at < raw.length && error === undefined; at += 1_000) {
      error = await parser.push(raw.subarray(at, at + 1_000)).catch((e: unknown) => e);
    }
    expect(error).toBeInstanceOf(WppResponseTooLargeError);
    expect(error).toMatchObject({ limit: 4_000, operation: 'get-media-by-message', retryable: false });
    expect(Buffer.concat(pieces).length).toBeLessThanOrEqual(4_000);
  });

  it.each([
    ['a body that is not an object', '["x"]'],
    ['a body cut short', '{"base64":"AAAA'],
    ['no base64 field', '{"mimetype":"image/png"}'],
    ['characters that are not base64', '{"base64":"AA*A","mimetype":"image/png"}'],
    ['data after the padding', '{"base64":"AA==AAAA","mimetype":"image/png"}'],
    ['base64 of a length that cannot be', '{"base64":"AAAAA","mimetype":"image/png"}'],
    ['a base64 that is a number', '{"base64":12,"mimetype":"image/png"}'],
  ])('refuses %s with WppProtocolError', async (_what, body) => {
    const error = await parse(body, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppProtocolError);
    expect(error).toMatchObject({ type: 'WppProtocol', retryable: false });
  });
});
