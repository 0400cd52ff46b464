import type { SessionKeeperStatus } from '../../contracts';
import { markup, type Html } from '../html';
import { fmt, type Strings } from '../strings';
import { page } from './layout';
import { csrfField, notice, timeAgo, timeAt, type ViewContext } from './parts';

export interface SessionCard {
  session: string;
  /** The keeper's status; null when no keeper runs; 'unavailable' when Temporal did not answer. */
  status: SessionKeeperStatus | null | 'unavailable';
  /** Changes whenever the QR image changes, so the page loads the new one. */
  qrVersion?: string;
}

export interface SessionsView {
  sessions: SessionCard[];
  done?: string;
}

export function stateName(t: Strings, status: SessionCard['status']): string {
  if (status === 'unavailable') return t.temporalDown;
  if (status === null) return t.keeperMissing;
  const key = `state${status.state}` as const;
  return t[key];
}

export function qrPath(session: string, version: string): string {
  return `/console/sessions/${encodeURIComponent(session)}/qr.png?v=${encodeURIComponent(version)}`;
}

function card(v: ViewContext, c: SessionCard): Html {
  const { t } = v;
  const s = typeof c.status === 'object' ? c.status : null;
  const state = s?.state ?? 'UNKNOWN';
  const waiting = state === 'QRCODE' || state === 'PHONECODE';
  const stateClass = c.status === 'unavailable' || c.status === null ? 'down' : state.toLowerCase();
  return markup`<section
    class="card session-card"
    aria-labelledby="session-${c.session}"
    data-session="${c.session}"
    data-state="${state}"
  >
    <div class="card-head">
      <h2 id="session-${c.session}">${fmt(t.sessionLabel, { name: c.session })}</h2>
      <span class="badge state-${stateClass}">${stateName(t, c.status)}</span>
    </div>
    ${state === 'CONNECTED' ? markup`<p class="linked" role="status">${t.phoneLinked}</p>` : ''}
    ${
      waiting
        ? s?.qrAvailable && c.qrVersion
          ? markup`<figure class="qr">
              <img
                src="${qrPath(c.session, c.qrVersion)}"
                alt="${fmt(t.qrAlt, { name: c.session })}"
                width="264"
                height="264"
              />
              <figcaption>${t.scanInstructions}</figcaption>
            </figure>`
          : markup`<p class="hint">${t.qrWaiting}</p>`
        : ''
    }
    ${
      s
        ? markup`<dl class="facts">
            <div>
              <dt>${t.since}</dt>
              <dd>${timeAgo(v, new Date(s.since))}</dd>
            </div>
            ${
              s.lastCheckAt
                ? markup`<div>
                    <dt>${t.lastCheck}</dt>
                    <dd>${timeAt(new Date(s.lastCheckAt))}</dd>
                  </div>`
                : ''
            }
            <div>
              <dt>${t.restarts}</dt>
              <dd>${s.restarts}</dd>
            </div>
            ${
              s.lastError
                ? markup`<div>
                    <dt>${t.lastError}</dt>
                    <dd class="error-text">${s.lastError}</dd>
                  </div>`
                : ''
            }
          </dl>`
        : ''
    }
    <form method="post" action="/console/sessions/${encodeURIComponent(c.session)}/restart">
      ${csrfField(v)}
      <button type="submit" aria-describedby="restart-hint-${c.session}">${t.restartSession}</button>
      <p id="restart-hint-${c.session}" class="hint">${t.restartHint}</p>
    </form>
  </section>`;
}

export function sessionCards(v: ViewContext, view: SessionsView): Html {
  return markup`${view.sessions.map((c) => card(v, c))}`;
}

export function sessionsPage(v: ViewContext, view: SessionsView): Html {
  return page(v, {
    title: v.t.sessionsTitle,
    page: 'sessions',
    body: markup`<h1>${v.t.sessionsTitle}</h1>
      ${notice(view.done)}
      <div id="sessions" data-live="sessions" data-partial="/console/sessions?partial=cards">
        ${sessionCards(v, view)}
      </div>`,
  });
}
