import { AppError } from '../../../api/errors';
import { deriveRequestId, payloadHash, resolveOutboundMime, sniffMime } from '../../../api/outbound';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n').toString('base64');

describe('deriveRequestId', () => {
  it('is the same for the same key and Idempotency-Key, and differs across API keys', () => {
    const id = deriveRequestId('key-a', 'order-1');
    expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(deriveRequestId('key-a', 'order-1')).toBe(id);
    expect(deriveRequestId('key-b', 'order-1')).not.toBe(id);
    expect(deriveRequestId('key-a', 'order-2')).not.toBe(id);
  });
});

describe('payloadHash', () => {
  it('does not depend on key order or undefined fields, but on every value', () => {
    const a = payloadHash({ to: '5511999990001', type: 'text', text: 'hi' });
    expect(payloadHash({ text: 'hi', type: 'text', to: '5511999990001', caption: undefined })).toBe(a);
    expect(payloadHash({ to: '5511999990001', type: 'text', text: 'hi!' })).not.toBe(a);
  });
});

describe('resolveOutboundMime', () => {
  it('recognises PNG and PDF content from their first bytes', () => {
    expect(sniffMime(PNG)).toBe('image/png');
    expect(sniffMime(PDF)).toBe('application/pdf');
    expect(sniffMime(Buffer.from('hello').toString('base64'))).toBeUndefined();
  });

  it('prefers the declared mimetype, then the data: URI, then the content', () => {
    expect(resolveOutboundMime('document', PDF, 'text/plain')).toBe('text/plain');
    expect(resolveOutboundMime('image', `data:image/jpeg;base64,${PNG}`)).toBe('image/jpeg');
    expect(resolveOutboundMime('image', PNG)).toBe('image/png');
  });

  it('refuses an image message whose content is not an image', () => {
    const error = (() => {
      try {
        resolveOutboundMime('image', PDF);
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, code: 'MEDIA_TYPE_NOT_ALLOWED' });
  });

  it('asks for a mimetype when the content is not recognisable, and refuses types the store does not accept', () => {
    expect(() => resolveOutboundMime('document', Buffer.from('plain words').toString('base64'))).toThrow(
      'the media type could not be detected: pass `mimetype`',
    );
    expect(() => resolveOutboundMime('document', PDF, 'application/x-msdownload')).toThrow(
      'media type application/x-msdownload is not accepted',
    );
  });
});
