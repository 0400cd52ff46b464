import { createHash } from 'node:crypto';
import { cleanBase64, extensionFor, normaliseMime } from '../media/store';
import { badRequest } from './errors';

/** Deterministic per API key: the same Idempotency-Key from two callers never collides. */
export function deriveRequestId(apiKeyId: string, idempotencyKey: string): string {
  return `req_${createHash('sha256').update(`${apiKeyId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

/** JSON with sorted keys, so the hash does not depend on the order a client wrote its fields in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function payloadHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

const SIGNATURES: { mime: string; test: (b: Buffer) => boolean }[] = [
  {
    mime: 'image/png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { mime: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/gif', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  {
    mime: 'image/webp',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { mime: 'application/pdf', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
];

/** Sniffs the first bytes of base64 content. */
export function sniffMime(base64: string): string | undefined {
  const head = Buffer.from(base64.slice(0, 64), 'base64');
  return SIGNATURES.find((s) => s.test(head))?.mime;
}

/**
 * The media type of an outbound file: the `mimetype` field, else the data: URI's, else the content's
 * signature. Images must be images; anything must be a type the media store accepts.
 */
export function resolveOutboundMime(type: 'image' | 'document', mediaBase64: string, declared?: string): string {
  const fromUri = /^data:([^;,]+)[;,]/i.exec(mediaBase64)?.[1];
  const mime = normaliseMime(declared ?? fromUri ?? sniffMime(cleanBase64(mediaBase64)) ?? '');
  if (mime === '') {
    throw badRequest('MEDIA_TYPE_UNKNOWN', 'the media type could not be detected: pass `mimetype`');
  }
  if (extensionFor(mime) === undefined) {
    throw badRequest('MEDIA_TYPE_NOT_ALLOWED', `media type ${mime.slice(0, 80)} is not accepted`);
  }
  if (type === 'image' && !mime.startsWith('image/')) {
    throw badRequest('MEDIA_TYPE_NOT_ALLOWED', `an image message needs an image, got ${mime.slice(0, 80)}`);
  }
  return mime;
}
