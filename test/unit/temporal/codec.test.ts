import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload, ValueError } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  keyIdFor,
  METADATA_ENCRYPTION_KEY_ID,
  UnknownEncryptionKeyError,
} from '../../../temporal/codec';

const text = 'Tenho dor no peito desde ontem';
const plain = (): Payload => defaultPayloadConverter.toPayload({ text });
const str = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString();

describe('AesGcmPayloadCodec', () => {
  const key = randomBytes(32);
  const codec = new AesGcmPayloadCodec({ current: key });

  it('encrypts the whole payload so the text is not in the bytes, and names the key in the metadata', async () => {
    const [encoded] = await codec.encode([plain()]);
    expect(str(encoded!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(str(encoded!.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe(keyIdFor(key));
    expect(Object.keys(encoded!.metadata!).sort()).toEqual([METADATA_ENCODING_KEY, METADATA_ENCRYPTION_KEY_ID].sort());
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('dor no peito'))).toBe(false);
  });

  it('decodes what it encoded back to the original payload, metadata included', async () => {
    const [decoded] = await codec.decode(await codec.encode([plain()]));
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ text });
    expect(str(decoded!.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
  });

  it('uses a fresh IV per payload, so equal payloads encrypt differently', async () => {
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('leaves payloads that were never encrypted unchanged when decoding', async () => {
    const payload = plain();
    expect(await codec.decode([payload])).toEqual([payload]);
  });

  it('after a rotation, decodes payloads of the previous key and encodes with the new one', async () => {
    const oldKey = randomBytes(32);
    const [old] = await new AesGcmPayloadCodec({ current: oldKey }).encode([plain()]);
    const rotated = new AesGcmPayloadCodec({ current: key, previous: [oldKey] });
    const [decoded] = await rotated.decode([old!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ text });
    const [fresh] = await rotated.encode([plain()]);
    expect(str(fresh!.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe(keyIdFor(key));
  });

  it('rejects a payload of an unknown key with an error naming the key id and the variables to set', async () => {
    const otherKey = randomBytes(32);
    const [foreign] = await new AesGcmPayloadCodec({ current: otherKey }).encode([plain()]);
    const error = await codec.decode([foreign!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownEncryptionKeyError);
    expect((error as Error).message).toContain(keyIdFor(otherKey));
    expect((error as Error).message).toContain('TEMPORAL_PAYLOAD_PREVIOUS_KEYS');
  });

  it('rejects tampered ciphertext instead of returning garbage', async () => {
    const [encoded] = await codec.encode([plain()]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 0xff;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(ValueError);
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/could not be decrypted/);
  });

  it('with only previous keys (encryption switched off), encodes nothing but still decodes old payloads', async () => {
    const [old] = await codec.encode([plain()]);
    const decodeOnly = new AesGcmPayloadCodec({ previous: [key] });
    const payload = plain();
    expect(await decodeOnly.encode([payload])).toEqual([payload]);
    expect(defaultPayloadConverter.fromPayload((await decodeOnly.decode([old!]))[0]!)).toEqual({ text });
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new AesGcmPayloadCodec({ current: randomBytes(16) })).toThrow('payload keys must be 32 bytes');
  });
});
