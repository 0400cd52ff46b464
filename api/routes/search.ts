import { defineRoute, type RouteDef } from '../route';
import { errorBodySchema } from '../schemas/common';
import { searchQuery, searchResponseSchema } from '../schemas/search';
import type { RouteContext } from './context';

export function searchRoutes({ deps }: RouteContext): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/search',
      tag: 'conversations',
      auth: 'api-key',
      scope: 'read',
      summary: 'Full-text search over message content',
      request: { query: searchQuery },
      responses: {
        200: { description: 'Matches', schema: searchResponseSchema },
        400: { description: 'Invalid query', schema: errorBodySchema },
        401: { description: 'Missing or invalid API key', schema: errorBodySchema },
      },
      async handler(ctx, { query }) {
        const result = await deps.repo.search(query);
        ctx.body = { total: result.total, limit: query.limit, offset: query.offset, items: result.items };
      },
    }),
  ] as RouteDef[];
}
