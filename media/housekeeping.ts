import type { IConversationRepository } from '../db/types';
import type { Logger } from '../observability/logger';
import { MediaError, type MediaStore } from './store';

/**
 * The life cycle of media at rest, run by the worker process every HOUSEKEEPING_INTERVAL_MS:
 *
 * - A staging file is written by the API just before it hands the message to Temporal, and removed by the
 *   media activity once stored (or by the API when Temporal refused it). One still there a day later
 *   belongs to a message whose workflow never started (the API crashed in between) or never got to its
 *   media; in that second case the activity fetches the media from WPPConnect instead. Either way it goes.
 * - Temporary files of interrupted writes go after the same day.
 * - With MEDIA_RETENTION_DAYS, inbound media older than that is deleted and its message row says so
 *   (Metadata.mediaRemoved), and outbound files older than that too. Without it media is kept.
 *
 * Every step is idempotent, so several worker replicas running it at once only repeat each other.
 *
 * Why a timer in the worker process rather than a workflow (a Temporal Schedule or a session-keeper step):
 * the work is local file deletion plus two queries with nothing to make durable (a pass that dies is simply
 * the next pass), the worker is the process that has the database and the media folder, and a workflow
 * step would add an activity and history events to the session keeper every hour for no recovery benefit.
 */

export const STAGING_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;
const RETENTION_BATCH = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface MediaHousekeepingDeps {
  repo: Pick<IConversationRepository, 'findMessagesWithMediaBefore' | 'markMediaRemoved'>;
  mediaStore: Pick<MediaStore, 'sweep' | 'removeInbound'>;
  /** MEDIA_RETENTION_DAYS; undefined keeps media. */
  retentionDays?: number;
  logger: Logger;
  now?: () => number;
}

export interface HousekeepingReport {
  /** Staging files of messages whose workflow never took them. */
  staged: number;
  /** Leftovers of interrupted writes. */
  temporary: number;
  /** Outbound files past retention. */
  outbound: number;
  /** Inbound media past retention (file deleted, row updated). */
  expired: number;
}

export async function runMediaHousekeeping(deps: MediaHousekeepingDeps): Promise<HousekeepingReport> {
  const { repo, mediaStore, retentionDays, logger } = deps;
  const now = (deps.now ?? Date.now)();
  const staleBefore = new Date(now - STAGING_MAX_AGE_MS);
  const report: HousekeepingReport = {
    staged: await mediaStore.sweep('staging', staleBefore),
    temporary: await mediaStore.sweep('temporary', staleBefore),
    outbound: 0,
    expired: 0,
  };
  if (retentionDays === undefined) return report;

  const before = new Date(now - retentionDays * DAY_MS);
  report.outbound = await mediaStore.sweep('outbound', before);
  const removal = { at: new Date(now), reason: `MEDIA_RETENTION_DAYS=${retentionDays}` };
  const skipped = new Set<number>();
  for (;;) {
    const rows = (await repo.findMessagesWithMediaBefore({ before, limit: RETENTION_BATCH + skipped.size })).filter(
      (row) => !skipped.has(row.id),
    );
    for (const row of rows) {
      if (row.mediaPath === null) continue;
      try {
        await mediaStore.removeInbound(row.mediaPath);
      } catch (err) {
        if (!(err instanceof MediaError)) throw err;
        // Not a path this store wrote: leave the row alone rather than delete something else.
        skipped.add(row.id);
        logger.warn({ rowId: row.id }, 'media housekeeping: a message row points outside the media store');
        continue;
      }
      await repo.markMediaRemoved(row.session, row.messageId, row.mediaPath, removal);
      report.expired += 1;
    }
    if (rows.length < RETENTION_BATCH) break;
  }
  return report;
}

/** Runs housekeeping now and then every `intervalMs`; a pass still running makes the next one skip. */
export function startMediaHousekeeping(deps: MediaHousekeepingDeps & { intervalMs?: number }): {
  stop(): void;
  /** Settles when the pass in progress (if any) is over. */
  idle(): Promise<void>;
} {
  let running: Promise<void> | undefined;
  const pass = (): void => {
    if (running !== undefined) return;
    running = runMediaHousekeeping(deps)
      .then((report) => {
        if (Object.values(report).some((n) => n > 0)) deps.logger.info({ ...report }, 'media housekeeping');
      })
      .catch((err: unknown) => {
        deps.logger.error({ errMessage: (err as Error)?.message }, 'media housekeeping failed');
      })
      .finally(() => {
        running = undefined;
      });
  };
  pass();
  const timer = setInterval(pass, deps.intervalMs ?? HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    idle: () => running ?? Promise.resolve(),
  };
}
