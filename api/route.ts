import type { Context } from 'koa';
import type { z } from 'zod';

/**
 * A route is declared once, with its zod schemas: the router mounts it (auth, body limit, validation)
 * and the OpenAPI document is generated from the very same declaration.
 */

export type RouteAuth = 'api-key' | 'webhook' | 'none';

export interface RouteRequest {
  params?: z.ZodType;
  query?: z.ZodType;
  headers?: z.ZodType;
  body?: z.ZodType;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<R extends RouteRequest> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  headers: Out<R['headers']>;
  body: Out<R['body']>;
}

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteDef<R extends RouteRequest = RouteRequest> {
  method: 'get' | 'post' | 'put';
  /** Koa-style path (`/api/messages/:requestId`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** Largest accepted body; routes with a body default to a small limit. */
  bodyLimitBytes?: number;
  /** false for routes that must not be rate limited (the webhook: WPPConnect never retries). */
  rateLimited?: boolean;
  request: R;
  responses: Record<number, RouteResponse>;
  // Method syntax on purpose: routes with different inputs live in one list.
  handler(ctx: Context, input: RouteInput<R>): Promise<void>;
}

export function defineRoute<R extends RouteRequest>(def: RouteDef<R>): RouteDef<R> {
  return def;
}

/** Per-request state the middleware chain fills in. */
export interface AppState {
  requestId: string;
  /** Route pattern (never the URL: paths carry chat ids and tokens). */
  route?: string;
  /** Fingerprint of the API key used (never the key). */
  apiKeyId?: string;
  body?: unknown;
  input?: unknown;
}

export const stateOf = (ctx: Context): AppState => ctx.state;
