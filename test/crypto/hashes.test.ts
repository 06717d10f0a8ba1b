import { createHash } from 'node:crypto';

import t from 'tap';

import {
  addContentHash,
  canonicalJson,
  computeContentHash,
  computeReferenceHash,
  decodeBase64,
  eventIdFromReferenceHash,
  sha256,
} from '../../src/crypto/index.js';

const event = {
  type: 'm.room.message',
  room_id: '!r:example.org',
  sender: '@u:example.org',
  origin_server_ts: 5,
  content: { body: 'hi' },
  hashes: { sha256: 'old' },
  signatures: { 'example.org': { 'ed25519:1': 'sig' } },
  unsigned: { age: 1 },
};

t.test('sha256 hashes bytes and the UTF-8 of strings', async (t) => {
  // FIPS 180-2 example "abc".
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  t.equal(Buffer.from(sha256('abc')).toString('hex'), abc);
  t.equal(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex'), abc);
  t.same(sha256('日'), sha256(Uint8Array.of(0xe6, 0x97, 0xa5)));
});

t.test('the content hash ignores unsigned, signatures and hashes only', async (t) => {
  const hash = computeContentHash(event);
  t.match(hash, /^[A-Za-z0-9+/]{43}$/, 'unpadded standard base64 of 32 bytes');
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event;
  t.same(decodeBase64(hash), createHash('sha256').update(canonicalJson(rest)).digest());
  t.equal(computeContentHash({ ...event, unsigned: {}, signatures: {}, hashes: {} }), hash);
  t.not(computeContentHash({ ...event, content: { body: 'hi!' } }), hash);
});

t.test('addContentHash returns a copy with hashes.sha256 set', async (t) => {
  const hashed = addContentHash(event);
  t.strictSame(hashed.hashes, { sha256: computeContentHash(event) });
  t.equal(hashed.content, event.content);
  t.equal(event.hashes.sha256, 'old', 'the input is untouched');
});

t.test('the reference hash covers hashes but not signatures or unsigned', async (t) => {
  const ref = computeReferenceHash(event);
  t.equal(ref.length, 32);
  const { signatures: _s, unsigned: _u, ...rest } = event;
  t.same(ref, sha256(canonicalJson(rest)));
  t.same(computeReferenceHash({ ...event, signatures: {}, unsigned: { age: 7 } }), ref);
  t.notSame(computeReferenceHash({ ...event, hashes: { sha256: 'new' } }), ref);
});

t.test('v4+ event IDs are $ and URL-safe unpadded base64 of the reference hash', async (t) => {
  const hash = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 251) & 0xff);
  const id = eventIdFromReferenceHash(hash);
  t.match(id, /^\$[A-Za-z0-9_-]{43}$/);
  t.same(decodeBase64(id.slice(1)), hash);
  // 0xfb 0xff -> "-_" in the URL-safe alphabet, where standard base64 has "+/".
  t.equal(eventIdFromReferenceHash(new Uint8Array(32).fill(0xff)).slice(0, 5), '$____');
  t.equal(eventIdFromReferenceHash(Uint8Array.of(0xfb, 0xef, 0xbe)), '$----');
});
