import type Router from '@koa/router';
import { consoleState } from '../auth';
import type { ConsoleContext, Named } from '../context';
import type { FeedEvent } from '../feed';
import { requirePage } from './guards';

/** A stream lives at most this long; the browser reconnects (and re-authenticates) on its own. */
export const MAX_STREAM_MS = 5 * 60_000;
const HEARTBEAT_MS = 15_000;
/** How long the browser waits before reconnecting. */
const RETRY_MS = 2000;

/**
 * GET /console/events: server-sent events telling the page what changed (a chat, the emergency count, a
 * session). Only ids and states travel here, never message text: the page fetches what it shows.
 */
export function eventRoutes(c: ConsoleContext, router: Router, named: Named): void {
  router.get('/events', named('/console/events'), requirePage, async (ctx) => {
    const session = consoleState(ctx).session;
    if (!session) return;
    // Written straight to the socket (ctx.respond = false): a browser leaving the page is not an error.
    const res = ctx.res;
    /** Events that come before the headers are written wait for them. */
    let early: string[] | undefined = [];
    const write = (text: string): void => {
      if (early) early.push(text);
      else if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    const send = (event: FeedEvent): void => write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const subscription = c.feed.subscribe(send, { sessions: ctx.query.sessions === '1' });

    const lifetime = Math.min(MAX_STREAM_MS, session.expiresAt.getTime() - c.now());
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
    const ending = setTimeout(() => end(), Math.max(0, lifetime));
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      subscription.unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(ending);
      c.stopping?.removeEventListener('abort', end);
      if (!res.writableEnded) res.end();
    };
    res.on('close', end);
    c.stopping?.addEventListener('abort', end, { once: true });

    // Tracking starts before the first byte: a page that reloads what it shows on "open" misses nothing.
    await subscription.ready;
    ctx.respond = false;
    ctx.status = 200;
    if (ended || c.stopping?.aborted) {
      end();
      return;
    }
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.req.socket.setKeepAlive(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    const waiting = early;
    early = undefined;
    write(`retry: ${RETRY_MS}\n\n`);
    for (const text of waiting) write(text);
  });
}
