import { sendSlots } from '../../../worker/worker';

describe('sendSlots (the send worker)', () => {
  it('holds four seconds of sends at the rate limit, plus those waiting out a quiet window', () => {
    expect(sendSlots(2, 0)).toBe(8);
    expect(sendSlots(2, 2000)).toBe(12);
    expect(sendSlots(5, 500)).toBe(23);
  });

  it('keeps at least two', () => {
    expect(sendSlots(0.1, 0)).toBe(2);
  });
});
