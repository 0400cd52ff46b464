/** createLidResolver: the cache in front of contact/pn-lid (a fake look-up counts the calls). */
import { createLidResolver } from '../../../wppconnect/contacts';
import { WppTransientError } from '../../../wppconnect/errors';

/** A number, null (WhatsApp does not tell), an error, or HANG (never answers). */
const HANG = Symbol('hang');

function fakeLookup(answers: Record<string, string | null | Error | typeof HANG>) {
  const calls: string[] = [];
  return {
    calls,
    wpp: {
      getPhoneForLid(session: string, lid: string): Promise<string | null> {
        calls.push(`${session} ${lid}`);
        const answer = answers[lid];
        if (answer === HANG) return new Promise(() => undefined);
        if (answer instanceof Error) return Promise.reject(answer);
        return Promise.resolve(answer ?? null);
      },
    },
  };
}

describe('createLidResolver', () => {
  it('asks once per LID and session, then answers from its cache until the entry expires', async () => {
    let now = 0;
    const { calls, wpp } = fakeLookup({ '111111111111111@lid': '5511999990003' });
    const contacts = createLidResolver({ wpp, ttlMs: 1000, now: () => now });
    expect(await contacts.phoneFor('s', '111111111111111@lid')).toBe('5511999990003');
    expect(await contacts.phoneFor('s', '111111111111111@lid')).toBe('5511999990003');
    expect(await contacts.phoneFor('other', '111111111111111@lid')).toBe('5511999990003');
    expect(calls).toEqual(['s 111111111111111@lid', 'other 111111111111111@lid']);
    now = 1001;
    await contacts.phoneFor('s', '111111111111111@lid');
    expect(calls).toHaveLength(3);
  });

  it('shares one look-up between concurrent callers', async () => {
    const { calls, wpp } = fakeLookup({ '111111111111111@lid': '5511999990003' });
    const contacts = createLidResolver({ wpp });
    const answers = await Promise.all([1, 2, 3].map(() => contacts.phoneFor('s', '111111111111111@lid')));
    expect(answers).toEqual(['5511999990003', '5511999990003', '5511999990003']);
    expect(calls).toHaveLength(1);
  });

  it('never asks for ids that are not LIDs (phone chats already carry the number, groups have none)', async () => {
    const { calls, wpp } = fakeLookup({});
    const contacts = createLidResolver({ wpp });
    expect(await contacts.phoneFor('s', '5511999990001@c.us')).toBeUndefined();
    expect(await contacts.phoneFor('s', '120363000000000001@g.us')).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('answers unknown for a failed or unmapped look-up and asks again only after missTtlMs', async () => {
    let now = 0;
    const { calls, wpp } = fakeLookup({
      '222222222222222@lid': new WppTransientError('contact/pn-lid: ECONNREFUSED', { status: 0 }),
      '333333333333333@lid': null,
    });
    const contacts = createLidResolver({ wpp, missTtlMs: 500, now: () => now });
    expect(await contacts.phoneFor('s', '222222222222222@lid')).toBeUndefined();
    expect(await contacts.phoneFor('s', '333333333333333@lid')).toBeUndefined();
    expect(await contacts.phoneFor('s', '222222222222222@lid')).toBeUndefined();
    expect(calls).toHaveLength(2);
    now = 501;
    await contacts.phoneFor('s', '222222222222222@lid');
    expect(calls).toHaveLength(3);
  });

  it('gives up a look-up slower than its deadline, so a webhook answer is never held long', async () => {
    const { wpp } = fakeLookup({ '444444444444444@lid': HANG });
    const contacts = createLidResolver({ wpp, deadlineMs: 20 });
    await expect(contacts.phoneFor('s', '444444444444444@lid')).resolves.toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const { calls, wpp } = fakeLookup({
      '100000000000001@lid': '5511000000001',
      '100000000000002@lid': '5511000000002',
      '100000000000003@lid': '5511000000003',
    });
    const contacts = createLidResolver({ wpp, maxEntries: 2 });
    for (const n of [1, 2, 3]) await contacts.phoneFor('s', `10000000000000${n}@lid`);
    await contacts.phoneFor('s', '100000000000003@lid');
    await contacts.phoneFor('s', '100000000000001@lid');
    expect(calls.map((c) => c.slice(-6, -4))).toEqual(['01', '02', '03', '01']);
  });
});
