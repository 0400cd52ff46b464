import { createReadStream } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { notFound } from '../errors';
import { defineRoute, type RouteDef } from '../route';

/** swagger-ui-dist's files, served from node_modules (no CDN: operators may be offline). */
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INIT_JS = `window.onload = function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
};
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Medical assistant API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

export function docsRoutes(getDocument: () => unknown): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      auth: 'none',
      rateLimited: false,
      summary: 'This OpenAPI document',
      request: {},
      responses: { 200: { description: 'OpenAPI 3 document', schema: z.record(z.string(), z.unknown()) } },
      handler(ctx) {
        ctx.body = getDocument();
        return Promise.resolve();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      tag: 'operations',
      auth: 'none',
      rateLimited: false,
      summary: 'Interactive API documentation (Swagger UI)',
      request: {},
      responses: { 200: { description: 'HTML page', contentType: 'text/html', schema: z.string() } },
      handler(ctx) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = PAGE;
        return Promise.resolve();
      },
    }),
  ] as RouteDef[];
}

/** GET /docs/assets/:file: a fixed allow-list, so no path from the URL ever reaches the file system. */
export function serveDocsAsset(file: string): { type: string; body: NodeJS.ReadableStream | string } {
  if (file === 'init.js') return { type: 'application/javascript; charset=utf-8', body: INIT_JS };
  const type = ASSETS[file];
  if (type === undefined) throw notFound('no such asset');
  return { type, body: createReadStream(path.join(SWAGGER_DIR, file)) };
}
