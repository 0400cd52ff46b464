import { forward } from '../../../workflows/delivery';

describe('forward (delivery status in a workflow)', () => {
  it('moves forward through sent, delivered and read, and skips steps', () => {
    expect(forward('sent', 'delivered')).toBe('delivered');
    expect(forward('delivered', 'read')).toBe('read');
    expect(forward('sent', 'read')).toBe('read');
  });

  it('never moves backwards when acks arrive out of order', () => {
    expect(forward('read', 'delivered')).toBe('read');
    expect(forward('delivered', 'sent')).toBe('delivered');
  });

  it('lets a failure end a message that was not delivered, but never one that was', () => {
    expect(forward('sent', 'failed')).toBe('failed');
    expect(forward('delivered', 'failed')).toBe('delivered');
    expect(forward('read', 'failed')).toBe('read');
    expect(forward('failed', 'read')).toBe('failed');
  });
});
