/**
 * `npm run patient`: play a patient against the WPPConnect simulator started by `npm start`.
 *
 *   npm run patient -- "I have a headache"     sends one message, prints the reply, exits
 *   npm run patient                            interactive: one line per message, Ctrl-D to quit
 *
 * Options (flags or environment): --phone / PATIENT_PHONE, --name / PATIENT_NAME, --session /
 * WPPCONNECT_SESSION, --timeout <s> / PATIENT_TIMEOUT_SECONDS, --simulator <url> / SIMULATOR_URL.
 * Exit codes: 0 reply received, 1 no reply in time, 2 simulator not reachable, 64 bad usage.
 */
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import {
  createSimClient,
  SimulatorUnavailable,
  type SentRecordView,
  type SimClient,
} from '../simulator/control-client';

const ACK_NAMES: Record<string, string> = {
  '-1': 'failed',
  '0': 'pending',
  '1': 'sent',
  '2': 'delivered',
  '3': 'read',
  '4': 'played',
};

export interface PatientOptions {
  simulatorUrl: string;
  session: string;
  phone: string;
  name: string;
  timeoutMs: number;
  /** After a reply, how long to keep watching for more messages and status changes. */
  settleMs: number;
  pollMs: number;
}

/** Sends one patient message and prints the assistant's replies and their statuses until it settles. */
export async function converse(
  sim: SimClient,
  opts: PatientOptions,
  text: string,
  print: (line: string) => void,
): Promise<{ replies: SentRecordView[] }> {
  const before = new Set((await sim.sent(opts.session)).map((m) => m.messageId));
  const { chatId, webhook } = await sim.inject({ session: opts.session, from: opts.phone, name: opts.name, text });
  print(`you: ${text}`);
  if (webhook !== 'posted') {
    // The message is stored on the "phone": the session keeper's catch-up can still find it later.
    print(`  (the simulator did not post a webhook: ${webhook}; is \`npm start\` running with its worker?)`);
  }

  const seen = new Map<string, SentRecordView>();
  const deadline = Date.now() + opts.timeoutMs;
  let settleUntil: number | undefined;
  for (;;) {
    const now = Date.now();
    if (settleUntil !== undefined && now >= settleUntil) break;
    if (settleUntil === undefined && now >= deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs));
    for (const m of await sim.sent(opts.session)) {
      if (m.chatId !== chatId || before.has(m.messageId)) continue;
      const previous = seen.get(m.messageId);
      if (!previous) {
        print(`assistant: ${m.text ?? m.caption ?? `(${m.type}${m.filename ? ` ${m.filename}` : ''})`}`);
        print(`  [${ACK_NAMES[String(m.ack)] ?? `ack ${m.ack}`}]`);
        settleUntil = Date.now() + opts.settleMs;
      } else if (previous.ack !== m.ack) {
        print(`  [${ACK_NAMES[String(m.ack)] ?? `ack ${m.ack}`}]`);
        settleUntil = Math.max(settleUntil ?? 0, Date.now() + Math.min(opts.settleMs, 1000));
      }
      seen.set(m.messageId, m);
    }
  }
  return { replies: [...seen.values()] };
}

function optionsFrom(argv: string[], env: NodeJS.ProcessEnv): { opts: PatientOptions; text?: string } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      phone: { type: 'string' },
      name: { type: 'string' },
      session: { type: 'string' },
      timeout: { type: 'string' },
      simulator: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: npm run patient -- ["message"] [--phone digits] [--timeout seconds]\n`);
    process.exit(0);
  }
  const phone = (values.phone ?? env.PATIENT_PHONE ?? '5511999990001').replace(/\D/g, '');
  if (phone.length < 8 || phone.length > 15) throw new Error(`--phone must be 8-15 digits, got "${phone}"`);
  const timeoutSeconds = Number(values.timeout ?? env.PATIENT_TIMEOUT_SECONDS ?? '60');
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new Error('--timeout must be a positive number of seconds');
  const simulatorPort = env.SIMULATOR_PORT?.trim() || '21465';
  return {
    opts: {
      simulatorUrl: (values.simulator ?? env.SIMULATOR_URL ?? `http://localhost:${simulatorPort}`).replace(/\/+$/, ''),
      session: values.session ?? env.WPPCONNECT_SESSION?.split(',')[0]?.trim() ?? 'medical-assistant',
      phone,
      name: values.name ?? env.PATIENT_NAME ?? 'Test Patient',
      timeoutMs: timeoutSeconds * 1000,
      settleMs: Number(env.PATIENT_SETTLE_MS ?? '2500'),
      pollMs: 300,
    },
    text: positionals.length > 0 ? positionals.join(' ') : undefined,
  };
}

async function interactive(sim: SimClient, opts: PatientOptions): Promise<void> {
  process.stdout.write(
    `Chatting as +${opts.phone} with session ${opts.session}. One line per message, Ctrl-D to quit.\n`,
  );
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text !== '') {
      const { replies } = await converse(sim, opts, text, (l) => process.stdout.write(`${l}\n`));
      if (replies.length === 0) process.stdout.write(`(no reply within ${opts.timeoutMs / 1000} s)\n`);
    }
    rl.prompt();
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof optionsFrom>;
  try {
    parsed = optionsFrom(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`patient: ${(err as Error).message}\n`);
    return 64;
  }
  const { opts, text } = parsed;
  const sim = createSimClient(opts.simulatorUrl, opts.session);
  try {
    if (text === undefined) {
      await interactive(sim, opts);
      return 0;
    }
    const { replies } = await converse(sim, opts, text, (l) => process.stdout.write(`${l}\n`));
    if (replies.length === 0) {
      process.stderr.write(
        `patient: no reply within ${opts.timeoutMs / 1000} s. Is the worker running? See the output of npm start (or data/logs/).\n`,
      );
      return 1;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`patient: ${(err as Error).message}\n`);
    return err instanceof SimulatorUnavailable ? 2 : 1;
  } finally {
    await sim.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`patient: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
