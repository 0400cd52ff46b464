import type Router from '@koa/router';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'koa';
import { AppError, notFound } from '../../api/errors';
import { ALLOWED_MIME_TYPES, extensionFor, normaliseMime } from '../../media/store';
import { type ConsoleContext, type Named } from '../context';
import { mediaRouteParams, sessionRouteParams } from '../schemas';
import { loadSessionCard } from '../data';
import { requirePage } from './guards';

/** Stored inbound media: media/store.ts names every file this way (hash of session and message id). */
const INBOUND_MEDIA = /^inbound\/[0-9a-f]{2}\/[0-9a-f]{32}\.([a-z0-9]{1,5})$/;
const INLINE = /^(image|audio|video)\//;

const MIME_OF_EXTENSION = new Map<string, string>();
for (const [mime, ext] of Object.entries(ALLOWED_MIME_TYPES))
  if (!MIME_OF_EXTENSION.has(ext)) MIME_OF_EXTENSION.set(ext, mime);

/** RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name. */
function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

async function buildClientScript(production: boolean): Promise<Buffer> {
  // The compiled program has the script `npm run build` bundled beside it (scripts/build.ts).
  const prebuilt = await readFile(path.join(__dirname, '..', 'client', 'main.js')).catch(() => undefined);
  if (prebuilt) return prebuilt;
  // From source, esbuild (it comes with tsx, a development dependency) bundles it on first use.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(__dirname, '..', 'client', 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: ['es2020'],
    minify: production,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('the console script did not build');
  return Buffer.from(file.contents);
}

export function fileRoutes(c: ConsoleContext, router: Router, named: Named): void {
  const assets = new Map<string, Promise<Asset>>();
  const asset = (name: string, load: () => Promise<Buffer>, type: string): Promise<Asset> => {
    let loaded = assets.get(name);
    if (!loaded) {
      loaded = load().then((body) => ({
        body,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      }));
      // A failed build is tried again by the next request.
      loaded.catch(() => assets.delete(name));
      assets.set(name, loaded);
    }
    return loaded;
  };
  const serveAsset = (ctx: Context, found: Asset): void => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', found.etag);
    ctx.type = found.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = found.body;
  };

  router.get('/assets/console.css', named('/console/assets/console.css'), async (ctx) => {
    const css = await asset(
      'css',
      () => readFile(path.join(__dirname, '..', 'assets', 'console.css')),
      'text/css; charset=utf-8',
    );
    serveAsset(ctx, css);
  });
  router.get('/assets/console.js', named('/console/assets/console.js'), async (ctx) => {
    const production = c.config.nodeEnv === 'production';
    const js = await asset('js', () => buildClientScript(production), 'text/javascript; charset=utf-8');
    serveAsset(ctx, js);
  });

  router.get('/media/:session/:messageId', named('/console/media/:session/:messageId'), requirePage, async (ctx) => {
    const { session, messageId } = mediaRouteParams.parse(
      (ctx as Context & { params?: Record<string, string> }).params ?? {},
    );
    const message = await c.repo.getMessage(session, messageId);
    const relative = message?.mediaPath?.split(path.sep).join('/');
    const match = relative ? INBOUND_MEDIA.exec(relative) : null;
    if (!message || !relative || !match) throw notFound('no stored media for this message');
    const ext = match[1] ?? '';
    const declared = typeof message.metadata.mimetype === 'string' ? normaliseMime(message.metadata.mimetype) : '';
    const type = extensionFor(declared) === ext ? declared : (MIME_OF_EXTENSION.get(ext) ?? 'application/octet-stream');
    const file = path.join(c.mediaStore.root, relative);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw notFound('the media file is gone');
    const filename = message.mediaFilename ?? `media.${ext}`;
    ctx.set('Content-Disposition', contentDisposition(INLINE.test(type) ? 'inline' : 'attachment', filename));
    // Patient media: kept only in this browser's private cache; never rendered as a page of our origin.
    ctx.set('Cache-Control', 'private, max-age=86400, immutable');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.type = type;
    ctx.length = info.size;
    ctx.body = createReadStream(file);
  });

  router.get('/sessions/:session/qr.png', named('/console/sessions/:session/qr.png'), requirePage, async (ctx) => {
    const { session } = sessionRouteParams.parse((ctx as Context & { params?: Record<string, string> }).params ?? {});
    if (!c.config.wppconnect.sessions.includes(session)) throw notFound('session is not configured');
    const card = await loadSessionCard(c, session);
    // A stale QR stays on disk after login: only the keeper knows whether it is scannable now.
    const png = card.qrVersion ? await c.mediaStore.readQr(session) : null;
    if (png === null) throw new AppError(404, 'NO_QR_CODE', 'no QR code is available for this session now');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'image/png';
    ctx.body = png;
  });
}
