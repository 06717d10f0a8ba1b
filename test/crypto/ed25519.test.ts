import { randomBytes, randomInt } from 'node:crypto';

import t from 'tap';

import { nativeEd25519, nobleEd25519 } from '../../src/crypto/index.js';

const ROUNDS = 200;

t.test('native and noble give identical keys and signatures, each verifying the other',
  async (t) => {
    let checked = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const seed = randomBytes(32);
      const message = randomBytes(randomInt(0, 300));
      const publicKey = nativeEd25519.publicKeyFromSeed(seed);
      const nativeSig = nativeEd25519.sign(seed, message);
      const nobleSig = nobleEd25519.sign(seed, message);

      const agree =
        Buffer.compare(publicKey, nobleEd25519.publicKeyFromSeed(seed)) === 0 &&
        Buffer.compare(nativeSig, nobleSig) === 0 &&
        nativeSig.length === 64 &&
        nativeEd25519.verify(publicKey, message, nobleSig) &&
        nobleEd25519.verify(publicKey, message, nativeSig);
      if (!agree) t.fail(`implementations disagree for seed ${seed.toString('hex')}`);
      else checked++;
    }
    t.equal(checked, ROUNDS, `${ROUNDS} random seeds and messages`);
  });

t.test('tampered messages, signatures and keys fail on both', async (t) => {
  let rejected = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const seed = randomBytes(32);
    const message = randomBytes(randomInt(1, 300));
    const publicKey = nativeEd25519.publicKeyFromSeed(seed);
    const signature = nativeEd25519.sign(seed, message);

    const badMessage = Buffer.from(message);
    badMessage[randomInt(badMessage.length)]! ^= 1 << randomInt(8);
    const badSignature = Buffer.from(signature);
    badSignature[randomInt(64)]! ^= 1 << randomInt(8);
    const otherKey = nativeEd25519.publicKeyFromSeed(randomBytes(32));

    for (const impl of [nativeEd25519, nobleEd25519]) {
      const accepted = [
        impl.verify(publicKey, badMessage, signature),
        impl.verify(publicKey, message, badSignature),
        impl.verify(otherKey, message, signature),
      ];
      if (accepted.some(Boolean)) t.fail(`${impl.name} accepted a tampered input`);
      else rejected++;
    }
  }
  t.equal(rejected, 2 * ROUNDS);
});

for (const impl of [nativeEd25519, nobleEd25519]) {
  t.test(`${impl.name}: malformed lengths give false, not an exception`, async (t) => {
    const seed = randomBytes(32);
    const message = Buffer.from('hello');
    const publicKey = impl.publicKeyFromSeed(seed);
    const signature = impl.sign(seed, message);
    t.equal(impl.verify(publicKey, message, signature), true, 'the well-formed case verifies');
    t.equal(impl.verify(publicKey, message, signature.subarray(0, 63)), false);
    t.equal(impl.verify(publicKey, message, new Uint8Array(0)), false);
    t.equal(impl.verify(publicKey.subarray(0, 31), message, signature), false);
    t.equal(impl.verify(new Uint8Array(33), message, signature), false);
    // 0xff..ff is not the encoding of a curve point.
    t.equal(impl.verify(new Uint8Array(32).fill(0xff), message, signature), false);
  });

  t.test(`${impl.name}: seeds that are not 32 bytes are refused`, async (t) => {
    t.throws(() => impl.sign(new Uint8Array(31), new Uint8Array(1)), RangeError);
    t.throws(() => impl.publicKeyFromSeed(new Uint8Array(64)), RangeError);
  });
}

t.test('the native key cache does not mix up keys', async (t) => {
  // Same bytes in a different array must give the same key; different bytes a different one.
  const seed = randomBytes(32);
  const copy = new Uint8Array(seed);
  const message = Buffer.from('cache');
  t.same(nativeEd25519.sign(copy, message), nativeEd25519.sign(seed, message));
  const other = Buffer.from(seed);
  other[0]! ^= 1;
  t.notSame(nativeEd25519.sign(other, message), nativeEd25519.sign(seed, message));

  // A seed inside a larger buffer (a Buffer pool slice) is read at its own offset.
  const big = Buffer.concat([randomBytes(7), seed, randomBytes(9)]);
  const view = big.subarray(7, 39);
  t.same(nativeEd25519.sign(view, message), nobleEd25519.sign(seed, message));
  t.same(nativeEd25519.publicKeyFromSeed(view), nobleEd25519.publicKeyFromSeed(seed));

  // More distinct keys than the cache holds still all work.
  for (let i = 0; i < 40; i++) {
    const s = randomBytes(32);
    const sig = nativeEd25519.sign(s, message);
    if (!nobleEd25519.verify(nobleEd25519.publicKeyFromSeed(s), message, sig)) {
      t.fail('signature after cache eviction does not verify');
    }
  }
  t.same(nativeEd25519.sign(seed, message), nobleEd25519.sign(seed, message));
});
