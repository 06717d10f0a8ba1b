import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BatchSigner } from '../../src/crypto/batch-signer.js';
import { nobleEd25519 } from '../../src/crypto/ed25519-noble.js';
import { generateSigningKey } from '../../src/crypto/signing-key.js';

const messages = (count: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => new Uint8Array(randomBytes(20 + i * 7)));

t.test('a few signatures at a time are made inline, and they verify', async (t) => {
  const key = generateSigningKey();
  const signer = new BatchSigner(key, { minBatch: 8 });
  t.teardown(() => signer.close());
  const batch = messages(3);
  const signatures = await Promise.all(batch.map((m) => signer.sign(m)));
  for (let i = 0; i < batch.length; i++) {
    t.ok(nobleEd25519.verify(key.publicKey, batch[i]!, signatures[i]!), `message ${i}`);
  }
  t.same(signer.stats, { inline: 3, worker: 0, workerStarts: 0 });
});

t.test('a lone burst (a room being created) is signed inline: the rate is low', async (t) => {
  const key = generateSigningKey();
  const signer = new BatchSigner(key, { minBatch: 8, minRate: 500 });
  t.teardown(() => signer.close());
  const batch = messages(20);
  const signatures = await Promise.all(batch.map((m) => signer.sign(m)));
  t.equal(signatures.filter((s, i) => nobleEd25519.verify(key.publicKey, batch[i]!, s)).length,
    20);
  t.same(signer.stats, { inline: 20, worker: 0, workerStarts: 0 });
});

t.test('a burst goes to the worker; each answer is its own message\'s signature', async (t) => {
  const key = generateSigningKey();
  const signer = new BatchSigner(key, { minBatch: 8, minRate: 30 });
  t.teardown(() => signer.close());
  const burst = messages(40);
  const pending = burst.map((m) => signer.sign(m));
  await new Promise((resolve) => setImmediate(resolve));
  // While the worker (still starting) holds the burst: a few more are signed inline at once,
  // and another burst waits for the worker's answer and then goes to it.
  const few = messages(3);
  const fewSigned = await Promise.all(few.map((m) => signer.sign(m)));
  t.same({ inline: signer.stats.inline, worker: signer.stats.worker }, { inline: 3, worker: 0 });
  const second = messages(20);
  const all = [...pending, ...second.map((m) => signer.sign(m))];
  const signatures = [...await Promise.all(all), ...fewSigned];
  const sent = [...burst, ...second, ...few];
  let verified = 0;
  for (let i = 0; i < sent.length; i++) {
    // Signatures are deterministic: the worker's must equal the inline one, byte for byte.
    t.same(Buffer.from(signatures[i]!), Buffer.from(key.sign(sent[i]!)), `message ${i}`);
    if (nobleEd25519.verify(key.publicKey, sent[i]!, signatures[i]!)) verified++;
  }
  t.equal(verified, sent.length);
  t.same(signer.stats, { inline: 3, worker: 60, workerStarts: 1 });
});

t.test('close signs what is still queued, inline', async (t) => {
  const key = generateSigningKey();
  const signer = new BatchSigner(key, { minBatch: 2, minRate: 0 });
  const batch = messages(10);
  const pending = batch.map((m) => signer.sign(m));
  await signer.close();
  const signatures = await Promise.all(pending);
  t.equal(signatures.filter((s, i) => nobleEd25519.verify(key.publicKey, batch[i]!, s)).length,
    10);
  t.equal(signer.stats.inline, 10);
});
