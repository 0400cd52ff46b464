import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { createConsole } from '../console';
import type { AppDeps } from './deps';
import { notFound } from './errors';
import { createApiMetrics } from './metrics';
import { accessLog } from './middleware/access-log';
import { auditAccess } from './middleware/audit';
import {
  createAuthThrottle,
  optionalApiKey,
  requireApiKey,
  requireScope,
  requireWebhookToken,
} from './middleware/auth';
import { DEFAULT_BODY_LIMIT_BYTES, jsonBody } from './middleware/body';
import { clientAddress } from './middleware/client-address';
import { codecCors, DEFAULT_CODEC_CORS_ORIGINS } from './middleware/cors';
import { errorHandler } from './middleware/error-handler';
import { createRateLimiter, rateLimit, type RateLimiter } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { validate } from './middleware/validate';
import { buildOpenApiDocument } from './openapi';
import { type RouteDef, stateOf } from './route';
import { codecRoutes } from './routes/codec';
import type { RouteContext } from './routes/context';
import { conversationRoutes } from './routes/conversations';
import { docsRoutes, serveDocsAsset } from './routes/docs';
import { messageRoutes } from './routes/messages';
import { operationsRoutes } from './routes/operations';
import { searchRoutes } from './routes/search';
import { sessionRoutes } from './routes/sessions';
import { triageRoutes } from './routes/triage';
import { webhookRoutes } from './routes/webhook';
import { createWorkflowGateway } from './workflows';
import { plainWorkflowIds } from '../contracts';

const DEFAULT_TEMPORAL_RPC_TIMEOUT_MS = 10_000;

/** The whole HTTP API as a Koa app. It never listens: api/main.ts does, tests use app.callback(). */
export function createApp(deps: AppDeps): Koa {
  const metrics = deps.metrics ?? createApiMetrics();
  const gateway = createWorkflowGateway(deps.temporal, {
    taskQueue: deps.config.temporal.taskQueue,
    rpcTimeoutMs: deps.temporalRpcTimeoutMs ?? DEFAULT_TEMPORAL_RPC_TIMEOUT_MS,
    ids: deps.ids ?? plainWorkflowIds,
    onSignal: (workflow, outcome) => metrics.workflowSignals.inc({ workflow, outcome }),
  });
  const context: RouteContext = { deps, gateway, metrics };
  const { api: apiConfig } = deps.config;
  const limiters = new Map<number, RateLimiter>();
  const limiterFor = (perMinute: number): RateLimiter => {
    const limiter = limiters.get(perMinute) ?? createRateLimiter(perMinute, deps.now);
    limiters.set(perMinute, limiter);
    return limiter;
  };
  const authThrottle = createAuthThrottle(apiConfig.authFailuresPerMinute, deps.now);
  const webhookTokens = { current: deps.config.webhookToken, previous: deps.config.previousWebhookTokens };

  const openapi: { document?: unknown } = {};
  const routes: RouteDef[] = [
    ...webhookRoutes(context),
    ...messageRoutes(context),
    ...conversationRoutes(context),
    ...searchRoutes(context),
    ...triageRoutes(context),
    ...sessionRoutes(context),
    ...operationsRoutes(context),
    ...codecRoutes(context),
    ...docsRoutes(() => openapi.document),
  ];
  openapi.document = buildOpenApiDocument(routes, { title: 'Medical assistant WhatsApp API', version: '1.0.0' });

  const router = new Router();
  const cors = codecCors(deps.codecCorsOrigins ?? DEFAULT_CODEC_CORS_ORIGINS);
  router.options(['/codec/encode', '/codec/decode'], cors);

  for (const route of routes) {
    const chain: Middleware[] = [
      async (ctx, next) => {
        stateOf(ctx).route = route.path;
        await next();
      },
    ];
    if (route.path.startsWith('/codec/')) chain.push(cors);
    // Authentication comes first: a 401 has not read (or buffered) the body.
    if (route.auth === 'api-key') {
      chain.push(requireApiKey(apiConfig.keys, authThrottle));
      chain.push(auditAccess(deps.logger, gateway.ids, deps.config.wppconnect.sessions[0] ?? ''));
      chain.push(requireScope(route.scope ?? 'admin'));
    }
    if (route.auth === 'optional-api-key') chain.push(optionalApiKey(apiConfig.keys, authThrottle));
    if (route.auth === 'webhook') chain.push(requireWebhookToken(webhookTokens, authThrottle, deps.logger));
    if (route.auth === 'api-key' && route.rateLimited !== false) {
      chain.push(rateLimit(limiterFor(route.rateLimitPerMinute ?? apiConfig.rateLimitPerMinute)));
    }
    if (route.method !== 'get') chain.push(jsonBody(route.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES));
    chain.push(validate(route.request));
    chain.push((ctx) => route.handler(ctx, stateOf(ctx).input as Parameters<typeof route.handler>[1]));
    router[route.method](route.path, ...chain);
  }
  router.get('/docs/assets/:file', (ctx) => {
    stateOf(ctx).route = '/docs/assets/:file';
    const asset = serveDocsAsset(ctx.params.file ?? '');
    ctx.type = asset.type;
    ctx.body = asset.body;
  });

  const app = new Koa({ proxy: false });
  app.use(requestId());
  app.use(clientAddress(apiConfig.trustedProxies));
  app.use(accessLog(deps.logger, metrics));
  app.use(errorHandler(deps.logger));
  if (deps.operators) {
    const { config, logger, repo, mediaStore, operators, stopping, now } = deps;
    app.use(createConsole({ config, logger, repo, mediaStore, operators, gateway, stopping, now }).middleware);
  }
  app.use(router.routes());
  app.use((ctx) => {
    if (stateOf(ctx).route === undefined) throw notFound('no such route');
  });
  return app;
}
