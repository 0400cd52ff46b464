import type { Context, Middleware } from 'koa';
import type { WorkflowGateway } from '../api/workflows';
import type { Config } from '../config/config';
import type { OperatorRepository } from '../db/operators';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { Logger } from '../observability/logger';
import { consoleState, type CookieNames } from './auth';
import type { LiveFeed } from './feed';
import type { Html } from './html';
import { negotiateLang, STRINGS } from './strings';
import type { ViewContext } from './views/parts';

export interface ConsoleDeps {
  config: Config;
  logger: Logger;
  repo: IConversationRepository;
  operators: OperatorRepository;
  mediaStore: MediaStore;
  gateway: WorkflowGateway;
  /** Aborted when the process shuts down: open event streams end so the server can close. */
  stopping?: AbortSignal;
  now?: () => number;
  /** Database poll interval of the live feed (default 500 ms). */
  feedIntervalMs?: number;
}

/** What the console's route files share. */
export interface ConsoleContext extends ConsoleDeps {
  now: () => number;
  cookies: CookieNames;
  /** Secure cookies (production). */
  secure: boolean;
  feed: LiveFeed;
}

export async function viewOf(c: ConsoleContext, ctx: Context, opts: { count?: boolean } = {}): Promise<ViewContext> {
  const lang = negotiateLang(ctx.get('Accept-Language'));
  const session = consoleState(ctx).session;
  return {
    t: STRINGS[lang],
    lang,
    now: new Date(c.now()),
    ...(session ? { operator: session.operator, csrfToken: session.csrfToken } : {}),
    ...(session && opts.count !== false ? { openEmergencies: await c.repo.countOpenEscalations() } : {}),
  };
}

export function sendHtml(ctx: Context, body: Html, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body.text;
}

/** A fragment for the browser script (`?partial=`), as opposed to a whole page. */
export const isPartial = (ctx: Context): boolean => typeof ctx.query.partial === 'string';

/** `console:<username>`: how console actions are attributed in workflows and the database. */
export const actor = (ctx: Context): string => `console:${consoleState(ctx).session?.operator.username ?? 'unknown'}`;

/** Names the route for access logs and metrics (the pattern, never the URL: paths carry chat ids). */
export type Named = (route: string) => Middleware;
