import { Op } from 'sequelize';
import type { Models, Escalation } from './models';
import { toChatSessionRecord } from './records';
import type { AlertStatus, ChangeCursor, ChangeSet, EscalationRecord, IConversationRepository } from './types';
import type { WriteGate } from './write-gate';

/**
 * The console's part of the conversation store: escalations (what the inbox shows first) and the change
 * feed its live updates poll. Spread into createConversationRepository.
 */

type EscalationMethods = Pick<
  IConversationRepository,
  | 'recordEscalation'
  | 'recordEscalationAlert'
  | 'acknowledgeEscalation'
  | 'resolveEscalations'
  | 'getOpenEscalations'
  | 'countOpenEscalations'
  | 'getEscalations'
  | 'getChatsByStatus'
  | 'latestChangeCursor'
  | 'getChangesSince'
>;

/** A final alert outcome is never replaced by a later "retrying" (an activity attempt that lost a race). */
const FINAL_ALERT: readonly AlertStatus[] = ['delivered', 'rejected', 'not-configured'];

function parseFlags(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

const dateOrNull = (value: Date | null | undefined): Date | null => (value ? new Date(value) : null);
const clip = (value: string | undefined, max: number): string | null =>
  value === undefined ? null : value.slice(0, max);

export function toEscalationRecord(row: Escalation): EscalationRecord {
  return {
    id: Number(row.id),
    session: row.session,
    chatId: row.chatId,
    escalatedAt: new Date(row.escalatedAt),
    triageLevel: row.triageLevel,
    redFlags: parseFlags(row.redFlags),
    alertStatus: row.alertStatus,
    alertChannel: row.alertChannel ?? null,
    alertDetail: row.alertDetail ?? null,
    alertAt: dateOrNull(row.alertAt),
    acknowledgedBy: row.acknowledgedBy ?? null,
    acknowledgedAt: dateOrNull(row.acknowledgedAt),
    note: row.note ?? null,
    resolvedBy: row.resolvedBy ?? null,
    resolvedAt: dateOrNull(row.resolvedAt),
    updatedAt: new Date(row.updatedAt),
  };
}

export function createEscalationMethods(models: Models, write: WriteGate): EscalationMethods {
  const { ChatSession, ConversationMessage, DeliveryEvent, Escalation } = models;

  const findOpen = (session: string, chatId: string) =>
    Escalation.findOne({
      where: { session, chatId, resolvedAt: null },
      order: [
        ['escalatedAt', 'DESC'],
        ['id', 'DESC'],
      ],
    });

  return {
    recordEscalation: ({ session, chatId, triageLevel, redFlags, at }) =>
      write(async () => {
        const open = await findOpen(session, chatId);
        if (open) {
          const flags = parseFlags(open.redFlags);
          const merged = [...flags, ...redFlags.filter((f) => !flags.includes(f))];
          if (merged.length !== flags.length) await open.update({ redFlags: JSON.stringify(merged) });
          return { record: toEscalationRecord(open), created: false };
        }
        const row = await Escalation.create({
          session,
          chatId,
          escalatedAt: at,
          triageLevel,
          redFlags: JSON.stringify(redFlags),
        });
        return { record: toEscalationRecord(row), created: true };
      }),

    recordEscalationAlert: ({ session, chatId, status, channel, detail, at }) =>
      write(async () => {
        const open = await findOpen(session, chatId);
        if (!open) return null;
        if (FINAL_ALERT.includes(open.alertStatus)) return toEscalationRecord(open);
        await open.update({ alertStatus: status, alertChannel: channel, alertDetail: clip(detail, 256), alertAt: at });
        return toEscalationRecord(open);
      }),

    acknowledgeEscalation: ({ session, chatId, by, at, note }) =>
      write(async () => {
        const open = await findOpen(session, chatId);
        if (!open) return null;
        if (open.acknowledgedAt !== null) return toEscalationRecord(open);
        // Compare-and-set: of two people acknowledging at once, the first one's name stays.
        const [count] = await Escalation.update(
          { acknowledgedBy: by.slice(0, 128), acknowledgedAt: at, note: clip(note, 1000) },
          { where: { id: open.id, acknowledgedAt: null } },
        );
        const fresh = await Escalation.findByPk(open.id);
        if (!fresh) return null;
        if (count === 0 && fresh.acknowledgedAt === null) throw new Error('escalation acknowledgement was lost');
        return toEscalationRecord(fresh);
      }),

    resolveEscalations: ({ session, chatId, by, at }) =>
      write(async () => {
        const [count] = await Escalation.update(
          { resolvedBy: by.slice(0, 128), resolvedAt: at },
          { where: { session, chatId, resolvedAt: null } },
        );
        return count;
      }),

    async getOpenEscalations(limit) {
      const rows = await Escalation.findAll({
        where: { resolvedAt: null },
        order: [
          ['escalatedAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return rows.map(toEscalationRecord);
    },

    countOpenEscalations() {
      return Escalation.count({ where: { resolvedAt: null } });
    },

    async getEscalations(session, chatId, limit) {
      const rows = await Escalation.findAll({
        where: { session, chatId },
        order: [
          ['escalatedAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return rows.map(toEscalationRecord);
    },

    async getChatsByStatus(statuses, limit) {
      const rows = await ChatSession.findAll({
        where: { status: { [Op.in]: statuses } },
        order: [
          ['lastMessageAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return rows.map(toChatSessionRecord);
    },

    async latestChangeCursor(at) {
      const [messageId, deliveryEventId] = await Promise.all([ConversationMessage.max('id'), DeliveryEvent.max('id')]);
      return { messageId: Number(messageId ?? 0), deliveryEventId: Number(deliveryEventId ?? 0), updatedAfter: at };
    },

    async getChangesSince(cursor: ChangeCursor, limit: number): Promise<ChangeSet> {
      const [messages, events, escalations, chats] = await Promise.all([
        ConversationMessage.findAll({
          where: { id: { [Op.gt]: cursor.messageId } },
          attributes: ['id', 'session', 'chatId'],
          order: [['id', 'ASC']],
          limit,
        }),
        DeliveryEvent.findAll({
          where: { id: { [Op.gt]: cursor.deliveryEventId } },
          attributes: ['id', 'session', 'messageId', 'status'],
          order: [['id', 'ASC']],
          limit,
        }),
        Escalation.findAll({
          where: { updatedAt: { [Op.gt]: cursor.updatedAfter } },
          attributes: ['id', 'session', 'chatId', 'updatedAt'],
          order: [['updatedAt', 'ASC']],
          limit,
        }),
        ChatSession.findAll({
          where: { updatedAt: { [Op.gt]: cursor.updatedAfter } },
          attributes: ['session', 'chatId', 'status', 'updatedAt'],
          order: [['updatedAt', 'ASC']],
          limit,
        }),
      ]);
      // Delivery events name a message; the chat comes from its row (one indexed look-up per session).
      const chatOf = new Map<string, string>();
      const bySession = new Map<string, string[]>();
      for (const e of events) bySession.set(e.session, [...(bySession.get(e.session) ?? []), e.messageId]);
      for (const [session, messageIds] of bySession) {
        const rows = await ConversationMessage.findAll({
          where: { session, messageId: { [Op.in]: [...new Set(messageIds)] } },
          attributes: ['session', 'messageId', 'chatId'],
        });
        for (const row of rows) chatOf.set(`${row.session}\n${row.messageId}`, row.chatId);
      }
      return {
        next: {
          messageId: Math.max(cursor.messageId, ...messages.map((m) => Number(m.id))),
          deliveryEventId: Math.max(cursor.deliveryEventId, ...events.map((e) => Number(e.id))),
        },
        messages: messages.map((m) => ({ id: Number(m.id), session: m.session, chatId: m.chatId })),
        deliveries: events.flatMap((e) => {
          const chatId = chatOf.get(`${e.session}\n${e.messageId}`);
          return chatId === undefined
            ? []
            : [{ id: Number(e.id), session: e.session, chatId, messageId: e.messageId, status: e.status }];
        }),
        escalations: escalations.map((e) => ({
          id: Number(e.id),
          session: e.session,
          chatId: e.chatId,
          updatedAt: new Date(e.updatedAt),
        })),
        chats: chats.map((c) => ({
          session: c.session,
          chatId: c.chatId,
          status: c.status,
          updatedAt: new Date(c.updatedAt),
        })),
      };
    },
  };
}
