import { OpenApiGeneratorV3, OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { RouteDef } from './route';
import { errorBodySchema } from './schemas/common';

const SECURITY: Record<RouteDef['auth'], RouteConfig['security']> = {
  'api-key': [{ bearerAuth: [] }, { apiKeyHeader: [] }],
  'optional-api-key': [{}, { bearerAuth: [] }, { apiKeyHeader: [] }],
  webhook: [{ webhookToken: [] }, { bearerAuth: [] }],
  none: [],
};

/** `/api/messages/:requestId` → `/api/messages/{requestId}` */
export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The OpenAPI 3 document, generated from the same route declarations (and zod schemas) the router mounts. */
export function buildOpenApiDocument(routes: readonly RouteDef[], info: { title: string; version: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  registry.registerComponent('securitySchemes', 'apiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  registry.registerComponent('securitySchemes', 'webhookToken', { type: 'apiKey', in: 'query', name: 'token' });

  for (const route of routes) {
    const { params, query, headers, body } = route.request;
    const scope = route.auth === 'api-key' ? (route.scope ?? 'admin') : undefined;
    const responses: RouteDef['responses'] =
      scope === undefined || route.responses[403] !== undefined
        ? route.responses
        : { ...route.responses, 403: { description: `The API key lacks the ${scope} scope`, schema: errorBodySchema } };
    registry.registerPath({
      method: route.method,
      path: toOpenApiPath(route.path),
      summary: route.summary,
      description: [route.description, scope && `API key scope: ${scope}.`].filter(Boolean).join(' ') || undefined,
      tags: [route.tag],
      security: SECURITY[route.auth],
      request: {
        ...(params ? { params: params as never } : {}),
        ...(query ? { query: query as never } : {}),
        ...(headers ? { headers: headers as never } : {}),
        ...(body ? { body: { content: { 'application/json': { schema: body } }, required: true } } : {}),
      },
      responses: Object.fromEntries(
        Object.entries(responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema || response.contentType
              ? {
                  content: {
                    [response.contentType ?? 'application/json']: {
                      schema: response.schema ?? { type: 'string', format: 'binary' },
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        'WhatsApp medical assistant: WPPConnect webhook, messaging, conversation history, triage, sessions and ' +
        'operations. Errors always have the body {"error": {"code", "message", "details"?}}.',
    },
  });
}
