/**
 * The console's browser script (bundled by esbuild, served at /console/assets/console.js). The pages work
 * without it; it adds what a form cannot: live updates over server-sent events (the server says which chat
 * or session changed, the script fetches that part of the page again), times kept current in the reader's
 * time zone, Ctrl+Enter to send a reply, and no double submits.
 */

interface ClientStrings {
  lang: string;
  justNow: string;
  minutesAgo: string;
  hoursAgo: string;
  daysAgo: string;
  liveOn: string;
  liveReconnecting: string;
  liveOff: string;
  newEmergency: string;
  phoneLinked: string;
  sessionEnded: string;
}

type FeedEvent =
  | { type: 'chat'; session: string; chatId: string; why: string }
  | { type: 'escalations'; open: number }
  | { type: 'session'; session: string; state: string; qrAvailable: boolean; qrVersion?: string };

const strings = JSON.parse(document.getElementById('console-strings')?.textContent ?? '{}') as ClientStrings;
const page = document.body.dataset.page ?? '';
const fmt = (template: string, n: number): string => template.replace('{n}', String(n));

// ---------------------------------------------------------------------------------------------
// Times

function relative(at: Date): string {
  const seconds = Math.max(0, Math.round((Date.now() - at.getTime()) / 1000));
  if (seconds < 60) return strings.justNow;
  if (seconds < 3600) return fmt(strings.minutesAgo, Math.floor(seconds / 60));
  if (seconds < 86_400) return fmt(strings.hoursAgo, Math.floor(seconds / 3600));
  return fmt(strings.daysAgo, Math.floor(seconds / 86_400));
}

const absolute = new Intl.DateTimeFormat(strings.lang || undefined, { dateStyle: 'short', timeStyle: 'short' });

function refreshTimes(root: ParentNode = document): void {
  root.querySelectorAll<HTMLTimeElement>('time[data-relative]').forEach((el) => {
    const at = new Date(el.dateTime);
    if (Number.isNaN(at.getTime())) return;
    el.textContent = relative(at);
    el.title = absolute.format(at);
  });
  root.querySelectorAll<HTMLTimeElement>('time[data-absolute]').forEach((el) => {
    const at = new Date(el.dateTime);
    if (!Number.isNaN(at.getTime())) el.textContent = absolute.format(at);
  });
}

// ---------------------------------------------------------------------------------------------
// Live regions: elements with data-live and data-partial are fetched again when what they show changes.

const live = document.getElementById('live');
function say(text: string): void {
  if (live) live.textContent = text;
}

const pending = new Map<HTMLElement, number>();
let source: EventSource | undefined;
let signedOut = false;

type Field = HTMLInputElement | HTMLTextAreaElement;

/**
 * Swaps a region for its new HTML without losing what the operator is doing in it: text typed in its
 * fields, the focus and the caret come back on the elements with the same id.
 */
function swap(region: HTMLElement, html: string): void {
  const typed = new Map<string, string>();
  region.querySelectorAll<Field>('input[id], textarea[id]').forEach((field) => {
    if (field.value !== field.defaultValue) typed.set(field.id, field.value);
  });
  const active = document.activeElement;
  const focused = active instanceof HTMLElement && region.contains(active) ? active.id : '';
  const caret =
    active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement
      ? [active.selectionStart, active.selectionEnd]
      : undefined;
  region.innerHTML = html;
  for (const [id, value] of typed) {
    const field = document.getElementById(id);
    if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) field.value = value;
  }
  if (focused) {
    const again = document.getElementById(focused);
    again?.focus();
    if ((again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement) && caret) {
      again.setSelectionRange(caret[0] ?? null, caret[1] ?? null);
    }
  }
}

async function reload(region: HTMLElement): Promise<void> {
  const url = region.dataset.partial;
  if (!url || signedOut) return;
  const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  if (res.status === 401) {
    // Not redirected: the operator may have typed a reply; the next form sent leads to the sign-in page.
    signedOut = true;
    source?.close();
    document.body.dataset.live = 'off';
    say(strings.sessionEnded);
    return;
  }
  if (!res.ok) return;
  const html = await res.text();
  const scroller = region.id === 'history' ? region : null;
  const atBottom = scroller ? scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40 : false;
  swap(region, html);
  refreshTimes(region);
  if (scroller && atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/** Coalesces bursts of events into one fetch per region. */
function schedule(region: HTMLElement): void {
  if (pending.has(region)) return;
  pending.set(
    region,
    window.setTimeout(() => {
      pending.delete(region);
      void reload(region).catch(() => undefined);
    }, 100),
  );
}

const regions = (kind: string): HTMLElement[] =>
  Array.from(document.querySelectorAll<HTMLElement>(`[data-live="${kind}"]`));

function onEvent(event: FeedEvent): void {
  switch (event.type) {
    case 'chat':
      if (page === 'inbox') regions('inbox').forEach(schedule);
      if (
        page === 'chat' &&
        document.body.dataset.session === event.session &&
        document.body.dataset.chat === event.chatId
      ) {
        regions('chat').forEach(schedule);
      }
      return;
    case 'escalations': {
      const badge = document.getElementById('emergency-count');
      const before = Number(badge?.querySelector('[aria-hidden]')?.textContent ?? '0');
      if (badge) {
        badge.hidden = event.open === 0;
        const visible = badge.querySelector('[aria-hidden]');
        if (visible) visible.textContent = String(event.open);
      }
      if (event.open > before) say(strings.newEmergency);
      return;
    }
    case 'session': {
      if (page !== 'sessions') return;
      const card = document.querySelector<HTMLElement>(`[data-session="${CSS.escape(event.session)}"]`);
      if (event.state === 'CONNECTED' && card?.dataset.state !== 'CONNECTED') say(strings.phoneLinked);
      regions('sessions').forEach(schedule);
      return;
    }
  }
}

function connect(): void {
  const url = page === 'sessions' ? '/console/events?sessions=1' : '/console/events';
  source = new EventSource(url);
  const events = source;
  let opened = false;
  events.addEventListener('open', () => {
    say(strings.liveOn);
    document.body.dataset.live = 'on';
    // Whatever changed while the page loaded or the stream reconnected: fetch the live parts once.
    if (opened || page !== 'sessions') document.querySelectorAll<HTMLElement>('[data-live]').forEach(schedule);
    opened = true;
  });
  events.addEventListener('error', () => {
    if (signedOut) return;
    document.body.dataset.live = events.readyState === EventSource.CLOSED ? 'off' : 'reconnecting';
    say(events.readyState === EventSource.CLOSED ? strings.liveOff : strings.liveReconnecting);
  });
  for (const type of ['chat', 'escalations', 'session']) {
    events.addEventListener(type, (message) => {
      try {
        onEvent(JSON.parse((message as MessageEvent<string>).data) as FeedEvent);
      } catch {
        // A malformed event is ignored; the next one or a reconnect brings the page up to date.
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Forms

function enhanceForms(): void {
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.submitting === 'true') {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = 'true';
    form
      .querySelectorAll<HTMLButtonElement>('button[type="submit"]')
      .forEach((b) => b.setAttribute('aria-disabled', 'true'));
  });
  const reply = document.getElementById('reply');
  reply?.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      reply.closest('form')?.requestSubmit();
    }
  });
}

/** The search form's dates are typed in the reader's zone: tell the server its offset. */
function timezoneOffset(): void {
  document.querySelectorAll<HTMLInputElement>('input[data-timezone-offset]').forEach((input) => {
    input.value = String(-new Date().getTimezoneOffset());
  });
}

function scrollHistory(): void {
  const history = document.getElementById('history');
  if (history && !window.location.hash.startsWith('#m')) history.scrollTop = history.scrollHeight;
}

refreshTimes();
timezoneOffset();
enhanceForms();
scrollHistory();
if (page !== 'login' && page !== 'error') connect();
window.setInterval(() => refreshTimes(), 30_000);
