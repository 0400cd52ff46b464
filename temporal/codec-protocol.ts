import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

/**
 * Temporal's codec-server protocol (what the Web UI and `temporal workflow show --codec-endpoint`
 * post): `{"payloads": [{"metadata": {key: base64}, "data": base64}]}` in and out.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
export const codecRequestSchema = z.object({ payloads: z.array(jsonPayloadSchema).max(1000) });

export type JsonPayload = z.infer<typeof jsonPayloadSchema>;
export type CodecRequest = z.infer<typeof codecRequestSchema>;

export function fromJsonPayload({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: metadata
      ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
      : undefined,
    data: data ? Buffer.from(data, 'base64') : undefined,
  };
}

export function toJsonPayload({ metadata, data }: Payload): { metadata: Record<string, string>; data?: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    ...(data ? { data: Buffer.from(data).toString('base64') } : {}),
  };
}

/** Runs one direction of the protocol; without a codec the payloads come back unchanged. */
export async function runCodec(
  codec: PayloadCodec | undefined,
  direction: 'encode' | 'decode',
  request: CodecRequest,
): Promise<{ payloads: ReturnType<typeof toJsonPayload>[] }> {
  const payloads = request.payloads.map(fromJsonPayload);
  const out = codec ? await codec[direction](payloads) : payloads;
  return { payloads: out.map(toJsonPayload) };
}
