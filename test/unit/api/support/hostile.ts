import fc from 'fast-check';
import { KNOWN_WEBHOOK_EVENTS } from '../../../../wppconnect/schemas';

/** fast-check generators of hostile input, shared by the unit and the app-level property tests. */

export const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e300, -1e300, Number.MAX_SAFE_INTEGER + 2, -1, 0, 1780300000, 1780300000000, 4102444801),
);
export const validWid = fc.constantFrom('5511999990001@c.us', '120363000000000001@g.us', '123456789012345@lid');
const wid = fc.oneof(validWid, anyText, fc.record({ _serialized: fc.oneof(validWid, anyText) }), fc.constant(null));
const validId = fc.stringMatching(/^(true|false)_5511999990001@c\.us_[0-9A-F]{20}$/);
const validTime = fc.integer({ min: 0, max: 4_102_444_800 });

/** Valid most of the time, hostile now and then: so bodies are accepted often enough, and not always. */
export const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: hostile, weight: 1 });

/** Message-shaped webhook bodies whose every field may be hostile. */
export const hostileMessageEvent = fc.record(
  {
    event: mostly(fc.constantFrom(...KNOWN_WEBHOOK_EVENTS), anyText),
    session: mostly(fc.constant('demo-session'), anyText),
    id: mostly(validId, fc.oneof(anyText, fc.constant(`false_5511999990001@c.us_${'A'.repeat(300)}`), wid)),
    from: mostly(validWid, wid),
    to: mostly(validWid, wid),
    author: mostly(validWid, wid),
    chatId: mostly(validWid, wid),
    fromMe: mostly(fc.boolean(), anyText),
    type: mostly(fc.constantFrom('chat', 'image', 'document', 'ptt', 'location', 'revoked'), anyText),
    body: fc.oneof(anyText, fc.constant(null)),
    caption: anyText,
    filename: anyText,
    mimetype: mostly(fc.constantFrom('image/jpeg', 'application/pdf', 'text/html'), anyText),
    size: mostly(fc.nat(), anyNumber),
    t: mostly(validTime, anyNumber),
    timestamp: mostly(validTime, anyNumber),
    ack: mostly(fc.integer({ min: -7, max: 4 }), anyNumber),
    lat: mostly(fc.double({ min: -90, max: 90, noNaN: true }), anyNumber),
    lng: mostly(fc.double({ min: -180, max: 180, noNaN: true }), anyNumber),
    isGroupMsg: mostly(fc.boolean(), anyText),
    sender: mostly(fc.record({ id: mostly(validWid, wid), pushname: anyText }), anyText),
  },
  { requiredKeys: ['event'] },
);

const queryText = fc.string({ unit: 'binary', maxLength: 250 });
const anyQueryValue = fc.oneof(
  queryText,
  fc.integer().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/** GET /api/search query strings: plausible filters most of the time, anything now and then. */
export const hostileSearchQuery = fc.record(
  {
    q: fc.oneof(
      queryText,
      fc.constantFrom('chest', 'dor "de cabeça"', '100%', '_under_', '[brackets]', "' OR 1=1 --", 'a\u0000b'),
    ),
    chatId: mostly(validWid, anyQueryValue),
    senderType: mostly(fc.constantFrom('patient', 'assistant', 'human', 'system'), queryText),
    messageType: mostly(fc.constantFrom('text', 'image'), queryText),
    from: mostly(fc.constant('2026-01-01T00:00:00Z'), anyQueryValue),
    to: mostly(fc.constant('2027-01-01T00:00:00Z'), anyQueryValue),
    limit: mostly(fc.integer({ min: 1, max: 100 }).map(String), anyQueryValue),
    offset: mostly(fc.integer({ min: 0, max: 50 }).map(String), anyQueryValue),
  },
  { requiredKeys: ['q'] },
);
