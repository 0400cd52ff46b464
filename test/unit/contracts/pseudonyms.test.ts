import { randomBytes } from 'node:crypto';
import { plainWorkflowIds } from '../../../contracts';
import { createWorkflowIds, deriveIdKey } from '../../../contracts/pseudonyms';

const KEY = Buffer.alloc(32, 7).toString('base64');
const CHAT = '5511988887777@c.us';
const MESSAGE = 'false_5511988887777@c.us_3EB0C4F1A2B3D4E5F6A7';

describe('workflow ids', () => {
  it('without a payload key are readable, as in local development', () => {
    const ids = createWorkflowIds({});
    expect(ids).toBe(plainWorkflowIds);
    expect(ids.conversation('s1', CHAT)).toBe(`conversation:s1:${CHAT}`);
    expect(ids.inbound('s1', MESSAGE)).toBe(`inbound:s1:${MESSAGE}`);
    expect(ids.triageAttribute('urgent')).toBe('urgent');
  });

  it('with a payload key are keyed pseudonyms that carry no digit of the phone number', () => {
    const ids = createWorkflowIds({ payloadKey: KEY });
    const conversation = ids.conversation('s1', CHAT);
    expect(conversation).toMatch(/^conversation:s1:c_[0-9a-f]{32}$/);
    expect(ids.inbound('s1', MESSAGE)).toMatch(/^inbound:s1:m_[0-9a-f]{32}$/);
    expect(ids.patientAttribute('patient-42')).toMatch(/^p_[0-9a-f]{32}$/);
    expect(ids.chatAttribute('s1', CHAT)).toBe(conversation.slice('conversation:s1:'.length));
    expect(conversation).not.toContain('88887777');
    expect(ids.sessionKeeper('s1')).toBe('session-keeper:s1');
  });

  it('are the same for the same key in every process, and different under another key or for another value', () => {
    const a = createWorkflowIds({ payloadKey: KEY });
    const b = createWorkflowIds({ payloadKey: KEY });
    const other = createWorkflowIds({ payloadKey: randomBytes(32).toString('base64') });
    expect(a.conversation('s1', CHAT)).toBe(b.conversation('s1', CHAT));
    expect(other.conversation('s1', CHAT)).not.toBe(a.conversation('s1', CHAT));
    expect(a.conversation('s2', CHAT)).not.toBe(a.conversation('s1', CHAT));
    expect(a.chatAttribute('s1', CHAT)).not.toBe(a.patientAttribute(CHAT).replace('p_', 'c_'));
  });

  it('say of the triage level only that a chat was escalated', () => {
    const ids = createWorkflowIds({ payloadKey: KEY });
    expect(ids.triageAttribute('emergency')).toBe('escalated');
    for (const level of ['urgent', 'routine', 'self-care', 'info'] as const)
      expect(ids.triageAttribute(level)).toBeUndefined();
  });

  it('derive their key from the payload key without using the payload key itself', () => {
    const derived = deriveIdKey(KEY);
    expect(derived).toHaveLength(32);
    expect(derived.equals(Buffer.from(KEY, 'base64'))).toBe(false);
  });
});
