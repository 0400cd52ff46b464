import type { ConversationState } from '../../contracts';
import type { ChatSessionRecord, ChatStats, ConversationMessageRecord, EscalationRecord } from '../../db/types';
import { markup, preText, template, type Html } from '../html';
import { fmt } from '../strings';
import { alertText, personName } from './inbox';
import { page } from './layout';
import {
  chatName,
  chatPath,
  csrfField,
  deliveryTicks,
  durationText,
  mediaLabel,
  notice,
  redFlagName,
  senderLabel,
  statusBadge,
  timeAgo,
  timeAt,
  type ViewContext,
} from './parts';

export interface ChatView {
  chat: ChatSessionRecord;
  /** Newest last. */
  messages: ConversationMessageRecord[];
  /** Set when older messages exist: the `before` cursor of the "older" link. */
  olderBefore?: Date;
  /** The open escalation, if any. */
  escalation?: EscalationRecord;
  /** The conversation workflow's state; null when none runs; 'unavailable' when Temporal did not answer. */
  state: ConversationState | null | 'unavailable';
  stats: ChatStats;
  people: Map<string, string>;
  /** False when the chat's WhatsApp session is no longer configured (actions are disabled). */
  configured: boolean;
  /** Makes a resubmitted reply form send once (the conversation de-duplicates its request id). */
  requestKey: string;
  done?: string;
}

export function mediaPath(m: Pick<ConversationMessageRecord, 'session' | 'messageId'>): string {
  return `/console/media/${encodeURIComponent(m.session)}/${encodeURIComponent(m.messageId)}`;
}

function location(m: ConversationMessageRecord): string | undefined {
  const loc = m.metadata.location as { lat?: unknown; lng?: unknown; address?: unknown } | undefined;
  if (!loc || typeof loc.lat !== 'number' || typeof loc.lng !== 'number') return undefined;
  return `${typeof loc.address === 'string' ? `${loc.address} ` : ''}(${loc.lat}, ${loc.lng})`;
}

function media(v: ViewContext, m: ConversationMessageRecord): Html {
  const { t } = v;
  if (m.messageType === 'text') return markup``;
  const kind = mediaLabel(t, m.messageType);
  if (m.messageType === 'location') return markup`<p class="media-note">${kind}: ${location(m) ?? ''}</p>`;
  if (!m.mediaPath) return markup`<p class="media-note">${fmt(t.mediaNotStored, { kind })}</p>`;
  const url = mediaPath(m);
  const name = m.mediaFilename ?? kind;
  switch (m.messageType) {
    case 'image':
    case 'sticker':
      return markup`<a class="media-image" href="${url}" target="_blank" rel="noopener"
        ><img src="${url}" alt="${m.caption ?? kind}" loading="lazy"
      /></a>`;
    case 'audio':
      return markup`<audio controls preload="none" src="${url}" aria-label="${kind}"></audio>`;
    case 'video':
      return markup`<video controls preload="none" src="${url}" aria-label="${kind}"></video>`;
    default:
      return markup`<a class="media-file" href="${url}" download="${name}">${fmt(t.openAttachment, { name })}</a>`;
  }
}

function flags(m: ConversationMessageRecord): string[] {
  return Array.isArray(m.metadata.flags) ? m.metadata.flags.filter((f): f is string => typeof f === 'string') : [];
}

function message(v: ViewContext, m: ConversationMessageRecord): Html {
  const { t } = v;
  const role = senderLabel(t, m.senderType);
  const who = m.senderName && m.senderType !== 'patient' ? fmt(t.senderNamed, { role, name: m.senderName }) : role;
  const outbound = m.direction === 'outbound';
  const reason = m.statusReason && (m.deliveryStatus === 'failed' || flags(m).length > 0) ? m.statusReason : undefined;
  return markup`<li class="msg msg-${outbound ? 'out' : 'in'} sender-${m.senderType}" id="m${m.id}">
    <div class="bubble">
      <p class="msg-head"><span class="msg-who">${who}</span> ${timeAt(m.timestamp)}</p>
      ${m.content ? preText('msg-text', m.content) : ''} ${media(v, m)}
      ${m.caption ? preText('msg-text caption', m.caption) : ''}
      ${outbound ? markup`<p class="msg-status">${deliveryTicks(t, m.deliveryStatus)}</p>` : ''}
      ${reason ? markup`<p class="msg-reason">${flags(m).length > 0 ? fmt(t.flagged, { reason }) : reason}</p>` : ''}
    </div>
  </li>`;
}

/** The live message list (swapped by the browser script when the chat changes). */
export function chatHistory(v: ViewContext, view: ChatView): Html {
  const { t } = v;
  const older = view.olderBefore
    ? markup`<p class="older">
        <a
          href="${chatPath(view.chat.session, view.chat.chatId)}?before=${encodeURIComponent(view.olderBefore.toISOString())}"
          >${t.olderMessages}</a
        >
      </p>`
    : '';
  if (view.messages.length === 0)
    return markup`${older}
      <p class="empty">${t.noMessages}</p>`;
  return markup`${older}
    <ol class="messages" aria-label="${t.conversation}">
      ${view.messages.map((m) => message(v, m))}
    </ol>`;
}

function actionPath(view: ChatView, action: string): string {
  return `${chatPath(view.chat.session, view.chat.chatId)}/${action}`;
}

function escalationCard(v: ViewContext, view: ChatView, e: EscalationRecord): Html {
  const { t } = v;
  const flagsText = e.redFlags.length > 0 ? e.redFlags.map((id) => redFlagName(t, id)).join(', ') : t.noRedFlags;
  return markup`<section class="card escalation" aria-labelledby="escalation-heading">
    <h2 id="escalation-heading">${t.escalationTitle}</h2>
    <dl class="facts">
      <div>
        <dt>${t.redFlags}</dt>
        <dd class="red-flags">${flagsText}</dd>
      </div>
    </dl>
    <p>${template(t.escalatedAt, { time: timeAgo(v, e.escalatedAt) })}</p>
    <p class="alert-line alert-${e.alertStatus}">${alertText(t, e)}</p>
    ${
      e.acknowledgedAt && e.acknowledgedBy
        ? markup`<p class="ack-line ack-done">
              ${template(t.acknowledgedBy, {
                name: personName(view.people, e.acknowledgedBy),
                time: timeAgo(v, e.acknowledgedAt),
              })}
            </p>
            ${e.note ? preText('note', e.note) : ''}`
        : markup`<p class="ack-line ack-missing">${t.notAcknowledged}</p>
            <form method="post" action="${actionPath(view, 'acknowledge')}" class="stack">
              ${csrfField(v)}
              <label for="ack-note">${t.acknowledgeNote}</label>
              <textarea id="ack-note" name="note" rows="2" maxlength="1000"></textarea>
              <button type="submit" class="primary">${t.acknowledge}</button>
            </form>`
    }
  </section>`;
}

function stateText(v: ViewContext, view: ChatView): string {
  const { t } = v;
  const { state } = view;
  if (state === 'unavailable') return t.stateUnknown;
  if (state === null) return t.stateNotStarted;
  const queue = state.queueLength > 0 ? ` (${fmt(t.queueLength, { n: state.queueLength })})` : '';
  if (!state.paused) return `${t.stateAnswering}${queue}`;
  const reason = state.pausedReason === 'escalated' ? t.pausedEscalated : t.pausedHandoff;
  return `${fmt(t.statePaused, { reason, by: personName(view.people, state.pausedBy ?? '?') })}${queue}`;
}

function controls(v: ViewContext, view: ChatView): Html {
  const { t } = v;
  const paused =
    view.chat.status === 'escalated' ||
    view.chat.status === 'handoff' ||
    (typeof view.state === 'object' && view.state !== null && view.state.paused);
  const disabled = view.configured ? '' : markup` disabled`;
  return markup`<section class="card" aria-labelledby="state-heading">
    <h2 id="state-heading">${t.assistantState}</h2>
    <p class="state-line">${stateText(v, view)}</p>
    ${
      paused
        ? markup`<form method="post" action="${actionPath(view, 'handback')}">
            ${csrfField(v)}<button type="submit" class="primary" aria-describedby="handback-hint" ${disabled}>
              ${t.handBack}
            </button>
            <p id="handback-hint" class="hint">${t.handBackHint}</p>
          </form>`
        : markup`<form method="post" action="${actionPath(view, 'takeover')}">
            ${csrfField(v)}<button type="submit" aria-describedby="takeover-hint" ${disabled}>${t.takeOver}</button>
            <p id="takeover-hint" class="hint">${t.takeOverHint}</p>
          </form>`
    }
  </section>`;
}

function patientCard(v: ViewContext, view: ChatView): Html {
  const { t } = v;
  const disabled = view.configured ? '' : markup` disabled`;
  return markup`<section class="card" aria-labelledby="patient-heading">
    <h2 id="patient-heading">${t.patientRecord}</h2>
    <p>${view.chat.patientId ? fmt(t.linkedTo, { id: view.chat.patientId }) : t.noPatient}</p>
    <form method="post" action="${actionPath(view, 'patient')}" class="inline-form">
      ${csrfField(v)}
      <label for="patient-id">${t.patientId}</label>
      <input id="patient-id" name="patientId" required maxlength="100" value="${view.chat.patientId ?? ''}" />
      <button type="submit" ${disabled}>${t.linkPatient}</button>
    </form>
  </section>`;
}

function statsCard(v: ViewContext, s: ChatStats): Html {
  const { t } = v;
  const row = (label: string, value: Html | string) =>
    markup`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  return markup`<section class="card" aria-labelledby="stats-heading">
    <h2 id="stats-heading">${t.statistics}</h2>
    <dl class="stats">
      ${row(t.statTotal, String(s.total))} ${row(t.statInbound, String(s.byDirection.inbound))}
      ${row(t.statOutbound, String(s.byDirection.outbound))}
      ${row(t.statFirst, s.firstMessageAt ? timeAt(s.firstMessageAt) : t.statNone)}
      ${row(t.statLast, s.lastMessageAt ? timeAt(s.lastMessageAt) : t.statNone)}
      ${row(t.statMedian, durationText(t, s.responseTimeMs.median))}
      ${row(t.statP90, durationText(t, s.responseTimeMs.p90))}
    </dl>
  </section>`;
}

/** The live side panel: escalation, assistant state and controls, patient record, statistics. */
export function chatPanel(v: ViewContext, view: ChatView): Html {
  return markup`${view.escalation ? escalationCard(v, view, view.escalation) : ''} ${controls(v, view)}
  ${patientCard(v, view)} ${statsCard(v, view.stats)}`;
}

export function chatPage(v: ViewContext, view: ChatView): Html {
  const { t } = v;
  const name = chatName(view.chat);
  const base = chatPath(view.chat.session, view.chat.chatId);
  const disabled = view.configured ? '' : markup` disabled`;
  const operatorName = v.operator?.displayName ?? '';
  return page(v, {
    title: fmt(t.chatWith, { name }),
    page: 'chat',
    data: { session: view.chat.session, chat: view.chat.chatId },
    body: markup`<p class="back"><a href="/console/inbox">← ${t.backToInbox}</a></p>
      <div class="chat-title">
        <h1>${fmt(t.chatWith, { name })}</h1>
        ${statusBadge(t, view.chat.status)}
      </div>
      <p class="meta">
        ${t.contact}: ${view.chat.contactPhone ? `+${view.chat.contactPhone} · ` : ''}${view.chat.chatId} ·
        ${view.chat.session}
      </p>
      ${notice(view.done)}
      ${view.configured ? '' : notice(t.sessionNotConfigured, 'error')}
      ${
        view.escalation && !view.escalation.acknowledgedAt
          ? markup`<p class="notice notice-error"><a href="#escalation-heading">${t.escalationWaiting}</a></p>`
          : ''
      }
      <div class="chat-layout">
        <section class="conversation" aria-labelledby="conversation-heading">
          <h2 id="conversation-heading" class="visually-hidden">${t.conversation}</h2>
          <div id="history" data-live="chat" data-partial="${base}?partial=history">${chatHistory(v, view)}</div>
          <form method="post" action="${base}/reply" class="composer" id="composer">
            ${csrfField(v)}
            <input type="hidden" name="requestKey" value="${view.requestKey}" />
            <label for="reply">${fmt(t.replyLabel, { name: operatorName })}</label>
            <textarea
              id="reply"
              name="text"
              rows="3"
              required
              maxlength="4096"
              aria-describedby="reply-hint"
              ${disabled}
            ></textarea>
            <div class="composer-row">
              <p id="reply-hint" class="hint">${t.replyHint}</p>
              <button type="submit" class="primary" ${disabled}>${t.replySend}</button>
            </div>
          </form>
        </section>
        <aside class="side" id="panel" data-live="chat" data-partial="${base}?partial=panel" aria-label="${t.actions}">
          ${chatPanel(v, view)}
        </aside>
      </div>`,
  });
}
