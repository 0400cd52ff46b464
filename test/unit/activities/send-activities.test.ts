import { ApplicationFailure } from '@temporalio/common';
import { findEarlierSend, toActivityFailure } from '../../../activities/send-activities';
import {
  WppAuthError,
  WppProtocolError,
  WppRecipientNotFoundError,
  WppResponseTooLargeError,
  WppSessionUnavailableError,
  WppTransientError,
} from '../../../wppconnect/errors';

describe('toActivityFailure', () => {
  it('makes a recipient that does not exist a non-retryable RecipientNotFound failure', () => {
    const failure = toActivityFailure(new WppRecipientNotFoundError('O número 5511 não existe.', { status: 400 }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('RecipientNotFound');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('keeps a session that is down retryable, so the send waits for the session instead of failing', () => {
    const failure = toActivityFailure(
      new WppSessionUnavailableError('not active', { status: 404 }),
    ) as ApplicationFailure;
    expect(failure.type).toBe('WppSessionUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('keeps token problems retryable: the operator fixes the secret and the reply still goes out', () => {
    const failure = toActivityFailure(new WppAuthError('401', { status: 401 })) as ApplicationFailure;
    expect(failure.type).toBe('WppAuth');
    expect(failure.nonRetryable).toBe(false);
  });

  it('treats 5xx as retryable and an unreadable answer as permanent', () => {
    expect((toActivityFailure(new WppTransientError('500', { status: 500 })) as ApplicationFailure).nonRetryable).toBe(
      false,
    );
    expect((toActivityFailure(new WppProtocolError('html', { status: 404 })) as ApplicationFailure).nonRetryable).toBe(
      true,
    );
  });

  it('treats an answer over the size cap as unreadable: permanent, so the send does not loop', () => {
    const failure = toActivityFailure(
      new WppResponseTooLargeError('send-message: too big', { status: 201, limit: 10, seen: 11 }),
    ) as ApplicationFailure;
    expect([failure.type, failure.nonRetryable]).toEqual(['WppProtocol', true]);
  });

  it('passes errors that are not WPPConnect errors through unchanged', () => {
    const err = new Error('boom');
    expect(toActivityFailure(err)).toBe(err);
  });
});

describe('findEarlierSend (what a retried send looks for before sending again)', () => {
  const msg = (id: string, fromMe: boolean, body: string, t: number) => ({
    id,
    chatId: '5511999990001@c.us',
    from: fromMe ? 'me@c.us' : '5511999990001@c.us',
    to: fromMe ? '5511999990001@c.us' : 'me@c.us',
    fromMe,
    type: 'chat',
    body,
    t,
    isGroupMsg: false,
  });
  const sameBody = (text: string) => (m: { body?: string }) => m.body === text;

  it('finds our identical message sent after the patient message it answers', () => {
    const chat = [msg('p1', false, 'headache', 100), msg('r1', true, 'Reply A', 101)];
    expect(findEarlierSend(chat, sameBody('Reply A'), { anchorMessageId: 'p1', notBeforeSeconds: 0 })?.id).toBe('r1');
  });

  it('ignores the same text sent before the anchor (an answer to an older burst)', () => {
    const chat = [msg('r0', true, 'Reply A', 90), msg('p1', false, 'headache again', 100)];
    expect(findEarlierSend(chat, sameBody('Reply A'), { anchorMessageId: 'p1', notBeforeSeconds: 0 })).toBeUndefined();
  });

  it('without an anchor in sight, only looks at messages newer than the first attempt', () => {
    const chat = [msg('r0', true, 'Reminder', 90), msg('r1', true, 'Reminder', 200)];
    expect(findEarlierSend(chat, sameBody('Reminder'), { notBeforeSeconds: 150 })?.id).toBe('r1');
    expect(findEarlierSend(chat, sameBody('Reminder'), { notBeforeSeconds: 250 })).toBeUndefined();
  });

  it('skips an identical message that is already recorded as the reply to an earlier turn', () => {
    // Patient wrote p1, then p2 before r1 (the reply to p1) went out; the reply to p2 has the same text.
    const chat = [msg('p1', false, 'hi', 100), msg('p2', false, 'hi again', 101), msg('r1', true, 'Hello!', 102)];
    const options = { anchorMessageId: 'p2', notBeforeSeconds: 0 };
    expect(findEarlierSend(chat, sameBody('Hello!'), { ...options, recordedIds: new Set(['r1']) })).toBeUndefined();
    expect(findEarlierSend(chat, sameBody('Hello!'), options)?.id).toBe('r1');
  });

  it("never takes the patient's own message for ours", () => {
    const chat = [msg('p1', false, 'Reply A', 100)];
    expect(findEarlierSend(chat, sameBody('Reply A'), { notBeforeSeconds: 0 })).toBeUndefined();
  });
});
