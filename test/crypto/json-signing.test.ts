import t from 'tap';

import {
  canonicalJson,
  createSigningKey,
  encodeUnpaddedBase64,
  nativeEd25519,
  nobleEd25519,
  signJson,
  verifyJsonSignature,
} from '../../src/crypto/index.js';

const alice = createSigningKey(new Uint8Array(32).fill(1), 'a1');
const bob = createSigningKey(new Uint8Array(32).fill(2), 'b1', nobleEd25519);

t.test('the signature covers the canonical JSON without signatures and unsigned', async (t) => {
  const obj = { b: 2, a: [1, 'x'], unsigned: { age: 5 }, signatures: {} };
  const signed = signJson(obj, 'alice.org', alice);
  const expected = encodeUnpaddedBase64(
    alice.sign(Buffer.from(canonicalJson({ a: [1, 'x'], b: 2 }))));
  t.equal(signed.signatures['alice.org']?.['ed25519:a1'], expected);
  t.strictSame(signed.unsigned, { age: 5 }, 'unsigned is kept as it was');
  t.strictSame(obj, { b: 2, a: [1, 'x'], unsigned: { age: 5 }, signatures: {} },
    'the input is not modified');
});

t.test('new signatures merge with existing ones', async (t) => {
  const once = signJson({ n: 1 }, 'alice.org', alice);
  const twice = signJson(once, 'bob.org', bob);
  const rotated = signJson(twice, 'alice.org', createSigningKey(new Uint8Array(32).fill(3), 'a2'));
  t.strictSame(Object.keys(rotated.signatures).sort(), ['alice.org', 'bob.org']);
  t.strictSame(Object.keys(rotated.signatures['alice.org']!).sort(), ['ed25519:a1', 'ed25519:a2']);
  t.ok(verifyJsonSignature(rotated, 'alice.org', 'ed25519:a1', alice.publicKey));
  t.ok(verifyJsonSignature(rotated, 'bob.org', 'ed25519:b1', bob.publicKey, nobleEd25519));
  t.notOk('ed25519:a2' in once.signatures['alice.org']!, 'earlier copies are not touched');
});

t.test('unsigned and other signatures may change without breaking a signature', async (t) => {
  const signed = signJson({ n: 1, unsigned: { age: 1 } }, 'alice.org', alice);
  const relayed = { ...signed, unsigned: { age: 999 },
    signatures: { ...signed.signatures, 'x.org': { 'ed25519:z': 'AAAA' } } };
  t.ok(verifyJsonSignature(relayed, 'alice.org', 'ed25519:a1', alice.publicKey));
});

t.test('verification fails for every way a signature can be missing or wrong', async (t) => {
  const signed = signJson({ n: 1 }, 'alice.org', alice);
  const sig = signed.signatures['alice.org']!['ed25519:a1']!;
  for (const impl of [nativeEd25519, nobleEd25519]) {
    const check = (obj: object, name = 'alice.org', keyId = 'ed25519:a1', key = alice.publicKey) =>
      verifyJsonSignature(obj, name, keyId, key, impl);
    t.ok(check(signed), `${impl.name}: the good case verifies`);
    t.notOk(check({ ...signed, n: 2 }), 'changed content');
    t.notOk(check({ ...signed, extra: true }), 'added member');
    t.notOk(check(signed, 'bob.org'), 'no entry for the entity');
    t.notOk(check(signed, 'alice.org', 'ed25519:zz'), 'no entry for the key ID');
    t.notOk(check(signed, 'alice.org', 'ed25519:a1', bob.publicKey), 'wrong public key');
    t.notOk(check({ n: 1 }), 'no signatures at all');
    t.notOk(check({ n: 1, signatures: 'x' }), 'signatures not an object');
    t.notOk(check({ n: 1, signatures: { 'alice.org': { 'ed25519:a1': 5 } } }), 'not a string');
    t.notOk(check({ n: 1, signatures: { 'alice.org': { 'ed25519:a1': '!!' } } }), 'bad base64');
    t.notOk(check({ n: 1, signatures: { 'alice.org': { 'ed25519:a1': sig.slice(4) } } }),
      'truncated signature');
    t.notOk(check({ n: 1, signatures: { 'alice.org': { 'curve:a1': sig } } }, 'alice.org',
      'curve:a1'), 'an algorithm other than ed25519');
    t.notOk(check({ ...signed, n: 1.5 }), 'a value with no canonical form');
  }
});

t.test('signing refuses values with no canonical form and malformed signatures', async (t) => {
  t.throws(() => signJson({ f: 0.5 }, 'alice.org', alice), { name: 'CanonicalJsonError' });
  t.throws(() => signJson({ signatures: [] }, 'alice.org', alice), TypeError);
  t.throws(() => signJson({ signatures: { 'a.org': 'x' } }, 'alice.org', alice), TypeError);
});
