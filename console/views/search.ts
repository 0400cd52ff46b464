import type { ConversationMessageRecord } from '../../db/types';
import { markup, preText, type Html } from '../html';
import { plural } from '../strings';
import { page } from './layout';
import { chatPath, mediaLabel, notice, senderLabel, timeAt, type ViewContext } from './parts';
import { MESSAGE_TYPES, SENDER_TYPES } from '../../api/schemas/common';

export interface SearchForm {
  q?: string;
  chatId?: string;
  senderType?: string;
  messageType?: string;
  /** As typed in the form (datetime-local values). */
  from?: string;
  to?: string;
  /** Minutes east of UTC of the reader's zone (set by the browser script). */
  tz?: string;
}

export interface SearchView {
  form: SearchForm;
  result?: { total: number; items: ConversationMessageRecord[]; offset: number; limit: number };
  error?: string;
}

function pageLink(form: SearchForm, offset: number, label: string): Html {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form) as [string, string | undefined][]) if (value) params.set(key, value);
  params.set('offset', String(offset));
  return markup`<a href="/console/search?${params.toString()}">${label}</a>`;
}

function item(v: ViewContext, m: ConversationMessageRecord): Html {
  const { t } = v;
  const text = m.content ?? m.caption ?? '';
  const kind = m.messageType === 'text' ? '' : `${mediaLabel(t, m.messageType)} · `;
  return markup`<li class="result">
    <p class="msg-head">
      <a href="${chatPath(m.session, m.chatId)}#m${m.id}">${m.chatId}</a> ·
      ${senderLabel(t, m.senderType)}${m.senderName && m.senderType !== 'patient' ? ` (${m.senderName})` : ''} ·
      ${kind}${timeAt(m.timestamp)}
    </p>
    ${preText('msg-text', text.length > 400 ? `${text.slice(0, 400)}…` : text)}
  </li>`;
}

export function searchPage(v: ViewContext, view: SearchView): Html {
  const { t } = v;
  const f = view.form;
  const option = (value: string, label: string, selected: string | undefined) =>
    markup`<option value="${value}" ${value === (selected ?? '') ? markup` selected` : ''}>${label}</option>`;
  const r = view.result;
  return page(v, {
    title: t.searchTitle,
    page: 'search',
    body: markup`<h1>${t.searchTitle}</h1>
      <form method="get" action="/console/search" class="search-form" role="search">
        <input type="hidden" name="tz" value="${f.tz ?? ''}" data-timezone-offset />
        <div class="field wide">
          <label for="q">${t.searchWords}</label
          ><input id="q" name="q" type="search" required maxlength="200" value="${f.q ?? ''}" />
        </div>
        <div class="field">
          <label for="chatId">${t.searchChat}</label
          ><input id="chatId" name="chatId" maxlength="100" value="${f.chatId ?? ''}" />
        </div>
        <div class="field">
          <label for="senderType">${t.searchSender}</label>
          <select id="senderType" name="senderType">
            ${option('', t.any, f.senderType)}${SENDER_TYPES.map((s) => option(s, senderLabel(t, s), f.senderType))}
          </select>
        </div>
        <div class="field">
          <label for="messageType">${t.searchType}</label>
          <select id="messageType" name="messageType">
            ${option('', t.any, f.messageType)}${MESSAGE_TYPES.map((m) =>
              option(m, m === 'text' ? t.typeText : mediaLabel(t, m), f.messageType),
            )}
          </select>
        </div>
        <div class="field">
          <label for="from">${t.searchFrom}</label
          ><input id="from" name="from" type="datetime-local" value="${f.from ?? ''}" />
        </div>
        <div class="field">
          <label for="to">${t.searchTo}</label><input id="to" name="to" type="datetime-local" value="${f.to ?? ''}" />
        </div>
        <div class="field"><button type="submit" class="primary">${t.searchButton}</button></div>
      </form>
      ${notice(view.error, 'error')}
      ${
        r
          ? markup`<section aria-labelledby="results-heading">
              <h2 id="results-heading">${r.total === 0 ? t.searchNone : plural(t, 'searchResults', r.total)}</h2>
              <ol class="results">
                ${r.items.map((m) => item(v, m))}
              </ol>
              <nav class="pager" aria-label="${t.pages}">
                ${r.offset > 0 ? pageLink(f, Math.max(0, r.offset - r.limit), t.previousPage) : ''}
                ${r.offset + r.items.length < r.total ? pageLink(f, r.offset + r.limit, t.nextPage) : ''}
              </nav>
            </section>`
          : ''
      }`,
  });
}
