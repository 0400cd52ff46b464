import { z } from 'zod';
import { codecRequestSchema, runCodec } from '../../temporal/codec-protocol';
import { badRequest } from '../errors';
import { defineRoute, type RouteDef } from '../route';
import { errorBodySchema } from '../schemas/common';
import type { RouteContext } from './context';

const codecHeaders = z.object({
  'x-namespace': z.string().max(200).optional().meta({ description: 'Namespace of the payloads (informative)' }),
});
const codecResponseSchema = z
  .object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string().optional() })) })
  .meta({ id: 'CodecPayloads' });

/**
 * Temporal codec server (POST /codec/encode, /codec/decode) for the Web UI and `temporal --codec-endpoint`.
 * Payload histories can be large: the body limit matches the webhook's. Not rate limited: the UI sends
 * one request per payload group on every page.
 */
export function codecRoutes({ deps }: RouteContext): RouteDef[] {
  const limit = Math.ceil(deps.config.media.maxBytes * 1.4);
  return (['encode', 'decode'] as const).map((direction) =>
    defineRoute({
      method: 'post',
      path: `/codec/${direction}`,
      tag: 'operations',
      auth: 'api-key',
      rateLimited: false,
      bodyLimitBytes: limit,
      summary: `Temporal codec server: ${direction} payloads (${direction === 'decode' ? 'decrypt' : 'encrypt'})`,
      request: { headers: codecHeaders, body: codecRequestSchema.meta({ id: 'CodecRequest' }) },
      responses: {
        200: { description: `${direction}d payloads`, schema: codecResponseSchema },
        400: { description: 'Invalid body, or a payload that cannot be decoded', schema: errorBodySchema },
        401: { description: 'Missing or invalid API key', schema: errorBodySchema },
      },
      async handler(ctx, { body }) {
        try {
          ctx.body = await runCodec(deps.payloadCodec, direction, body);
        } catch (err) {
          throw badRequest('CODEC_FAILED', (err as Error).message);
        }
      },
    }),
  );
}
