import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmPayloadCodec, decodeKey } from './codec';

/**
 * The one data converter every process (API, worker, scripts) builds from configuration, so that what
 * one writes the others can read. Without TEMPORAL_PAYLOAD_KEY (and no previous keys) it is the SDK
 * default: plain JSON payloads. Failure messages are always encoded as payloads (temporal/failure-converter.ts),
 * so with a key they are encrypted too.
 */

export interface PayloadKeys {
  /** base64 32-byte key that encrypts new payloads (TEMPORAL_PAYLOAD_KEY). */
  current?: string;
  /** base64 keys still accepted for decoding after a rotation (TEMPORAL_PAYLOAD_PREVIOUS_KEYS). */
  previous?: string[];
}

/** The codec, or undefined when payloads are not encrypted at all. */
export function createPayloadCodec(keys: PayloadKeys): AesGcmPayloadCodec | undefined {
  const previous = (keys.previous ?? []).map((k, i) => decodeKey(k, `previous payload key ${i}`));
  if (keys.current === undefined && previous.length === 0) return undefined;
  const current = keys.current === undefined ? undefined : decodeKey(keys.current, 'TEMPORAL_PAYLOAD_KEY');
  return new AesGcmPayloadCodec({ current, previous });
}

export function createPayloadCodecs(keys: PayloadKeys): PayloadCodec[] {
  const codec = createPayloadCodec(keys);
  return codec ? [codec] : [];
}

/** temporal/failure-converter.ts, by path: workers and the workflow bundle load it themselves. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function createDataConverter(keys: PayloadKeys): DataConverter {
  const payloadCodecs = createPayloadCodecs(keys);
  return { failureConverterPath: FAILURE_CONVERTER_PATH, ...(payloadCodecs.length > 0 ? { payloadCodecs } : {}) };
}
