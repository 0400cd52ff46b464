/**
 * With TEMPORAL_PAYLOAD_KEY set, what anyone with Temporal Web UI or visibility access can read carries no
 * patient data: the real CLI's `temporal workflow list` and `temporal workflow show` of whole conversations
 * (an ordinary reply, an emergency, a linked patient record, a send that fails) are grepped for the phone
 * numbers, the names, the patient record id and every message text. Real dev server, real pipeline.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { API_KEY, SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS, temporalToolPaths } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS * 2);

const run = promisify(execFile);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;

const PATIENT = '5511977770042';
const UNKNOWN = '5511977770043';
const NAME = 'Mariana Quintela';
const PATIENT_RECORD = 'record-88342';
const TEXTS = [
  'I have had a sore throat since Tuesday',
  'now I have crushing chest pain spreading to my left arm and I am sweating',
  'hello, is anyone reading this about my knee',
];

beforeAll(async () => {
  [env, bundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
  pipeline = await startPipeline({
    env,
    bundle,
    configEnv: { TEMPORAL_PAYLOAD_KEY: randomBytes(32).toString('base64'), QUIET_WINDOW_MS: '300' },
  });
});

afterAll(async () => {
  await pipeline?.close();
  await env?.teardown();
});

async function cli(output: 'json' | 'jsonl', ...args: string[]): Promise<string> {
  const { stdout } = await run(
    temporalToolPaths().cli,
    [...args, '--address', env.address, '--namespace', env.namespace ?? 'default', '--output', output],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Every string of the CLI's JSON (documents or JSON lines) that is base64 of readable text, decoded. */
function decodedStrings(output: string): string[] {
  const docs = output.trim().startsWith('{') && !output.includes('\n{') ? [output] : output.split('\n');
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
        const text = Buffer.from(value, 'base64').toString('utf8');
        if (!text.includes('\uFFFD')) found.push(text);
      }
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const doc of docs) {
    if (doc.trim() === '') continue;
    walk(JSON.parse(doc));
  }
  return found;
}

describe('Temporal plaintext with a payload key', () => {
  it('holds no phone number, name, patient id or message text for a whole conversation, an emergency and a failed send', async () => {
    const first = pipeline.patientSays(PATIENT, TEXTS[0]!, { name: NAME });
    const chatId = first.chatId;
    expect((await pipeline.inboundResult(first.id)).outcome).toBe('replied');
    const linked = await fetch(`${pipeline.apiUrl}/api/conversations/${encodeURIComponent(chatId)}/patient`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patientId: PATIENT_RECORD }),
    });
    expect(linked.status).toBe(200);
    const emergency = pipeline.patientSays(PATIENT, TEXTS[1]!, { name: NAME });
    expect(await pipeline.inboundResult(emergency.id)).toMatchObject({ outcome: 'replied', triageLevel: 'emergency' });

    pipeline.simulator.state.faults.unknownNumbers.push(UNKNOWN);
    const failing = pipeline.patientSays(UNKNOWN, TEXTS[2]!, { name: NAME });
    expect((await pipeline.inboundResult(failing.id)).outcome).toBe('failed');
    const replies = pipeline.sentTo(chatId).map((s) => s.text ?? '');
    expect(replies).toHaveLength(2);

    // Everything visibility and history show: the list, and every workflow's full history.
    const list = await cli('jsonl', 'workflow', 'list', '--limit', '1000');
    const ids = list
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => (JSON.parse(line) as { execution: { workflowId: string } }).execution.workflowId);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const shown = await Promise.all(ids.map((id) => cli('json', 'workflow', 'show', '--workflow-id', id)));
    // Search attributes and plain payloads come as base64 in the CLI's JSON: read them decoded too.
    const plaintext = [list, ...shown, ...[list, ...shown].flatMap(decodedStrings)].join('\n');

    // The grep read real histories: encrypted payloads (metadata in base64), pseudonymous ids, the coarse
    // escalation flag. Plain JSON payloads would be printed decoded (the CLI's default), so nothing hides.
    expect(plaintext).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(plaintext).toContain(`conversation:${SESSION}:c_`);
    expect(plaintext).toContain(`inbound:${SESSION}:m_`);
    expect(plaintext).toContain('escalated');

    const secrets = [
      PATIENT,
      UNKNOWN,
      PATIENT.slice(-8),
      UNKNOWN.slice(-8),
      NAME,
      NAME.split(' ')[1]!,
      PATIENT_RECORD,
      first.id,
      emergency.id,
      failing.id,
      ...TEXTS,
      ...TEXTS.map((t) => t.split(' ').slice(2, 6).join(' ')),
      ...replies.map((r) => r.slice(0, 40)),
      'emergency',
      'chest-pain',
      'recipient does not exist',
    ];
    const found = secrets.filter((secret) => plaintext.includes(secret));
    expect(found).toEqual([]);
  });

  it("gives operators a chat's workflow ids and Web UI links through the API", async () => {
    const chatId = `${PATIENT}@c.us`;
    const res = await fetch(`${pipeline.apiUrl}/api/conversations/${encodeURIComponent(chatId)}/workflows`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      conversation: { workflowId: string; url: string };
      messages: { messageId: string; workflowId: string; url: string }[];
    };
    expect(body.conversation.workflowId).toBe(pipeline.ids.conversation(SESSION, chatId));
    expect(body.conversation.workflowId).toMatch(/^conversation:medical-assistant:c_[0-9a-f]{32}$/);
    expect(body.conversation.url).toBe(
      `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(body.conversation.workflowId)}`,
    );
    expect(body.messages).toHaveLength(2);
    for (const m of body.messages) {
      expect(m.workflowId).toBe(pipeline.ids.inbound(SESSION, m.messageId));
      const described = await pipeline.client.workflow.getHandle(m.workflowId).describe();
      expect(described.type).toBe('inboundMessageWorkflow');
    }
  });
});
