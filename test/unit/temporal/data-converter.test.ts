import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type FailureConverter } from '@temporalio/common';
import { keyIdFor } from '../../../temporal/codec';
import { runCodec } from '../../../temporal/codec-protocol';
import { createDataConverter, createPayloadCodec, FAILURE_CONVERTER_PATH } from '../../../temporal/data-converter';

const b64 = () => randomBytes(32).toString('base64');

describe('createDataConverter', () => {
  it('has no codec when no key is configured, and always encodes failure messages as payloads', () => {
    expect(createDataConverter({})).toEqual({ failureConverterPath: FAILURE_CONVERTER_PATH });
    expect(createPayloadCodec({ previous: [] })).toBeUndefined();
  });

  it('loads a failure converter that moves messages and stack traces into the encoded attributes', async () => {
    const { failureConverter } = (await import(FAILURE_CONVERTER_PATH)) as { failureConverter: FailureConverter };
    const failure = failureConverter.errorToFailure(new Error('chat 5511999990001 failed'), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(JSON.stringify(defaultPayloadConverter.fromPayload(failure.encodedAttributes!))).toContain('5511999990001');
  });

  it('has one AES-GCM codec whose current key is TEMPORAL_PAYLOAD_KEY', () => {
    const current = b64();
    const converter = createDataConverter({ current, previous: [b64()] });
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(createPayloadCodec({ current })?.currentKeyId).toBe(keyIdFor(Buffer.from(current, 'base64')));
  });
});

describe('codec-server protocol', () => {
  const codec = createPayloadCodec({ current: b64() });
  const payload = defaultPayloadConverter.toPayload('olá');
  const json = {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data!).toString('base64'),
  };

  it('encodes then decodes JSON payloads back to the same base64 metadata and data', async () => {
    const encoded = await runCodec(codec, 'encode', { payloads: [json] });
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const decoded = await runCodec(codec, 'decode', encoded);
    expect(decoded).toEqual({ payloads: [json] });
  });

  it('returns payloads unchanged when no codec is configured', async () => {
    expect(await runCodec(undefined, 'decode', { payloads: [json] })).toEqual({ payloads: [json] });
  });
});
