/**
 * get-media-by-message answers `{"base64":"<the whole file>","mimetype":"..."}` (wppconnect/CONTRACT.md §4),
 * so a 2 GB document arrives as one 2.7 GB JSON string. This parser reads that body as it streams: the
 * `base64` value is decoded piece by piece and handed on at once, the other values are kept only when short,
 * and decoded bytes past `maxBytes` stop the parse. Nothing ever holds the file whole.
 */
import { StringDecoder } from 'node:string_decoder';
import { WppProtocolError, WppResponseTooLargeError } from './errors';

const OPERATION = 'get-media-by-message';
/** Values other than `base64` (mimetype, an injected session name...) are short; longer ones are cut. */
const MAX_FIELD_CHARS = 1024;
/** A `data:<mime>;base64,` prefix longer than this is not a prefix. */
const MAX_DATA_PREFIX_CHARS = 256;
const WHITESPACE = /\s/;
const BASE64_CHARS = /^[A-Za-z0-9+/=]*$/;
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

type State =
  | 'start'
  | 'key-or-end'
  | 'key'
  | 'colon'
  | 'value'
  | 'base64'
  | 'string'
  | 'nested'
  | 'literal'
  | 'after-value'
  | 'done';

export interface MediaBodyResult {
  /** The `mimetype` field, when the body had one. */
  mimetype?: string;
  /** Decoded bytes handed to `onBytes`. */
  bytes: number;
}

export interface MediaBodyParserOptions {
  /** Decoded bytes allowed (MEDIA_MAX_BYTES); one more ends the parse with WppResponseTooLargeError. */
  maxBytes: number;
  /** Receives the decoded bytes in order; the parser waits for it (back-pressure). */
  onBytes: (chunk: Buffer) => void | Promise<void>;
}

function invalid(reason: string): WppProtocolError {
  return new WppProtocolError(`${OPERATION}: ${reason}`, { status: 200, operation: OPERATION });
}

export class MediaBodyParser {
  private readonly text = new StringDecoder('utf8');
  private state: State = 'start';
  private key = '';
  private field = '';
  /** Inside a string: the previous character was a backslash / the hex digits of a \u escape so far. */
  private escaping = false;
  private unicode: string | null = null;
  /** Nested object or array being skipped. */
  private depth = 0;
  private nestedInString = false;
  /** Start of the base64 value while we cannot yet tell whether it is a data: URI. */
  private head: string | null = null;
  /** Base64 characters not yet decoded (fewer than four). */
  private quad = '';
  private padded = false;
  private sawBase64 = false;
  private readonly fields = new Map<string, string>();
  private decoded = 0;

  constructor(private readonly opts: MediaBodyParserOptions) {}

  /** Parses the next piece of the body. */
  async push(chunk: Buffer): Promise<void> {
    await this.feed(this.text.write(chunk));
  }

  /** The body ended: checks it was one whole object with a `base64` string. */
  async end(): Promise<MediaBodyResult> {
    await this.feed(this.text.end());
    if (this.state !== 'done') throw invalid('the body ended before the JSON object did');
    if (!this.sawBase64) throw invalid('no base64 field in the answer');
    if (this.quad.length > 0) throw invalid('the base64 value is cut short');
    return { mimetype: this.fields.get('mimetype'), bytes: this.decoded };
  }

  private async feed(input: string): Promise<void> {
    let i = 0;
    while (i < input.length) {
      if (this.state === 'base64') {
        i = await this.base64Run(input, i);
        continue;
      }
      this.step(input.charAt(i));
      i += 1;
    }
  }

  /** One character outside the base64 value. */
  private step(c: string): void {
    switch (this.state) {
      case 'start':
        if (c === '{') this.state = 'key-or-end';
        else if (!WHITESPACE.test(c)) throw invalid('the answer is not a JSON object');
        return;
      case 'key-or-end':
        if (c === '"') {
          this.key = '';
          this.state = 'key';
        } else if (c === '}') this.state = 'done';
        else if (!WHITESPACE.test(c)) throw invalid('expected a key');
        return;
      case 'key': {
        const ch = this.stringChar(c);
        if (ch === null) this.state = 'colon';
        else if (this.key.length < MAX_FIELD_CHARS) this.key += ch;
        return;
      }
      case 'colon':
        if (c === ':') this.state = 'value';
        else if (!WHITESPACE.test(c)) throw invalid('expected ":"');
        return;
      case 'value':
        if (WHITESPACE.test(c)) return;
        if (c === '"') {
          this.field = '';
          if (this.key === 'base64') {
            if (this.sawBase64) throw invalid('two base64 fields');
            this.sawBase64 = true;
            this.head = '';
            this.state = 'base64';
          } else this.state = 'string';
        } else if (c === '{' || c === '[') {
          this.depth = 1;
          this.nestedInString = false;
          this.state = 'nested';
        } else {
          if (this.key === 'base64') throw invalid('base64 is not a string');
          this.state = 'literal';
        }
        return;
      case 'string': {
        const ch = this.stringChar(c);
        if (ch === null) {
          this.fields.set(this.key, this.field);
          this.state = 'after-value';
        } else if (this.field.length < MAX_FIELD_CHARS) this.field += ch;
        return;
      }
      case 'nested':
        this.skipNested(c);
        return;
      case 'literal':
        if (c === ',' || c === '}' || WHITESPACE.test(c)) {
          this.state = 'after-value';
          this.step(c);
        }
        return;
      case 'after-value':
        if (c === ',') this.state = 'key-or-end';
        else if (c === '}') this.state = 'done';
        else if (!WHITESPACE.test(c)) throw invalid('expected "," or "}"');
        return;
      case 'done':
        if (!WHITESPACE.test(c)) throw invalid('data after the JSON object');
        return;
      case 'base64':
        return;
    }
  }

  /** A character inside a JSON string: the character it stands for, '' inside an escape, null at the closing quote. */
  private stringChar(c: string): string | null {
    if (this.unicode !== null) {
      this.unicode += c;
      if (this.unicode.length < 4) return '';
      const code = Number.parseInt(this.unicode, 16);
      this.unicode = null;
      if (Number.isNaN(code)) throw invalid('bad \\u escape');
      return String.fromCharCode(code);
    }
    if (this.escaping) {
      this.escaping = false;
      if (c === 'u') {
        this.unicode = '';
        return '';
      }
      const simple = SIMPLE_ESCAPES[c];
      if (simple === undefined) throw invalid('bad escape');
      return simple;
    }
    if (c === '\\') {
      this.escaping = true;
      return '';
    }
    return c === '"' ? null : c;
  }

  private skipNested(c: string): void {
    if (this.nestedInString) {
      if (this.escaping) this.escaping = false;
      else if (c === '\\') this.escaping = true;
      else if (c === '"') this.nestedInString = false;
      return;
    }
    if (c === '"') this.nestedInString = true;
    else if (c === '{' || c === '[') this.depth += 1;
    else if (c === '}' || c === ']') {
      this.depth -= 1;
      if (this.depth === 0) this.state = 'after-value';
    }
  }

  /** Consumes base64 characters from `input` at `from` up to the closing quote; returns where it stopped. */
  private async base64Run(input: string, from: number): Promise<number> {
    let i = from;
    let run = '';
    while (i < input.length) {
      const c = input.charAt(i);
      if (this.escaping) {
        this.escaping = false;
        // JSON may escape "/" (and the line breaks some encoders wrap base64 with); nothing else belongs here.
        if (c === '/') run += '/';
        else if (c !== 'n' && c !== 'r' && c !== 't') throw invalid('bad escape in base64');
        i += 1;
        continue;
      }
      const stop = input.slice(i).search(/["\\]/);
      const end = stop === -1 ? input.length : i + stop;
      run += input.slice(i, end);
      i = end;
      if (i >= input.length) break;
      if (input.charAt(i) === '\\') {
        this.escaping = true;
        i += 1;
        continue;
      }
      // The closing quote.
      await this.base64Chars(run, true);
      this.state = 'after-value';
      return i + 1;
    }
    await this.base64Chars(run, false);
    return i;
  }

  private async base64Chars(chars: string, last: boolean): Promise<void> {
    let data = chars.replace(/\s+/g, '');
    if (this.head !== null) {
      // A data: URI prefix is dropped; anything else is the file itself.
      this.head += data;
      if (!last && this.head.length < 5) return;
      if (this.head.startsWith('data:')) {
        const comma = this.head.indexOf(',');
        if (comma === -1) {
          if (this.head.length > MAX_DATA_PREFIX_CHARS || last) throw invalid('bad data: prefix');
          return;
        }
        data = this.head.slice(comma + 1);
      } else data = this.head;
      this.head = null;
    }
    if (data.length === 0) return;
    if (!BASE64_CHARS.test(data)) throw invalid('the media is not base64');
    if (this.padded) throw invalid('base64 continues after its padding');
    const all = this.quad + data;
    const whole = all.length - (all.length % 4);
    this.quad = all.slice(whole);
    if (whole === 0) return;
    const quads = all.slice(0, whole);
    const padding = quads.indexOf('=');
    if (padding !== -1) {
      if (padding < quads.length - 2 || this.quad.length > 0 || /=[^=]/.test(quads.slice(padding))) {
        throw invalid('base64 continues after its padding');
      }
      this.padded = true;
    }
    const bytes = Buffer.from(quads, 'base64');
    this.decoded += bytes.length;
    if (this.decoded > this.opts.maxBytes) {
      throw new WppResponseTooLargeError(`${OPERATION}: media over ${this.opts.maxBytes} bytes`, {
        status: 200,
        operation: OPERATION,
        limit: this.opts.maxBytes,
        seen: this.decoded,
      });
    }
    if (bytes.length > 0) await this.opts.onBytes(bytes);
  }
}
