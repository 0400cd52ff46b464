import {
  Op,
  QueryTypes,
  UniqueConstraintError,
  literal,
  type Sequelize,
  type Transaction,
  type WhereOptions,
} from 'sequelize';
import { createEscalationMethods } from './escalations';
import { defineModels, type ConversationMessage } from './models';
import { parseMetadata, toChatSessionRecord, toMessageRecord, toOutboundRequestRecord } from './records';
import { buildSearchSql, type SearchDialect } from './search-sql';
import { median, percentile, responseTimesMs } from './stats';
import {
  DELIVERY_ORDER,
  isForwardMove,
  type ChatStats,
  type DeliveryStatus,
  type IConversationRepository,
  type LogMessageInput,
  type LogMessageResult,
  type OutboundRequestStatus,
} from './types';
import { createWriteGate } from './write-gate';

/** How often a compare-and-set status update is retried when another writer moved the row first. */
const MAX_CAS_ATTEMPTS = 8;
/** Keeps IN lists well below SQL Server's 2100-parameter limit. */
const IN_CHUNK = 500;
const DELIVERY_STATUSES = Object.keys(DELIVERY_ORDER) as DeliveryStatus[];
/** Chats whose row a repository remembers having seen (about 100 bytes each). */
const KNOWN_CHATS_MAX = 10_000;

/** Free text bound for a bounded column (PostgreSQL and SQL Server reject over-long values). */
function clip<T extends string | null | undefined>(value: T, max: number): T {
  return (typeof value === 'string' && value.length > max ? value.slice(0, max) : value) as T;
}

interface StatusEvent {
  status: DeliveryStatus;
  reason?: string | null;
}

export function createConversationRepository(sequelize: Sequelize): IConversationRepository {
  const models = defineModels(sequelize);
  const { ChatSession, ConversationMessage, DeliveryEvent, OutboundRequest } = models;
  const write = createWriteGate(sequelize);
  const dialect = sequelize.getDialect() as SearchDialect;
  const quote = (name: string): string => sequelize.getQueryInterface().quoteIdentifier(name);
  let mssqlFullText: Promise<boolean> | undefined;
  let closing: Promise<void> | undefined;

  /**
   * Chats this process has seen a row for. Chat rows are never deleted by the service, so a message of a
   * known chat skips the look-up; a row removed by hand is noticed by the count (countMessageOnChat) and
   * created again. Bounded: forgotten all at once when full (it only saves a read).
   */
  const knownChats = new Set<string>();
  const chatKey = (session: string, chatId: string): string => `${session}\u0000${chatId}`;

  /** Inserts the chat row if absent; a concurrent insert of the same chat is not an error. */
  async function ensureChatSession(session: string, chatId: string): Promise<void> {
    const key = chatKey(session, chatId);
    if (knownChats.has(key)) return;
    const existing = await ChatSession.findOne({ where: { session, chatId }, attributes: ['id'] });
    if (!existing) {
      try {
        await ChatSession.create({ session, chatId });
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
      }
    }
    if (knownChats.size >= KNOWN_CHATS_MAX) knownChats.clear();
    knownChats.add(key);
  }

  /**
   * Counts the new message on its chat row in one statement, so concurrent inserts never lose a count.
   * Returns how many chat rows it counted on (0: the row is gone).
   */
  async function countMessageOnChat(input: LogMessageInput, transaction?: Transaction): Promise<number> {
    const at = sequelize.escape(input.timestamp);
    const first = quote('FirstMessageAt');
    const last = quote('LastMessageAt');
    const [counted] = await ChatSession.update(
      {
        totalMessages: literal(`${quote('TotalMessages')} + 1`),
        firstMessageAt: literal(`CASE WHEN ${first} IS NULL OR ${first} > ${at} THEN ${at} ELSE ${first} END`),
        lastMessageAt: literal(`CASE WHEN ${last} IS NULL OR ${last} < ${at} THEN ${at} ELSE ${last} END`),
        ...(input.contactName ? { contactName: clip(input.contactName, 256) } : {}),
        ...(input.contactPhone ? { contactPhone: input.contactPhone } : {}),
      },
      { where: { session: input.session, chatId: input.chatId }, transaction },
    );
    return counted;
  }

  /**
   * Moves a message's status forward through `events` (in arrival order) with compare-and-set,
   * re-reading when another writer got there first. Null when the message is not recorded.
   */
  async function advanceStatus(
    session: string,
    messageId: string,
    events: StatusEvent[],
  ): Promise<{ row: ConversationMessage; previous: DeliveryStatus; changed: boolean } | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const row = await ConversationMessage.findOne({ where: { session, messageId } });
      if (!row) return null;
      const previous = row.deliveryStatus;
      let status = previous;
      let reason = row.statusReason;
      for (const event of events) {
        if (!isForwardMove(status, event.status)) continue;
        status = event.status;
        reason = clip(event.reason, 512) ?? reason;
      }
      if (status === previous) return { row, previous, changed: false };
      const [count] = await ConversationMessage.update(
        { deliveryStatus: status, statusReason: reason },
        { where: { id: row.id, deliveryStatus: previous } },
      );
      if (count === 1) {
        row.set({ deliveryStatus: status, statusReason: reason });
        return { row, previous, changed: true };
      }
    }
    throw new Error(`delivery status of ${messageId} kept changing under concurrent updates`);
  }

  /**
   * logMessage without the write gate, for writers that already hold it. Inserts without looking first: a
   * message already recorded (a replayed webhook, a retried activity) is told by the unique key.
   */
  async function insertMessage(input: LogMessageInput): Promise<LogMessageResult> {
    const key = { session: input.session, messageId: input.messageId };
    await ensureChatSession(input.session, input.chatId);
    let created: ConversationMessage;
    let counted = 0;
    try {
      created = await sequelize.transaction(async (transaction) => {
        const row = await ConversationMessage.create(
          {
            session: input.session,
            chatId: input.chatId,
            messageId: input.messageId,
            timestamp: input.timestamp,
            direction: input.direction,
            senderType: input.senderType,
            senderId: input.senderId ?? null,
            senderName: clip(input.senderName, 256) ?? null,
            messageType: input.messageType,
            content: input.content ?? null,
            mediaPath: input.mediaPath ?? null,
            mediaFilename: clip(input.mediaFilename, 256) ?? null,
            caption: input.caption ?? null,
            metadata: JSON.stringify(input.metadata ?? {}),
            deliveryStatus: input.deliveryStatus,
            statusReason: clip(input.statusReason, 512) ?? null,
          },
          { transaction },
        );
        counted = await countMessageOnChat(input, transaction);
        return row;
      });
    } catch (err) {
      // Recorded before (or by another writer just now).
      if (!(err instanceof UniqueConstraintError)) throw err;
      const winner = await ConversationMessage.findOne({ where: key });
      if (!winner) throw err;
      return { message: toMessageRecord(winner), created: false };
    }
    if (counted === 0) {
      // The chat's row went away after this process saw it: create it again, with this message counted.
      knownChats.delete(chatKey(input.session, input.chatId));
      await ensureChatSession(input.session, input.chatId);
      await countMessageOnChat(input);
    }
    // A patient's message has no delivery events (only receipts of our own sends are stored).
    if (input.direction === 'inbound') return { message: toMessageRecord(created), created: true };
    // After the commit, so an event stored while we inserted is seen either here or by its writer.
    const early = await DeliveryEvent.findAll({ where: key, order: [['id', 'ASC']] });
    if (early.length === 0) return { message: toMessageRecord(created), created: true };
    const advanced = await advanceStatus(input.session, input.messageId, early);
    if (!advanced) throw new Error(`message ${input.messageId} vanished right after insert`);
    return { message: toMessageRecord(advanced.row), created: true };
  }

  async function hasMssqlFullText(): Promise<boolean> {
    if (dialect !== 'mssql') return false;
    mssqlFullText ??= sequelize
      .query<{ present: number }>(
        "SELECT COUNT(*) AS present FROM sys.fulltext_indexes WHERE object_id = OBJECT_ID('ConversationMessages')",
        { type: QueryTypes.SELECT },
      )
      .then((rows) => Number(rows[0]?.present ?? 0) > 0)
      .catch((err: unknown) => {
        mssqlFullText = undefined; // ask again next time rather than caching a transient failure
        throw err;
      });
    return mssqlFullText;
  }

  return {
    logMessage: (input) => write(() => insertMessage(input)),

    async getMessage(session, messageId) {
      const row = await ConversationMessage.findOne({ where: { session, messageId } });
      return row ? toMessageRecord(row) : null;
    },

    async hasMessage(session, messageId) {
      const row = await ConversationMessage.findOne({ where: { session, messageId }, attributes: ['id'] });
      return row !== null;
    },

    async findExistingMessageIds(session, messageIds) {
      const found = new Set<string>();
      const unique = [...new Set(messageIds)];
      for (let i = 0; i < unique.length; i += IN_CHUNK) {
        const rows = await ConversationMessage.findAll({
          where: { session, messageId: { [Op.in]: unique.slice(i, i + IN_CHUNK) } },
          attributes: ['messageId'],
        });
        for (const row of rows) found.add(row.messageId);
      }
      return found;
    },

    async hasInboundAfter(session, chatId, messageId) {
      // One statement: the anchor's row id as a subquery (no row: NULL, and nothing is after it).
      const anchorId = literal(
        `(SELECT ${quote('Id')} FROM ${quote('ConversationMessages')} WHERE ${quote('Session')} = ${sequelize.escape(
          session,
        )} AND ${quote('MessageId')} = ${sequelize.escape(messageId)})`,
      );
      const later = await ConversationMessage.findOne({
        where: { session, chatId, direction: 'inbound', id: { [Op.gt]: anchorId } },
        attributes: ['id'],
      });
      return later !== null;
    },

    recordDeliveryEvent: (event) =>
      write(async () => {
        await DeliveryEvent.create({
          session: event.session,
          messageId: event.messageId,
          status: event.status,
          ack: event.ack ?? null,
          reason: clip(event.reason, 512) ?? null,
          source: event.source,
          at: event.at,
        });
        // One compare-and-set: the status moves only from a status it may move forward from (none when the
        // message is not recorded yet; its insert then applies the stored events).
        const from = DELIVERY_STATUSES.filter((status) => isForwardMove(status, event.status));
        const reason = clip(event.reason, 512);
        const [moved] = await ConversationMessage.update(
          { deliveryStatus: event.status, ...(reason ? { statusReason: reason } : {}) },
          { where: { session: event.session, messageId: event.messageId, deliveryStatus: { [Op.in]: from } } },
        );
        return { changed: moved > 0 };
      }),

    flagMessage: (session, messageId, flag, reason) =>
      write(async () => {
        // Row lock (FOR UPDATE / IMMEDIATE / UPDLOCK) so two flags never overwrite each other's Metadata.
        await sequelize.transaction(async (transaction) => {
          const row = await ConversationMessage.findOne({
            where: { session, messageId },
            attributes: ['id', 'metadata'],
            lock: dialect === 'sqlite' ? undefined : true,
            transaction,
          });
          if (!row) return;
          const metadata = parseMetadata(row.metadata);
          const flags = Array.isArray(metadata.flags) ? metadata.flags.filter((f) => typeof f === 'string') : [];
          if (!flags.includes(flag)) flags.push(flag);
          await ConversationMessage.update(
            { statusReason: clip(reason, 512), metadata: JSON.stringify({ ...metadata, flags }) },
            { where: { id: row.id }, transaction },
          );
        });
      }),

    upsertPendingMessage: (input) =>
      write(async () => {
        const row = await ConversationMessage.findOne({
          where: { session: input.session, messageId: input.messageId },
        });
        if (!row) return insertMessage({ ...input, deliveryStatus: 'pending' });
        if (row.deliveryStatus !== 'pending') return { message: toMessageRecord(row), created: false };
        await ConversationMessage.update(
          {
            content: input.content ?? null,
            statusReason: clip(input.statusReason, 512) ?? null,
            metadata: JSON.stringify(input.metadata ?? {}),
          },
          { where: { id: row.id, deliveryStatus: 'pending' } },
        );
        await row.reload();
        return { message: toMessageRecord(row), created: false };
      }),

    replacePendingMessage: (session, pendingMessageId, input) =>
      write(async () => {
        const pending = await ConversationMessage.findOne({ where: { session, messageId: pendingMessageId } });
        if (!pending || pending.deliveryStatus !== 'pending') return insertMessage(input);
        const key = { session: input.session, messageId: input.messageId };
        const existing = await ConversationMessage.findOne({ where: key });
        if (existing) {
          // The real row was written before (a retried record): the placeholder only goes away.
          await sequelize.transaction(async (transaction) => {
            await ConversationMessage.destroy({ where: { id: pending.id }, transaction });
            await ChatSession.update(
              { totalMessages: literal(`${quote('TotalMessages')} - 1`) },
              { where: { session: pending.session, chatId: pending.chatId }, transaction },
            );
          });
          return { message: toMessageRecord(existing), created: false };
        }
        // The same row takes the real message: it keeps its place in the chat's count, and the history
        // shows one reply whose status moved on.
        const last = quote('LastMessageAt');
        const when = sequelize.escape(input.timestamp);
        await sequelize.transaction(async (transaction) => {
          await ConversationMessage.update(
            {
              messageId: input.messageId,
              timestamp: input.timestamp,
              senderType: input.senderType,
              senderId: input.senderId ?? null,
              senderName: clip(input.senderName, 256) ?? null,
              messageType: input.messageType,
              content: input.content ?? null,
              mediaPath: input.mediaPath ?? null,
              mediaFilename: clip(input.mediaFilename, 256) ?? null,
              caption: input.caption ?? null,
              metadata: JSON.stringify(input.metadata ?? {}),
              deliveryStatus: input.deliveryStatus,
              statusReason: clip(input.statusReason, 512) ?? null,
            },
            { where: { id: pending.id }, transaction },
          );
          await ChatSession.update(
            { lastMessageAt: literal(`CASE WHEN ${last} IS NULL OR ${last} < ${when} THEN ${when} ELSE ${last} END`) },
            { where: { session: input.session, chatId: input.chatId }, transaction },
          );
        });
        const early = await DeliveryEvent.findAll({ where: key, order: [['id', 'ASC']] });
        const advanced = await advanceStatus(input.session, input.messageId, early);
        if (!advanced)
          throw new Error(`message ${input.messageId} vanished right after it replaced ${pendingMessageId}`);
        return { message: toMessageRecord(advanced.row), created: true };
      }),

    setMessageMedia: (session, messageId, mediaPath, mediaFilename) =>
      write(async () => {
        await ConversationMessage.update(
          { mediaPath, mediaFilename: clip(mediaFilename, 256) },
          { where: { session, messageId } },
        );
      }),

    async findMessagesWithMediaBefore({ before, limit }) {
      const rows = await ConversationMessage.findAll({
        where: { mediaPath: { [Op.ne]: null }, timestamp: { [Op.lt]: before } },
        order: [
          ['timestamp', 'ASC'],
          ['id', 'ASC'],
        ],
        limit,
      });
      return rows.map(toMessageRecord);
    },

    markMediaRemoved: (session, messageId, mediaPath, removal) =>
      write(async () => {
        await sequelize.transaction(async (transaction) => {
          // Only while the row still points at that file: a re-stored media is not forgotten by mistake.
          const row = await ConversationMessage.findOne({
            where: { session, messageId, mediaPath },
            attributes: ['id', 'metadata'],
            lock: dialect === 'sqlite' ? undefined : true,
            transaction,
          });
          if (!row) return;
          const metadata = parseMetadata(row.metadata);
          const mediaRemoved = { at: removal.at.toISOString(), reason: removal.reason };
          await ConversationMessage.update(
            { mediaPath: null, metadata: JSON.stringify({ ...metadata, mediaRemoved }) },
            { where: { id: row.id }, transaction },
          );
        });
      }),

    async findAwaitingDelivery({ session, sentBefore, sentAfter, limit }) {
      const rows = await ConversationMessage.findAll({
        where: {
          session,
          direction: 'outbound',
          deliveryStatus: { [Op.in]: ['pending', 'sent'] },
          timestamp: { [Op.lt]: sentBefore, [Op.gte]: sentAfter },
        },
        order: [
          ['timestamp', 'ASC'],
          ['id', 'ASC'],
        ],
        limit,
      });
      return rows.map(toMessageRecord);
    },

    async getHistory({ session, chatId, limit, before }) {
      const where: WhereOptions<ConversationMessage> = {
        chatId,
        ...(session !== undefined ? { session } : {}),
        ...(before !== undefined ? { timestamp: { [Op.lt]: before } } : {}),
      };
      const rows = await ConversationMessage.findAll({
        where,
        order: [
          ['timestamp', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return rows.reverse().map(toMessageRecord);
    },

    async getRecentConversations({ since, limit }) {
      const rows = await ChatSession.findAll({
        where: { lastMessageAt: since !== undefined ? { [Op.gte]: since } : { [Op.ne]: null } },
        order: [
          ['lastMessageAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return rows.map(toChatSessionRecord);
    },

    async getChatSession(session, chatId) {
      const row = await ChatSession.findOne({ where: { session, chatId } });
      return row ? toChatSessionRecord(row) : null;
    },

    async findChatSessions(chatId) {
      const rows = await ChatSession.findAll({
        where: { chatId },
        order: [
          ['updatedAt', 'DESC'],
          ['id', 'DESC'],
        ],
      });
      return rows.map(toChatSessionRecord);
    },

    setChatStatus: (session, chatId, status) =>
      write(async () => {
        await ensureChatSession(session, chatId);
        await ChatSession.update({ status }, { where: { session, chatId } });
      }),

    linkPatient: (session, chatId, patientId) =>
      write(async () => {
        await ensureChatSession(session, chatId);
        await ChatSession.update({ patientId }, { where: { session, chatId } });
      }),

    async search(query) {
      const built = buildSearchSql(dialect, query.q, query, { mssqlFullText: await hasMssqlFullText() });
      if (!built) return { total: 0, items: [] };
      // Bound, not replaced: the values travel apart from the statement (the count has no page parameters).
      const { limit: _limit, offset: _offset, ...countBind } = built.bind;
      const [countRow] = await sequelize.query<{ total: number | string }>(built.countSql, {
        bind: countBind,
        type: QueryTypes.SELECT,
      });
      const idRows = await sequelize.query<{ id: number | string }>(built.pageSql, {
        bind: built.bind,
        type: QueryTypes.SELECT,
      });
      const ids = idRows.map((r) => Number(r.id));
      const rows = ids.length > 0 ? await ConversationMessage.findAll({ where: { id: { [Op.in]: ids } } }) : [];
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      const items = ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [toMessageRecord(row)] : [];
      });
      return { total: Number(countRow?.total ?? 0), items };
    },

    async getStats(chatId) {
      const rows = await ConversationMessage.findAll({
        where: { chatId },
        attributes: ['session', 'timestamp', 'senderType', 'direction', 'messageType', 'deliveryStatus'],
        order: [
          ['timestamp', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      const stats: ChatStats = {
        chatId,
        total: rows.length,
        byDirection: { inbound: 0, outbound: 0 },
        byType: {},
        byStatus: {},
        firstMessageAt: rows.length > 0 ? new Date(rows[0]!.timestamp) : null,
        lastMessageAt: rows.length > 0 ? new Date(rows[rows.length - 1]!.timestamp) : null,
        responseTimeMs: { count: 0, median: null, p90: null },
      };
      for (const row of rows) {
        stats.byDirection[row.direction] += 1;
        stats.byType[row.messageType] = (stats.byType[row.messageType] ?? 0) + 1;
        stats.byStatus[row.deliveryStatus] = (stats.byStatus[row.deliveryStatus] ?? 0) + 1;
      }
      const samples = responseTimesMs(
        rows.map((r) => ({ session: r.session, timestamp: new Date(r.timestamp), senderType: r.senderType })),
      );
      stats.responseTimeMs = { count: samples.length, median: median(samples), p90: percentile(samples, 90) };
      return stats;
    },

    createOutboundRequest: (input) =>
      write(async () => {
        const existing = await OutboundRequest.findByPk(input.requestId);
        if (existing) return { record: toOutboundRequestRecord(existing), created: false };
        try {
          const row = await OutboundRequest.create({
            requestId: input.requestId,
            session: input.session,
            chatId: input.chatId,
            workflowId: input.workflowId,
            payloadHash: input.payloadHash ?? null,
            status: 'pending',
          });
          return { record: toOutboundRequestRecord(row), created: true };
        } catch (err) {
          if (!(err instanceof UniqueConstraintError)) throw err;
          const winner = await OutboundRequest.findByPk(input.requestId);
          if (!winner) throw err;
          return { record: toOutboundRequestRecord(winner), created: false };
        }
      }),

    updateOutboundRequest: (requestId, update) =>
      write(async () => {
        for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
          const row = await OutboundRequest.findByPk(requestId);
          if (!row) return null;
          const values: { status?: OutboundRequestStatus; reason?: string; messageId?: string } = {};
          if (isForwardMove(row.status, update.status)) {
            values.status = update.status;
            if (update.reason !== undefined) values.reason = clip(update.reason, 512);
          }
          // A late "sent" carrying the message id still records the id after an ack moved the status on.
          if (update.messageId !== undefined && row.messageId === null) values.messageId = update.messageId;
          if (Object.keys(values).length === 0) return toOutboundRequestRecord(row);
          const [count] = await OutboundRequest.update(values, { where: { requestId, status: row.status } });
          if (count === 1) {
            const fresh = await OutboundRequest.findByPk(requestId);
            return fresh ? toOutboundRequestRecord(fresh) : null;
          }
        }
        throw new Error(`outbound request ${requestId} kept changing under concurrent updates`);
      }),

    async getOutboundRequest(requestId) {
      const row = await OutboundRequest.findByPk(requestId);
      return row ? toOutboundRequestRecord(row) : null;
    },

    ...createEscalationMethods(models, write),

    async ping() {
      await sequelize.query('SELECT 1', { type: QueryTypes.SELECT });
    },

    close() {
      closing ??= sequelize.close();
      return closing;
    },
  };
}
