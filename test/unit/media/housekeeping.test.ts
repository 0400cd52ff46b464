import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runMediaHousekeeping, STAGING_MAX_AGE_MS, startMediaHousekeeping } from '../../../media/housekeeping';
import { createMediaStore, MediaError, type MediaStore } from '../../../media/store';
import { at, patientText } from '../db/factories';
import { openTestDatabase, targetRows, type TestDatabase } from '../db/targets';

const DAY = 24 * 60 * 60 * 1000;
const NOW = at(0).getTime() + 400 * DAY;
const silent = pino({ level: 'silent' });
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

/** Sets a file's modification time `ageMs` before NOW. */
const age = (file: string, ageMs: number) => {
  const when = new Date(NOW - ageMs);
  utimesSync(file, when, when);
};

describe.each(targetRows())('media housekeeping on %s', (_name, target) => {
  let db: TestDatabase;
  let root: string;
  let store: MediaStore;

  beforeEach(async () => {
    db = await openTestDatabase(target);
    root = mkdtempSync(path.join(tmpdir(), 'media-hk-'));
    store = createMediaStore({ root, maxBytes: 10_000 });
  });
  afterEach(async () => {
    await db.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  /** A recorded inbound image whose file is on disk. */
  async function storedImage(messageId: string, daysOld: number): Promise<string> {
    await db.repo.logMessage(
      patientText({ messageId, messageType: 'image', content: null, timestamp: new Date(NOW - daysOld * DAY) }),
    );
    const stored = await store.saveInbound({ session: 'clinic', messageId, mimetype: 'image/jpeg', data: JPEG });
    await db.repo.setMessageMedia('clinic', messageId, stored.relativePath, 'photo.jpg');
    return stored.relativePath;
  }

  it('sweeps staging files older than a day (their workflow never took them) and keeps fresher ones', async () => {
    const orphan = await store.stage(JPEG.toString('base64'), 'image/jpeg');
    const waiting = await store.stage(JPEG.toString('base64'), 'image/jpeg');
    age(path.join(root, 'staging', orphan), STAGING_MAX_AGE_MS + 1000);
    age(path.join(root, 'staging', waiting), STAGING_MAX_AGE_MS - 60_000);
    writeFileSync(path.join(root, 'staging', 'not-ours.txt'), 'x');
    age(path.join(root, 'staging', 'not-ours.txt'), 10 * DAY);

    const report = await runMediaHousekeeping({ repo: db.repo, mediaStore: store, logger: silent, now: () => NOW });

    expect(report).toEqual({ staged: 1, temporary: 0, outbound: 0, expired: 0 });
    expect(readdirSync(path.join(root, 'staging')).sort()).toEqual(['not-ours.txt', waiting].sort());
  });

  it('removes temporary files of interrupted writes after a day', async () => {
    const writer = await store.createInboundWriter({ session: 'clinic', messageId: 'crashed' });
    await writer.write(JPEG);
    const [tmp] = readdirSync(path.join(root, 'inbound')).filter((n) => n.endsWith('.tmp'));
    age(path.join(root, 'inbound', tmp!), STAGING_MAX_AGE_MS + 1000);

    const report = await runMediaHousekeeping({ repo: db.repo, mediaStore: store, logger: silent, now: () => NOW });

    expect(report.temporary).toBe(1);
    expect(readdirSync(path.join(root, 'inbound')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await writer.abort();
  });

  it('without MEDIA_RETENTION_DAYS keeps every stored media file and row', async () => {
    const old = await storedImage('ancient', 399);
    const report = await runMediaHousekeeping({ repo: db.repo, mediaStore: store, logger: silent, now: () => NOW });
    expect(report.expired).toBe(0);
    expect(existsSync(path.join(root, old))).toBe(true);
    expect((await db.repo.getMessage('clinic', 'ancient'))?.mediaPath).toBe(old);
  });

  it('with MEDIA_RETENTION_DAYS removes older media and the message row says so', async () => {
    const old = await storedImage('old-photo', 31);
    const recent = await storedImage('recent-photo', 29);
    const outboundOld = await store.saveOutbound({ base64: JPEG.toString('base64'), mimetype: 'image/jpeg' });
    age(path.join(root, 'outbound', outboundOld), 31 * DAY);
    const outboundNew = await store.saveOutbound({ base64: JPEG.toString('base64'), mimetype: 'image/jpeg' });
    age(path.join(root, 'outbound', outboundNew), 29 * DAY);

    const report = await runMediaHousekeeping({
      repo: db.repo,
      mediaStore: store,
      retentionDays: 30,
      logger: silent,
      now: () => NOW,
    });

    expect(report).toEqual({ staged: 0, temporary: 0, outbound: 1, expired: 1 });
    expect(existsSync(path.join(root, old))).toBe(false);
    expect(existsSync(path.join(root, recent))).toBe(true);
    expect(readdirSync(path.join(root, 'outbound'))).toEqual([outboundNew]);
    const row = await db.repo.getMessage('clinic', 'old-photo');
    expect(row).toMatchObject({ mediaPath: null, mediaFilename: 'photo.jpg', messageType: 'image' });
    expect(row?.metadata.mediaRemoved).toEqual({ at: new Date(NOW).toISOString(), reason: 'MEDIA_RETENTION_DAYS=30' });
    expect((await db.repo.getMessage('clinic', 'recent-photo'))?.mediaPath).toBe(recent);

    const again = await runMediaHousekeeping({
      repo: db.repo,
      mediaStore: store,
      retentionDays: 30,
      logger: silent,
      now: () => NOW,
    });
    expect(again).toEqual({ staged: 0, temporary: 0, outbound: 0, expired: 0 });
  });

  it('leaves a row alone whose media path is not one the store wrote (no deletion outside the store)', async () => {
    await db.repo.logMessage(patientText({ messageId: 'odd', messageType: 'image', content: null, timestamp: at(0) }));
    await db.repo.setMessageMedia('clinic', 'odd', '../../etc/passwd', 'x');
    const report = await runMediaHousekeeping({
      repo: db.repo,
      mediaStore: store,
      retentionDays: 1,
      logger: silent,
      now: () => NOW,
    });
    expect(report.expired).toBe(0);
    expect((await db.repo.getMessage('clinic', 'odd'))?.mediaPath).toBe('../../etc/passwd');
    await expect(store.removeInbound('../../etc/passwd')).rejects.toEqual(
      new MediaError('MEDIA_INVALID', 'not a stored inbound media path'),
    );
  });

  it('the periodic runner makes one pass at start and stops cleanly', async () => {
    const orphan = await store.stage(JPEG.toString('base64'), 'image/jpeg');
    age(path.join(root, 'staging', orphan), STAGING_MAX_AGE_MS + 1000);
    const runner = startMediaHousekeeping({ repo: db.repo, mediaStore: store, logger: silent, now: () => NOW });
    await runner.idle();
    runner.stop();
    expect(readdirSync(path.join(root, 'staging'))).toEqual([]);
  });
});
