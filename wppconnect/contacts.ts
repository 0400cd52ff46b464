/**
 * `@lid` senders: WhatsApp increasingly hides a person's phone number behind an opaque LID, so a patient
 * record keyed by phone would never match (wppconnect/CONTRACT.md §7.11). contact/pn-lid tells the number; answers are
 * cached, because every message of that person carries the same LID.
 */
import { chatKind } from './ids';
import type { IWhatsAppService } from './types';

export interface LidResolver {
  /**
   * Digits of the phone number behind `id` when it is an `@lid` id WhatsApp will map, else undefined.
   * Never throws: a failed or slow look-up is simply not known (and asked again later).
   */
  phoneFor(session: string, id: string): Promise<string | undefined>;
}

export interface LidResolverOptions {
  wpp: Pick<IWhatsAppService, 'getPhoneForLid'>;
  /** How long a found number is kept (default 24 h: a LID's number changes only if the person changes it). */
  ttlMs?: number;
  /** How long "no number" or a failure is kept before asking again (default 5 minutes). */
  missTtlMs?: number;
  /** Entries kept (default 10,000; the oldest go first). */
  maxEntries?: number;
  /** A look-up slower than this is given up (default: none); the webhook path cannot wait long. */
  deadlineMs?: number;
  now?: () => number;
}

export function createLidResolver({
  wpp,
  ttlMs = 24 * 60 * 60_000,
  missTtlMs = 5 * 60_000,
  maxEntries = 10_000,
  deadlineMs,
  now = Date.now,
}: LidResolverOptions): LidResolver {
  const cache = new Map<string, { phone?: string; until: number }>();
  const pending = new Map<string, Promise<string | undefined>>();

  const remember = (key: string, phone: string | undefined): void => {
    cache.delete(key);
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, { phone, until: now() + (phone === undefined ? missTtlMs : ttlMs) });
  };

  const lookUp = async (session: string, id: string, key: string): Promise<string | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const asked = wpp.getPhoneForLid(session, id).then((phone) => phone ?? undefined);
      const phone =
        deadlineMs === undefined
          ? await asked
          : await Promise.race([
              asked,
              new Promise<undefined>((resolve) => {
                timer = setTimeout(() => resolve(undefined), deadlineMs);
              }),
            ]);
      remember(key, phone);
      return phone;
    } catch {
      // The client logged it (event 2001); the message goes on without a number.
      remember(key, undefined);
      return undefined;
    } finally {
      if (timer) clearTimeout(timer);
    }
  };

  return {
    async phoneFor(session, id) {
      if (chatKind(id) !== 'lid') return undefined;
      const key = `${session}\n${id}`;
      const cached = cache.get(key);
      if (cached && cached.until > now()) return cached.phone;
      let asking = pending.get(key);
      if (!asking) {
        asking = lookUp(session, id, key).finally(() => pending.delete(key));
        pending.set(key, asking);
      }
      return asking;
    },
  };
}
