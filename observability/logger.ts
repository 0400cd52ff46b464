import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured logs with the seed design's event ids. Patient data (message text, captions, phone
 * numbers, names) and secrets never reach a log line: these paths are censored wherever they appear.
 */
export const LogEvent = {
  MessageSent: 1001,
  MessageReceived: 1002,
  SessionConnected: 1003,
  SessionDisconnected: 1004,
  QrCodeAvailable: 1005,
  ChatEscalated: 1010,
  DeliveryTimeout: 1011,
  /** A call to WhatsApp (the WPPConnect Server) failed: unreachable, refused, or an error answer. */
  WhatsAppApiError: 2001,
  WebhookRejected: 2002,
  /** Our own API answered a 5xx. */
  ApiError: 2003,
} as const;

const REDACT_PATHS = [
  'text',
  'body',
  'content',
  'caption',
  'reply',
  'message.text',
  'message.body',
  'message.caption',
  'senderName',
  'contactName',
  'contactPhone',
  'phone',
  'token',
  'secret',
  'secretKey',
  'apiKey',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'base64',
  'mediaBase64',
  '*.text',
  '*.body',
  '*.content',
  '*.caption',
  '*.token',
  '*.phone',
  '*.base64',
];

/** Fields that carry WhatsApp ids (which embed phone numbers): their long digit runs are masked. */
const ID_FIELDS = ['workflowId', 'chatId', 'messageId', 'from', 'to', 'taskToken', 'parentWorkflowId', 'url', 'path'];

/** Keeps the last 4 digits of every run of 8 or more digits: ids stay correlatable, numbers do not leak. */
export function maskDigits(text: string): string {
  return text.replace(/\d{8,}/g, (run) => `${'*'.repeat(run.length - 4)}${run.slice(-4)}`);
}

function maskIds(record: Record<string, unknown>): Record<string, unknown> {
  let out = record;
  for (const key of ID_FIELDS) {
    const value = record[key];
    if (typeof value === 'string' && /\d{8,}/.test(value)) {
      if (out === record) out = { ...record };
      out[key] = key === 'taskToken' ? '[redacted]' : maskDigits(value);
    }
  }
  return out;
}

export function createLogger(opts: { level: string; name: string; destination?: DestinationStream }): Logger {
  const options = {
    name: opts.name,
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: opts.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: maskIds },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Masks all but the last 4 digits of a phone-like chat id, for log lines that must name a chat. */
export function maskChatId(chatId: string): string {
  const [user = '', server] = chatId.split('@');
  const masked = user.length <= 4 ? '****' : `${'*'.repeat(Math.min(user.length - 4, 8))}${user.slice(-4)}`;
  return server ? `${masked}@${server}` : masked;
}

export type { Logger };
