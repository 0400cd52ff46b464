import type { Context } from 'koa';
import type { z } from 'zod';
import type { ApiScope } from '../config/config';

/**
 * A route is declared once, with its zod schemas: the router mounts it (auth, body limit, validation)
 * and the OpenAPI document is generated from the very same declaration.
 */

/** `optional-api-key`: anyone may call; a key, when presented, must be valid and may see more. */
export type RouteAuth = 'api-key' | 'optional-api-key' | 'webhook' | 'none';

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
  /**
   * What an API key needs for this route (auth 'api-key'): `read` (history, search, stats), `send`, `admin`
   * (sessions, handoff, patient links) or `codec`. A route that declares none needs `admin`.
   */
  scope?: ApiScope;
  /** Largest accepted body; routes with a body default to a small limit. */
  bodyLimitBytes?: number;
  /** false for routes that must not be rate limited (the webhook: WPPConnect never retries). */
  rateLimited?: boolean;
  /** Requests a minute per (API key, client address) when not RATE_LIMIT_PER_MINUTE (the codec server). */
  rateLimitPerMinute?: number;
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
  /** Scopes of that key. */
  apiKeyScopes?: readonly ApiScope[];
  /** The client's address (X-Forwarded-For only through TRUSTED_PROXIES). */
  clientAddress?: string;
  body?: unknown;
  input?: unknown;
}

export const stateOf = (ctx: Context): AppState => ctx.state;
