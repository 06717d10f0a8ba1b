import t from 'tap';
import { canonicalJson } from '../../src/crypto/canonical-json.js';
import { nobleEd25519 } from '../../src/crypto/ed25519-noble.js';
import {
  computeContentHash, computeReferenceHash, eventIdFromReferenceHash,
} from '../../src/crypto/hashes.js';
import { verifyJsonSignature } from '../../src/crypto/json-signing.js';
import { generateSigningKey } from '../../src/crypto/signing-key.js';
import { finishEvent, MAX_PDU_BYTES, EventTooLargeError } from '../../src/rooms/event-factory.js';
import { redactEvent } from '../../src/rooms/redaction.js';
import { ROOM_VERSIONS } from '../../src/rooms/room-versions.js';

const key = generateSigningKey();
const identity = { serverName: 'hs.test', key };

for (const version of ROOM_VERSIONS.values()) {
  t.test(`v${version.id}: a built event carries a correct hash, signature and event ID`,
    async (t) => {
    const { pdu, eventId } = finishEvent({
      room_id: '!room:hs.test', sender: '@a:hs.test', type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'héllo 🌡' }, origin_server_ts: 1_700_000_000_000,
      depth: 5, prev_events: ['$prev'], auth_events: ['$a', '$b'],
    }, version, identity);

    // Checked with the reference implementations in src/crypto, and @noble for signatures.
    t.equal(pdu.hashes.sha256, computeContentHash(pdu as Record<string, unknown>));
    const redacted = redactEvent(pdu, version);
    t.ok(verifyJsonSignature(redacted, 'hs.test', key.keyId, key.publicKey, nobleEd25519),
      'the signature verifies over the redacted event');
    t.equal(eventId, eventIdFromReferenceHash(computeReferenceHash(
      redacted as unknown as Record<string, unknown>)));
    t.notOk('event_id' in pdu, 'v4+ events carry no event_id field');
  });
}

t.test('an event over 65,536 bytes is refused', async (t) => {
  const version = ROOM_VERSIONS.get('10')!;
  const fields = (body: string) => ({
    room_id: '!room:hs.test', sender: '@a:hs.test', type: 'm.room.message',
    content: { body }, origin_server_ts: 1, depth: 1, prev_events: [], auth_events: [],
  });
  let error: unknown;
  try {
    finishEvent(fields('x'.repeat(MAX_PDU_BYTES)), version, identity);
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof EventTooLargeError, 'refused as too large');
  const { pdu } = finishEvent(fields('x'.repeat(MAX_PDU_BYTES - 600)), version, identity);
  t.ok(pdu.signatures['hs.test'], 'an event just under the limit is signed');

  // The limit is exact: the signed PDU's canonical JSON may be 65,536 bytes, not one more.
  const small = finishEvent(fields('x'), version, identity).pdu;
  const fits = MAX_PDU_BYTES - canonicalJson(small).length + 1;
  const largest = finishEvent(fields('x'.repeat(fits)), version, identity).pdu;
  t.equal(Buffer.byteLength(canonicalJson(largest)), MAX_PDU_BYTES, 'exactly 65,536 bytes fit');
  t.throws(() => finishEvent(fields('x'.repeat(fits + 1)), version, identity),
    { name: 'Error', message: `event is larger than ${MAX_PDU_BYTES} bytes` },
    'one byte more is refused');
});
