/**
 * Which patient messages have been answered, and when the reply left: the path's database names the
 * messages each assistant reply answers (`metadata.inReplyTo`), the simulator records when it accepted the
 * send of that reply. One query and one simulator call per refresh, whatever the number of chats, so the
 * bench can poll while the pipeline drains without loading the machine.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { SimClient } from '../../simulator/control-client';

interface ReplyRow {
  messageId: string;
  metadata: string;
}

export interface AnswerTracker {
  /** Reads the replies recorded so far (the database only). */
  refreshReplies(): Promise<void>;
  /** Reads when the simulator accepted each send (the send times). */
  refreshSends(): Promise<void>;
  /** The reply covering this patient message was recorded. */
  isAnswered(messageId: string): boolean;
  /** Epoch ms the simulator accepted the send of the reply covering this message; undefined when none yet. */
  answeredAt(messageId: string): number | undefined;
  /** Replies recorded (distinct sends of the assistant). */
  replies(): number;
}

export function createAnswerTracker(sequelize: Sequelize, sim: SimClient, session: string): AnswerTracker {
  const replyOf = new Map<string, string>();
  const sendAt = new Map<string, number>();
  let replyCount = 0;
  return {
    async refreshReplies() {
      const rows = await sequelize.query<ReplyRow>(
        `SELECT MessageId AS messageId, Metadata AS metadata FROM ConversationMessages
          WHERE Session = :session AND Direction = 'outbound' AND SenderType = 'assistant'`,
        { replacements: { session }, type: QueryTypes.SELECT },
      );
      replyCount = 0;
      for (const row of rows) {
        // A reply still waiting for its send has a pending row; it answers nothing yet.
        if (row.messageId.startsWith('pending:') || row.messageId.startsWith('failed:')) continue;
        replyCount += 1;
        let inReplyTo: unknown;
        try {
          inReplyTo = (JSON.parse(row.metadata) as { inReplyTo?: unknown }).inReplyTo;
        } catch {
          continue;
        }
        if (!Array.isArray(inReplyTo)) continue;
        for (const id of inReplyTo) if (typeof id === 'string' && !replyOf.has(id)) replyOf.set(id, row.messageId);
      }
    },
    async refreshSends() {
      for (const s of await sim.sent(session)) sendAt.set(s.messageId, Date.parse(s.at));
    },
    isAnswered: (messageId) => replyOf.has(messageId),
    answeredAt(messageId) {
      const reply = replyOf.get(messageId);
      return reply === undefined ? undefined : sendAt.get(reply);
    },
    replies: () => replyCount,
  };
}
