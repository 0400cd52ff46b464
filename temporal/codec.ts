import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * AES-256-GCM payload codec (after temporalio/samples-typescript `encryption`). The whole payload,
 * metadata included, is serialised and encrypted, so the server and the Web UI (without the codec
 * server) only see `binary/encrypted` bytes. Each encrypted payload names its key in the
 * `encryption-key-id` metadata; the id is a fingerprint of the key itself, so rotating is only a matter
 * of configuring a new current key and keeping the old one among the previous (decode-only) keys.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class UnknownEncryptionKeyError extends ValueError {
  constructor(readonly keyId: string) {
    super(
      `payload was encrypted with key id "${keyId}", which is neither the current TEMPORAL_PAYLOAD_KEY ` +
        'nor one of TEMPORAL_PAYLOAD_PREVIOUS_KEYS',
    );
    // ValueError's `name` is a read-only prototype property (Temporal's cross-realm instanceof marker).
    Object.defineProperty(this, 'name', { value: 'UnknownEncryptionKeyError' });
  }
}

/** Parses a base64 32-byte key; the message never contains the key. */
export function decodeKey(base64: string, name = 'payload key'): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new ValueError(`${name} must be a base64-encoded ${KEY_BYTES}-byte key`);
  return key;
}

/** Public, stable identifier of a key: a truncated SHA-256 fingerprint (reveals nothing usable about the key). */
export function keyIdFor(key: Buffer): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export interface EncryptionCodecOptions {
  /** Key that encrypts new payloads; without one the codec only decrypts (encryption being switched off). */
  current?: Buffer;
  /** Keys kept only to decrypt histories written before a rotation. */
  previous?: Buffer[];
}

export class AesGcmPayloadCodec implements PayloadCodec {
  readonly currentKeyId: string | undefined;
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly options: EncryptionCodecOptions) {
    for (const key of [...(options.previous ?? []), ...(options.current ? [options.current] : [])]) {
      if (key.length !== KEY_BYTES) throw new ValueError(`payload keys must be ${KEY_BYTES} bytes`);
      this.keys.set(keyIdFor(key), key);
    }
    this.currentKeyId = options.current ? keyIdFor(options.current) : undefined;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.options.current;
    if (key === undefined || this.currentKeyId === undefined) return Promise.resolve(payloads);
    const keyId = this.currentKeyId;
    return Promise.resolve(
      payloads.map((payload) => ({
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(keyId),
        },
        data: encrypt(temporal.api.common.v1.Payload.encodeDelimited(payload).finish(), key),
      })),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((payload) => this.decodeOne(payload)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was switched on stay readable.
    if (encoding === undefined || encoding === null || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) {
      return payload;
    }
    const keyIdBytes = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
    if (!keyIdBytes) throw new ValueError(`encrypted payload has no ${METADATA_ENCRYPTION_KEY_ID} metadata`);
    const keyId = Buffer.from(keyIdBytes).toString();
    const key = this.keys.get(keyId);
    if (key === undefined) throw new UnknownEncryptionKeyError(keyId);
    if (!payload.data) throw new ValueError('encrypted payload has no data');
    return temporal.api.common.v1.Payload.decodeDelimited(decrypt(payload.data, key, keyId));
  }
}

function encrypt(plain: Uint8Array, key: Buffer): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function decrypt(data: Uint8Array, key: Buffer, keyId: string): Uint8Array {
  const bytes = Buffer.from(data);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ValueError(`payload could not be decrypted with key id "${keyId}" (tampered or wrong key)`);
  }
}
