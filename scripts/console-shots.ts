/**
 * `npm run console:shots`: a screenshot of every console page for docs/console.md, taken in Debian's
 * chromium (playwright-core, no browser download) against the whole system started in this process (the
 * Temporal dev server of scripts/install-tools, the real workflows and activities, the WPPConnect simulator)
 * with a few made-up patients. Desktop and phone-sized. Writes docs/console/*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { bundleWorkflows, createDevServerEnv } from '../test/helpers/temporal';
import { launchChromium } from '../test/e2e/support/browser';
import { OPERATOR, SESSION, startConsoleSystem, type ConsoleSystem } from '../test/e2e/support/system';

const OUT = path.resolve(__dirname, '..', 'docs', 'console');
const PHONE = { width: 390, height: 844 };

/** A small PNG (a soft gradient standing in for a patient's photo): IHDR, one zlib IDAT, IEND. */
function samplePhoto(width = 160, height = 120): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const byte of buf) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set([230 - y / 3, 170 + x / 4, 160 + y / 4], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function shot(page: Page, name: string): Promise<void> {
  // Times are "just now" everywhere: the same picture on every run.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`console:shots  docs/console/${name}.png`);
}

async function signIn(page: Page, system: ConsoleSystem): Promise<void> {
  await page.goto(`${system.url}/console/login`);
  await page.getByLabel('Username').fill(OPERATOR.username);
  await page.getByLabel('Password').fill(OPERATOR.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${system.url}/console/inbox`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const [env, bundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
  const system = await startConsoleSystem({ env, bundle });
  const desktop = await launchChromium({ width: 1280, height: 860 });
  const phone = await launchChromium(PHONE);
  try {
    const page = await desktop.context.newPage();
    await page.goto(`${system.url}/console/login`);
    await shot(page, 'login');
    await signIn(page, system);

    await page.goto(`${system.url}/console/sessions`);
    await page.locator('.qr img').waitFor({ timeout: 60_000 });
    await page.waitForFunction("(document.querySelector('.qr img')?.naturalWidth ?? 0) > 100");
    await shot(page, 'sessions-qr');
    system.simulator.state.scan(SESSION);
    await page.locator('.session-card .linked').waitFor({ timeout: 60_000 });
    await shot(page, 'sessions-connected');

    // Patients: a routine question with a photo, a chat a person took over, an emergency.
    const maria = system.patientSays('5511955554444', 'Hello, I have had a mild sore throat since yesterday.', {
      name: 'Maria Oliveira',
    });
    system.simulator.state.inject({
      session: SESSION,
      from: '5511955554444',
      name: 'Maria Oliveira',
      type: 'image',
      caption: 'This is how my throat looks',
      mimetype: 'image/png',
      base64: samplePhoto().toString('base64'),
    });
    await system.waitFor(() => system.sentTo(maria.chatId).length > 0, 'an answer to Maria');
    const joao = system.patientSays('5511944443333', 'Can I speak with the nurse about my test results?', {
      name: 'João Pereira',
    });
    await system.waitFor(() => system.sentTo(joao.chatId).length > 0, 'an answer to João');
    const carlos = system.patientSays(
      '5511977776666',
      'I have crushing chest pain spreading to my left arm and I am sweating',
      {
        name: 'Carlos Mendes',
      },
    );
    await system.waitFor(() => system.sentTo(carlos.chatId).length > 0, 'the emergency instructions to Carlos');

    await page.goto(`${system.url}/console/chats/${SESSION}/${encodeURIComponent(joao.chatId)}`);
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByText('You took the chat over').waitFor();
    await page
      .getByLabel(`Reply as ${OPERATOR.displayName}`)
      .fill('Hello João, this is Dr. Ana. Your results are normal; I will call you this afternoon.');
    await page.getByRole('button', { name: 'Send' }).click();
    await system.waitFor(() => system.sentTo(joao.chatId).length > 1, 'the reply to João');

    await page.goto(`${system.url}/console/inbox`);
    await page.locator('#waiting-list li', { hasText: 'Carlos Mendes' }).getByText('No alert URL is set').waitFor();
    await shot(page, 'inbox');

    await page.goto(`${system.url}/console/chats/${SESSION}/${encodeURIComponent(carlos.chatId)}`);
    await page.getByLabel('Note (optional)').fill('Called Carlos; ambulance dispatched.');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Acknowledged: your name').waitFor();
    const reply =
      'Carlos, this is Dr. Ana from the clinic: an ambulance is on its way. Stay seated and unlock the door.';
    await page.getByLabel(`Reply as ${OPERATOR.displayName}`).fill(reply);
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .locator('.sender-human', { hasText: 'an ambulance is on its way' })
      .locator('.delivery-read, .delivery-delivered')
      .waitFor({ timeout: 30_000 });
    await page.goto(`${system.url}/console/chats/${SESSION}/${encodeURIComponent(carlos.chatId)}`);
    await shot(page, 'chat');

    await page.goto(`${system.url}/console/chats/${SESSION}/${encodeURIComponent(maria.chatId)}`);
    await page.locator('.media-image img').waitFor({ timeout: 30_000 });
    await shot(page, 'chat-media');

    await page.goto(`${system.url}/console/search?q=throat`);
    await shot(page, 'search');

    const small = await phone.context.newPage();
    await signIn(small, system);
    await shot(small, 'inbox-phone');
    await small.goto(`${system.url}/console/chats/${SESSION}/${encodeURIComponent(carlos.chatId)}`);
    await shot(small, 'chat-phone');
    await small.goto(`${system.url}/console/sessions`);
    await shot(small, 'sessions-phone');
  } finally {
    await phone.close();
    await desktop.close();
    await system.close();
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`console:shots failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
