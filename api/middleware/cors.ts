import type { Middleware } from 'koa';

export const DEFAULT_CODEC_CORS_ORIGINS = ['http://localhost:8233'];

/**
 * CORS for the codec server: the Temporal Web UI calls it from the browser with X-Namespace and, when
 * configured to, Authorization. Only allow-listed origins get the headers; preflights answer 204
 * without an API key (browsers never send credentials on a preflight).
 */
export function codecCors(allowedOrigins: readonly string[]): Middleware {
  const allowed = new Set(allowedOrigins);
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    ctx.vary('Origin');
    if (origin !== '' && allowed.has(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method === 'OPTIONS') {
      if (origin !== '' && allowed.has(origin)) {
        ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace, X-API-Key');
        ctx.set('Access-Control-Max-Age', '600');
      }
      ctx.status = 204;
      return;
    }
    await next();
  };
}
