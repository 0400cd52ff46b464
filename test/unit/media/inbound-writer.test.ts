/** Streaming writes of inbound media (media/store.ts createInboundWriter) on a real temporary folder. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMediaStore, MediaError, type MediaStore } from '../../../media/store';

let dir: string;
let store: MediaStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'inbound-writer-'));
  store = createMediaStore({ root: dir, maxBytes: 1_000 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const files = (): string[] =>
  existsSync(path.join(dir, 'inbound'))
    ? readdirSync(path.join(dir, 'inbound'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

describe('createInboundWriter', () => {
  it('writes the pieces in order and names the file like saveInbound does', async () => {
    const writer = await store.createInboundWriter({ session: 'clinic', messageId: 'm1' });
    await writer.write(Buffer.from('hello '));
    await writer.write(Buffer.from('world'));
    const stored = await writer.commit({ mimetype: 'text/plain', filename: '../../etc/notes.txt' });
    const saved = await store.saveInbound({
      session: 'clinic',
      messageId: 'm1',
      mimetype: 'text/plain',
      data: Buffer.from('hello world'),
    });
    expect(stored).toEqual({ ...saved, filename: 'notes.txt' });
    expect(readFileSync(path.join(dir, stored.relativePath), 'utf8')).toBe('hello world');
    expect(files()).toHaveLength(1);
  });

  it('refuses the piece that passes maxBytes, and abort leaves nothing behind', async () => {
    const writer = await store.createInboundWriter({ session: 'clinic', messageId: 'm2' });
    await writer.write(Buffer.alloc(600));
    const error = await writer.write(Buffer.alloc(600)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'MEDIA_TOO_LARGE' });
    expect(writer.bytes).toBe(600);
    await writer.abort();
    expect(files()).toEqual([]);
  });

  it('refuses a type that is not accepted at commit', async () => {
    const writer = await store.createInboundWriter({ session: 'clinic', messageId: 'm3' });
    await writer.write(Buffer.from('MZ'));
    const error = await writer.commit({ mimetype: 'application/x-msdownload' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MEDIA_TYPE_NOT_ALLOWED' });
    await writer.abort();
    expect(files()).toEqual([]);
  });
});
