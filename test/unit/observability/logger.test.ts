import { Writable } from 'node:stream';
import { createLogger, maskChatId } from '../../../observability/logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('never writes message text, phone numbers, tokens or media to a log line', () => {
    const { lines, stream } = capture();
    const redacting = createLogger({ level: 'info', name: 'test', destination: stream });
    redacting.info(
      {
        text: 'I have chest pain',
        message: { text: 'secret symptom', caption: 'photo of rash' },
        phone: '5511999990001',
        token: '$2b$10$abcdefghijklmnopqrstuv',
        base64: 'AAAA',
        session: 'medical-assistant',
      },
      'received',
    );
    const out = lines.join('');
    for (const secret of ['chest pain', 'secret symptom', 'photo of rash', '5511999990001', '$2b$10$', 'AAAA']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('medical-assistant');
    expect(out).toContain('[redacted]');
  });

  it('masks the phone numbers inside workflow and message ids', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info', name: 'test', destination: stream }).info(
      { workflowId: 'inbound:medical-assistant:false_5511999990001@c.us_3EB0ABC' },
      'activity failed',
    );
    const out = lines.join('');
    expect(out).not.toContain('5511999990001');
    expect(out).toContain('*********0001@c.us_3EB0ABC');
  });

  it('masks all but the last four digits of a chat id', () => {
    expect(maskChatId('5511999990001@c.us')).toBe('********0001@c.us');
    expect(maskChatId('123@lid')).toBe('****@lid');
  });
});
