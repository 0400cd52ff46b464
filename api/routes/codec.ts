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

/** Temporal refuses payloads over 2 MB by default (blob size limit): twice that, base64, is plenty. */
export const CODEC_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Temporal codec server (POST /codec/encode, /codec/decode) for the Web UI and `temporal --codec-endpoint`,
 * for keys with the `codec` scope. Decoding answers patient data, so requests are audited like any API
 * read, capped at 4 MB and rate limited on their own budget (CODEC_RATE_LIMIT_PER_MINUTE): the UI sends one
 * request per payload group on every page, far more than an API client.
 */
export function codecRoutes({ deps }: RouteContext): RouteDef[] {
  return (['encode', 'decode'] as const).map((direction) =>
    defineRoute({
      method: 'post',
      path: `/codec/${direction}`,
      tag: 'operations',
      auth: 'api-key',
      scope: 'codec',
      rateLimitPerMinute: deps.config.api.codecRateLimitPerMinute,
      bodyLimitBytes: CODEC_BODY_LIMIT_BYTES,
      summary: `Temporal codec server: ${direction} payloads (${direction === 'decode' ? 'decrypt' : 'encrypt'})`,
      request: { headers: codecHeaders, body: codecRequestSchema.meta({ id: 'CodecRequest' }) },
      responses: {
        200: { description: `${direction}d payloads`, schema: codecResponseSchema },
        400: { description: 'Invalid body, or a payload that cannot be decoded', schema: errorBodySchema },
        401: { description: 'Missing or invalid API key', schema: errorBodySchema },
        403: { description: 'The API key lacks the codec scope', schema: errorBodySchema },
        413: { description: 'Body over 4 MB', schema: errorBodySchema },
        429: { description: 'Rate limited (CODEC_RATE_LIMIT_PER_MINUTE)', schema: errorBodySchema },
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
