// Throughput of the crypto hot path: Ed25519 sign and verify with node:crypto and with
// @noble/ed25519 side by side, and canonical JSON of a typical event.
// Run: npm run build && node dist/scripts/bench-crypto.js

import { randomBytes } from 'node:crypto';

import { canonicalJson } from '../src/crypto/canonical-json.js';
import { nativeEd25519, type Ed25519 } from '../src/crypto/ed25519.js';
import { nobleEd25519 } from '../src/crypto/ed25519-noble.js';

const DURATION_MS = 1500;

/** A message event of ordinary size, shaped as it is when hashed and signed. */
const TYPICAL_EVENT = {
  auth_events: ['$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg', '$oKxq0aEl6ebT2l7DyBZxPz5kgd1cR8'],
  content: {
    body: 'The sensor on the second floor reports 21 °C and 40 % humidity.',
    msgtype: 'm.text',
    'm.relates_to': { rel_type: 'm.thread', event_id: '$6YeO6cMjcsAnrV0BDQm0ySJ8Fd3TtuP6C' },
  },
  depth: 1234,
  hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
  origin_server_ts: 1718000000000,
  prev_events: ['$8U3WqlzXobQpQBZvkmUhLiUHXX_1q1zQJhCq8XLmHkM'],
  room_id: '!sensors:switchboard.example',
  sender: '@bridge:switchboard.example',
  type: 'm.room.message',
  unsigned: { age_ts: 1718000000000 },
};

/** Runs `op` in batches until DURATION_MS has passed; returns operations per second. */
function measure(op: () => void): number {
  for (let i = 0; i < 50; i++) op(); // warm-up, lets the JIT settle
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 20; i++) op();
    count += 20;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}

function measureEd25519(impl: Ed25519, seed: Uint8Array, message: Uint8Array) {
  const publicKey = impl.publicKeyFromSeed(seed);
  const signature = impl.sign(seed, message);
  return {
    sign: measure(() => impl.sign(seed, message)),
    verify: measure(() => {
      if (!impl.verify(publicKey, message, signature)) throw new Error('verify failed');
    }),
  };
}

export async function benchCrypto(): Promise<Record<string, number>> {
  const seed = randomBytes(32);
  const message = Buffer.from(canonicalJson(TYPICAL_EVENT), 'utf8');

  const native = measureEd25519(nativeEd25519, seed, message);
  const noble = measureEd25519(nobleEd25519, seed, message);
  const canonical = measure(() => canonicalJson(TYPICAL_EVENT));
  // Reference point only: plain JSON.stringify neither sorts keys nor checks numbers.
  const plain = measure(() => JSON.stringify(TYPICAL_EVENT));

  const results: Record<string, number> = {
    'native.sign': native.sign,
    'native.verify': native.verify,
    'noble.sign': noble.sign,
    'noble.verify': noble.verify,
    'canonicalJson': canonical,
    'JSON.stringify': plain,
  };

  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10);
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`.padStart(8);
  const row = (name: string, a: number, b: number): string =>
    `  ${name.padEnd(6)}  ${fmt(a)}    ${fmt(b)}  ${ratio(a, b)}`;
  console.log(`Ed25519 over a ${message.length}-byte canonical event, ops/s ` +
    `(~${DURATION_MS} ms each)`);
  console.log('            node:crypto  @noble/ed25519  native/noble');
  console.log(row('sign', native.sign, noble.sign));
  console.log(row('verify', native.verify, noble.verify));
  console.log(`canonicalJson of that event: ${fmt(canonical).trim()} ops/s ` +
    `(unsorted JSON.stringify: ${fmt(plain).trim()} ops/s)`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchCrypto();
}
