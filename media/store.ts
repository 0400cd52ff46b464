import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Media bytes live on disk under MEDIA_STORAGE_PATH, never in workflow history:
 *   staging/   base64 bodies the API received in webhooks, waiting for the workflow's media activity
 *   inbound/   decoded patient media, named from a hash of (session, message id) + a MIME-derived extension
 *   outbound/  media other services asked us to send (POST /api/messages)
 *   qr/        the current QR code PNG of each WhatsApp session
 * media/housekeeping.ts sweeps staging/ and outbound/ and, with MEDIA_RETENTION_DAYS, old inbound media.
 * Every name is generated here; nothing a patient or a caller sends becomes part of a path.
 */

export const ALLOWED_MIME_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'audio/ogg': 'ogg',
  'audio/ogg; codecs=opus': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'video/mp4': 'mp4',
  'text/plain': 'txt',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

export type MediaErrorCode = 'MEDIA_TOO_LARGE' | 'MEDIA_TYPE_NOT_ALLOWED' | 'MEDIA_INVALID' | 'MEDIA_NOT_FOUND';

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

export interface StoredMedia {
  /** Path relative to the storage root (what the database keeps). */
  relativePath: string;
  filename: string;
  bytes: number;
  mimetype: string;
}

/**
 * Inbound media written as it streams in (from WPPConnect), so a file is never held in memory whole:
 * bytes go to a temporary file under inbound/, and commit() gives it its final name.
 */
export interface InboundMediaWriter {
  /** Appends bytes; past maxBytes it throws MediaError MEDIA_TOO_LARGE (abort() then removes the file). */
  write(chunk: Buffer): Promise<void>;
  /** Checks the type and names the file as saveInbound would; idempotent for the same (session, messageId). */
  commit(input: { mimetype: string; filename?: string }): Promise<StoredMedia>;
  /** Removes what was written; safe to call at any time, also after commit. */
  abort(): Promise<void>;
  readonly bytes: number;
}

export interface MediaStore {
  readonly root: string;
  readonly maxBytes: number;
  /** Validates and parks a webhook's base64 body; returns the generated staging name. */
  stage(base64: string, mimetype: string): Promise<string>;
  readStaged(stagingName: string): Promise<Buffer>;
  discardStaged(stagingName: string): Promise<void>;
  /** Writes decoded inbound media; idempotent for the same (session, messageId). */
  saveInbound(input: {
    session: string;
    messageId: string;
    mimetype: string;
    data: Buffer;
    filename?: string;
  }): Promise<StoredMedia>;
  /** Opens a streaming write of inbound media (see InboundMediaWriter). */
  createInboundWriter(input: { session: string; messageId: string }): Promise<InboundMediaWriter>;
  saveOutbound(input: { base64: string; mimetype: string }): Promise<string>;
  readOutbound(name: string): Promise<Buffer>;
  /** Removes an outbound file whose request was never accepted (Temporal unreachable). */
  discardOutbound(name: string): Promise<void>;
  /**
   * Housekeeping (media/housekeeping.ts): deletes what was last written before `before` in one area:
   * `staging` files, `outbound` files, or `temporary` files left by interrupted writes (any folder).
   * Returns how many files went.
   */
  sweep(area: 'staging' | 'outbound' | 'temporary', before: Date): Promise<number>;
  /** Deletes stored inbound media by the path the database keeps; false when it was already gone. */
  removeInbound(relativePath: string): Promise<boolean>;
  saveQr(session: string, png: Buffer): Promise<void>;
  /** null when no QR is stored for the session. */
  readQr(session: string): Promise<Buffer | null>;
  deleteQr(session: string): Promise<void>;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function normaliseMime(mimetype: string): string {
  return mimetype.trim().toLowerCase();
}

export function extensionFor(mimetype: string): string | undefined {
  const mime = normaliseMime(mimetype);
  return ALLOWED_MIME_TYPES[mime] ?? ALLOWED_MIME_TYPES[mime.split(';')[0]?.trim() ?? ''];
}

/** Decoded size of a base64 string without decoding it. */
export function base64DecodedBytes(base64: string): number {
  const len = base64.length;
  if (len === 0) return 0;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((len * 3) / 4) - padding;
}

/** Strips a `data:<mime>;base64,` prefix and whitespace; throws MediaError on anything that is not base64. */
export function cleanBase64(input: string): string {
  const withoutPrefix = input.replace(/^data:[^,]*;base64,/i, '');
  const compact = withoutPrefix.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64_RE.test(compact)) {
    throw new MediaError('MEDIA_INVALID', 'media is not valid base64');
  }
  return compact;
}

/** A display file name with no directory parts, no control characters, at most 100 characters. */
export function safeDisplayFilename(name: string | undefined, fallbackExt: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '')
    .replace(/^\.+/, '')
    .trim();
  if (cleaned === '') return `file.${fallbackExt}`;
  return cleaned.slice(0, 100);
}

const STAGING_NAME_RE = /^[0-9a-f-]{36}\.b64$/;
const OUTBOUND_NAME_RE = /^[0-9a-f-]{36}\.[a-z0-9]{1,5}$/;
const SESSION_RE = /^[A-Za-z0-9_-]{1,40}$/;
const INBOUND_PATH_RE = /^inbound\/[0-9a-f]{2}\/[0-9a-f]{32}\.[a-z0-9]{1,5}$/;
const TEMPORARY_NAME_RE = /\.tmp$/;

/** Files (not folders) directly in `folder` whose name passes `keep`, with their modification time. */
async function filesIn(folder: string, keep: (name: string) => boolean): Promise<{ file: string; mtime: Date }[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const files: { file: string; mtime: Date }[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !keep(entry.name)) continue;
    const file = path.join(folder, entry.name);
    const info = await stat(file).catch(() => null);
    if (info !== null) files.push({ file, mtime: info.mtime });
  }
  return files;
}

async function subfolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(folder, e.name));
}

/** Where inbound media of a message lives: a hash of (session, message id), never a name from outside. */
function inboundPath(session: string, messageId: string, ext: string): string {
  const hash = createHash('sha256').update(`${session}\u0000${messageId}`).digest('hex').slice(0, 32);
  return path.join('inbound', hash.slice(0, 2), `${hash}.${ext}`);
}

export function createMediaStore(opts: { root: string; maxBytes: number }): MediaStore {
  const root = path.resolve(opts.root);
  const dir = (name: string) => path.join(root, name);

  const checkMime = (mimetype: string): string => {
    const ext = extensionFor(mimetype);
    if (ext === undefined) {
      throw new MediaError(
        'MEDIA_TYPE_NOT_ALLOWED',
        `media type ${normaliseMime(mimetype).slice(0, 80)} is not accepted`,
      );
    }
    return ext;
  };
  const checkSize = (bytes: number): void => {
    if (bytes > opts.maxBytes) {
      throw new MediaError('MEDIA_TOO_LARGE', `media of ${bytes} bytes is over the limit of ${opts.maxBytes} bytes`);
    }
  };
  const writeAtomic = async (file: string, data: Buffer | string): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  };
  const readOrNotFound = async (file: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MediaError('MEDIA_NOT_FOUND', 'media not found');
      throw err;
    }
  };
  const qrFile = (session: string): string => {
    if (!SESSION_RE.test(session)) throw new MediaError('MEDIA_INVALID', 'invalid session name');
    return path.join(dir('qr'), `${session}.png`);
  };

  return {
    root,
    maxBytes: opts.maxBytes,

    async stage(base64, mimetype) {
      checkMime(mimetype);
      const clean = cleanBase64(base64);
      checkSize(base64DecodedBytes(clean));
      const name = `${randomUUID()}.b64`;
      await writeAtomic(path.join(dir('staging'), name), clean);
      return name;
    },

    async readStaged(stagingName) {
      if (!STAGING_NAME_RE.test(stagingName)) throw new MediaError('MEDIA_INVALID', 'invalid staging name');
      const text = (await readOrNotFound(path.join(dir('staging'), stagingName))).toString('ascii');
      return Buffer.from(text, 'base64');
    },

    async discardStaged(stagingName) {
      if (!STAGING_NAME_RE.test(stagingName)) return;
      await rm(path.join(dir('staging'), stagingName), { force: true });
    },

    async saveInbound({ session, messageId, mimetype, data, filename }) {
      const ext = checkMime(mimetype);
      checkSize(data.length);
      const relativePath = inboundPath(session, messageId, ext);
      const file = path.join(root, relativePath);
      const existing = await stat(file).catch(() => null);
      if (existing === null || existing.size !== data.length) await writeAtomic(file, data);
      return {
        relativePath,
        filename: safeDisplayFilename(filename, ext),
        bytes: data.length,
        mimetype: normaliseMime(mimetype),
      };
    },

    async createInboundWriter({ session, messageId }) {
      await mkdir(dir('inbound'), { recursive: true });
      const tmp = path.join(dir('inbound'), `${randomUUID()}.tmp`);
      const handle: FileHandle = await open(tmp, 'wx');
      let bytes = 0;
      let isOpen = true;
      const close = async (): Promise<void> => {
        if (!isOpen) return;
        isOpen = false;
        await handle.close();
      };
      return {
        get bytes() {
          return bytes;
        },
        async write(chunk) {
          if (!isOpen) throw new Error('inbound media writer is closed');
          checkSize(bytes + chunk.length);
          bytes += chunk.length;
          await handle.write(chunk);
        },
        async commit({ mimetype, filename }) {
          const ext = checkMime(mimetype);
          await close();
          const relativePath = inboundPath(session, messageId, ext);
          const file = path.join(root, relativePath);
          await mkdir(path.dirname(file), { recursive: true });
          await rename(tmp, file);
          return {
            relativePath,
            filename: safeDisplayFilename(filename, ext),
            bytes,
            mimetype: normaliseMime(mimetype),
          };
        },
        async abort() {
          await close().catch(() => undefined);
          await rm(tmp, { force: true });
        },
      };
    },

    async saveOutbound({ base64, mimetype }) {
      const ext = checkMime(mimetype);
      const clean = cleanBase64(base64);
      checkSize(base64DecodedBytes(clean));
      const name = `${randomUUID()}.${ext}`;
      await writeAtomic(path.join(dir('outbound'), name), Buffer.from(clean, 'base64'));
      return name;
    },

    async readOutbound(name) {
      if (!OUTBOUND_NAME_RE.test(name)) throw new MediaError('MEDIA_INVALID', 'invalid media name');
      return readOrNotFound(path.join(dir('outbound'), name));
    },

    async discardOutbound(name) {
      if (!OUTBOUND_NAME_RE.test(name)) return;
      await rm(path.join(dir('outbound'), name), { force: true });
    },

    async sweep(area, before) {
      let candidates: { file: string; mtime: Date }[];
      if (area === 'temporary') {
        const folders = [dir('staging'), dir('outbound'), dir('inbound'), ...(await subfolders(dir('inbound')))];
        candidates = (await Promise.all(folders.map((f) => filesIn(f, (n) => TEMPORARY_NAME_RE.test(n))))).flat();
      } else {
        const pattern = area === 'staging' ? STAGING_NAME_RE : OUTBOUND_NAME_RE;
        candidates = await filesIn(dir(area), (n) => pattern.test(n));
      }
      let removed = 0;
      for (const { file, mtime } of candidates) {
        if (mtime >= before) continue;
        await rm(file, { force: true });
        removed += 1;
      }
      return removed;
    },

    async removeInbound(relativePath) {
      const normalised = relativePath.split(path.sep).join('/');
      if (!INBOUND_PATH_RE.test(normalised)) throw new MediaError('MEDIA_INVALID', 'not a stored inbound media path');
      const file = path.join(root, ...normalised.split('/'));
      const existed = (await stat(file).catch(() => null)) !== null;
      await rm(file, { force: true });
      return existed;
    },

    async saveQr(session, png) {
      await writeAtomic(qrFile(session), png);
    },

    async readQr(session) {
      try {
        return await readFile(qrFile(session));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },

    async deleteQr(session) {
      await rm(qrFile(session), { force: true });
    },
  };
}
