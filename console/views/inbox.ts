import type { ChatSessionRecord, EscalationRecord } from '../../db/types';
import { markup, template, type Html } from '../html';
import { fmt, plural, type Strings } from '../strings';
import { page } from './layout';
import { chatName, chatPath, redFlagName, statusBadge, timeAgo, type ViewContext } from './parts';

export interface InboxItem {
  chat: ChatSessionRecord;
  /** The chat's open escalation, when it has one. */
  escalation?: EscalationRecord;
}

export interface InboxView {
  /** Escalated chats first (unacknowledged before acknowledged), then chats a person took over. */
  waiting: InboxItem[];
  recent: ChatSessionRecord[];
  /** Display names of the people named in `acknowledgedBy`. */
  people: Map<string, string>;
}

export function alertText(t: Strings, e: EscalationRecord): string {
  const detail = e.alertDetail ?? '';
  switch (e.alertStatus) {
    case 'delivered':
      return t.alertDelivered;
    case 'not-configured':
      return t.alertNotConfigured;
    case 'retrying':
      return fmt(t.alertRetrying, { detail });
    case 'rejected':
      return fmt(t.alertRejected, { detail });
    default:
      return t.alertPending;
  }
}

/** "console:ana" → Ana's display name when known. */
export function personName(people: Map<string, string>, by: string): string {
  return people.get(by) ?? by.replace(/^console:/, '');
}

function escalationFacts(v: ViewContext, e: EscalationRecord, people: Map<string, string>): Html {
  const { t } = v;
  const flags = e.redFlags.length > 0 ? e.redFlags.map((id) => redFlagName(t, id)).join(', ') : t.noRedFlags;
  return markup`<dl class="facts">
      <div>
        <dt>${t.redFlags}</dt>
        <dd class="red-flags">${flags}</dd>
      </div>
      <div>
        <dt class="visually-hidden">${t.escalationTitle}</dt>
        <dd>${template(t.escalatedAt, { time: timeAgo(v, e.escalatedAt) })}</dd>
      </div>
    </dl>
    <p class="alert-line alert-${e.alertStatus}">${alertText(t, e)}</p>
    <p class="ack-line${e.acknowledgedAt ? ' ack-done' : ' ack-missing'}">
      ${
        e.acknowledgedAt && e.acknowledgedBy
          ? template(t.acknowledgedBy, {
              name: personName(people, e.acknowledgedBy),
              time: timeAgo(v, e.acknowledgedAt),
            })
          : t.notAcknowledged
      }
    </p>`;
}

function card(v: ViewContext, item: InboxItem, people: Map<string, string>): Html {
  const { t } = v;
  const { chat, escalation } = item;
  const name = chatName(chat);
  return markup`<li
    class="chat-card status-${chat.status}${escalation && !escalation.acknowledgedAt ? ' unacknowledged' : ''}"
    data-chat="${chat.session}|${chat.chatId}"
  >
    <div class="card-head">
      <a class="chat-link" href="${chatPath(chat.session, chat.chatId)}" aria-label="${fmt(t.openChat, { name })}"
        >${name}</a
      >
      ${statusBadge(t, chat.status)}
    </div>
    ${escalation ? escalationFacts(v, escalation, people) : ''}
    <p class="meta">
      ${chat.lastMessageAt ? markup`${template(t.lastMessageAt, { time: timeAgo(v, chat.lastMessageAt) })} · ` : ''}${plural(t, 'messageCount', chat.totalMessages)}
    </p>
  </li>`;
}

/** The live part of the inbox (the browser script swaps it when something changes). */
export function inboxLists(v: ViewContext, view: InboxView): Html {
  const { t } = v;
  return markup`<section aria-labelledby="waiting-heading" class="inbox-section">
      <h2 id="waiting-heading">${t.needsHuman} <span class="count">(${view.waiting.length})</span></h2>
      ${
        view.waiting.length === 0
          ? markup`<p class="empty">${t.needsHumanEmpty}</p>`
          : markup`<ul class="chat-list" id="waiting-list">
              ${view.waiting.map((item) => card(v, item, view.people))}
            </ul>`
      }
    </section>
    <section aria-labelledby="recent-heading" class="inbox-section">
      <h2 id="recent-heading">${t.recentChats}</h2>
      ${
        view.recent.length === 0
          ? markup`<p class="empty">${t.recentEmpty}</p>`
          : markup`<ul class="chat-list" id="recent-list">
              ${view.recent.map((chat) => card(v, { chat }, view.people))}
            </ul>`
      }
    </section>`;
}

export function inboxPage(v: ViewContext, view: InboxView): Html {
  return page(v, {
    title: v.t.inboxTitle,
    page: 'inbox',
    body: markup`<h1>${v.t.inboxTitle}</h1>
      <div id="inbox" data-live="inbox" data-partial="/console/inbox?partial=lists">${inboxLists(v, view)}</div>`,
  });
}
