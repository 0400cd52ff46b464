/**
 * /__sim control routes (JSON): play the patient, the phone and the network. Not part of
 * WPPConnect; unauthenticated because the simulator only listens on loopback.
 */
import { z } from 'zod';
import type { SimEngine } from './engine';
import { notFound, sendJson, type RequestContext } from './respond';

const sessionField = z.string().min(1).optional();

const injectSchema = z.strictObject({
  session: sessionField,
  from: z.string().min(1),
  name: z.string().optional(),
  savedName: z.string().optional(),
  type: z.enum(['chat', 'image', 'video', 'document', 'ptt', 'audio', 'sticker', 'location']).optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  mimetype: z.string().optional(),
  base64: z.string().optional(),
  lat: z.number().optional(),
  lng: z.number().optional(),
  address: z.string().optional(),
  group: z.string().optional(),
  groupName: z.string().optional(),
  phone: z.string().optional(),
  quotedMsgId: z.string().optional(),
  deliverWebhook: z.boolean().optional(),
});

const rate = z.number().min(0).max(1);
const faultsSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  send5xxRate: rate.optional(),
  hangRate: rate.optional(),
  dropWebhookRate: rate.optional(),
  duplicateWebhookRate: rate.optional(),
  outOfOrderAcks: z.boolean().optional(),
  unknownNumbers: z.array(z.string().regex(/^\d+$/)).optional(),
  flakyLookupNumbers: z.array(z.string().regex(/^\d+$/)).optional(),
  failingNumbers: z.array(z.string().regex(/^\d+$/)).optional(),
  mediaDownloadError: z.union([z.literal(0), z.literal(400), z.literal(500)]).optional(),
  mediaBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(4 * 1024 * 1024 * 1024)
    .optional(),
  mediaBodyChunked: z.boolean().optional(),
  browserLaunchFails: z.boolean().optional(),
  whatsappWebUnreachable: z.boolean().optional(),
  seed: z.number().int().optional(),
});

const phoneMessageSchema = z.strictObject({
  session: sessionField,
  to: z.string().min(1),
  text: z.string(),
  deliverWebhook: z.boolean().optional(),
});

const configSchema = z.strictObject({ onSelfMessage: z.boolean().optional() });

const sessionBody = z.looseObject({ session: sessionField });
const secretSchema = z.strictObject({ secretKey: z.string().min(1) });

function parse<S extends z.ZodType>(ctx: RequestContext, schema: S): z.infer<S> | undefined {
  const parsed = schema.safeParse(ctx.body ?? {});
  if (parsed.success) return parsed.data;
  sendJson(ctx, 400, {
    error: 'invalid body',
    issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
  return undefined;
}

function profileHolder(engine: SimEngine, session: string): 'record' | 'orphan' | null {
  const holder = engine.profiles.get(session);
  if (!holder) return null;
  return holder.orphan ? 'orphan' : 'record';
}

export function handleControl(engine: SimEngine, ctx: RequestContext, defaultSession: string): void {
  const action = ctx.segments.slice(1).join('/');
  const key = `${ctx.method} ${action}`;
  const q = ctx.url.searchParams;
  // Control answers never get the §0.3 quirks.
  ctx.exactJson = false;
  switch (key) {
    case 'GET state': {
      const sessions = [...engine.sessions.values()].map((s) => ({
        name: s.name,
        record: s.record,
        status: s.status,
        client: s.client,
        loggedIn: s.loggedIn,
        webhook: engine.webhookUrlOf(s) ?? null,
        /** The record's browser, and whether some browser (maybe an orphan) holds the profile. */
        browser: s.browser?.phase ?? null,
        profileHeldBy: profileHolder(engine, s.name),
      }));
      const chats = [...engine.chats.entries()].flatMap(([session, m]) =>
        [...m.values()].map((c) => ({
          session,
          chatId: c.info.id,
          messages: c.messages.length,
          unreadCount: c.info.unreadCount,
        })),
      );
      sendJson(ctx, 200, { sessions, chats, faults: engine.faults, onSelfMessage: engine.onSelfMessage });
      return;
    }
    case 'POST phone-message': {
      const input = parse(ctx, phoneMessageSchema);
      if (!input) return;
      sendJson(ctx, 201, engine.typeOnPhone({ ...input, session: input.session ?? defaultSession }));
      return;
    }
    case 'POST config': {
      const input = parse(ctx, configSchema);
      if (!input) return;
      if (input.onSelfMessage !== undefined) engine.onSelfMessage = input.onSelfMessage;
      sendJson(ctx, 200, { onSelfMessage: engine.onSelfMessage });
      return;
    }
    case 'POST restart-server':
      engine.restartServer();
      sendJson(ctx, 200, { ok: true });
      return;
    case 'POST inject': {
      const input = parse(ctx, injectSchema);
      if (!input) return;
      sendJson(ctx, 201, engine.inject({ ...input, session: input.session ?? defaultSession }));
      return;
    }
    case 'POST scan':
    case 'POST unlink':
    case 'POST crash': {
      const body = parse(ctx, sessionBody);
      if (!body) return;
      const session = body.session ?? defaultSession;
      if (action === 'scan') {
        const r = engine.scan(session);
        sendJson(
          ctx,
          r.ok ? 200 : 409,
          r.ok ? { ok: true } : { ok: false, error: `no QR to scan (status ${String(r.status)})` },
        );
        return;
      }
      const ok = action === 'unlink' ? engine.unlink(session) : engine.crash(session);
      sendJson(ctx, ok ? 200 : 409, ok ? { ok: true } : { ok: false, error: 'session is not running' });
      return;
    }
    case 'GET faults':
      sendJson(ctx, 200, engine.faults);
      return;
    case 'POST faults': {
      const patch = parse(ctx, faultsSchema);
      if (!patch) return;
      sendJson(ctx, 200, engine.setFaults(patch));
      return;
    }
    case 'POST secret': {
      const body = parse(ctx, secretSchema);
      if (!body) return;
      engine.setSecretKey(body.secretKey);
      sendJson(ctx, 200, { ok: true });
      return;
    }
    case 'GET sent': {
      const session = q.get('session');
      sendJson(
        ctx,
        200,
        engine.sent.filter((r) => !session || r.session === session),
      );
      return;
    }
    case 'GET webhooks': {
      const session = q.get('session');
      const event = q.get('event');
      const records = engine.webhooks
        .records()
        .filter((r) => (!session || r.session === session) && (!event || r.event === event));
      sendJson(ctx, 200, records);
      return;
    }
    case 'POST reset':
      engine.reset();
      sendJson(ctx, 200, { ok: true });
      return;
    default:
      notFound(ctx);
  }
}
