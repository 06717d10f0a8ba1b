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

t.test('without a worker, every signature is made inline, whatever the rate', async (t) => {
  const key = generateSigningKey();
  const signer = new BatchSigner(key, { minBatch: 1, minRate: 1, worker: false });
  t.teardown(() => signer.close());
  for (let round = 0; round < 5; round++) {
    const batch = messages(40);
    const signatures = await Promise.all(batch.map((m) => signer.sign(m)));
    t.equal(signatures.filter((s, i) => nobleEd25519.verify(key.publicKey, batch[i]!, s)).length,
      40, `round ${round}: all verify`);
  }
  t.same(signer.stats, { inline: 200, worker: 0, workerStarts: 0 });
});

t.test('a burst is signed inline while the worker starts, and goes to it once it runs',
  async (t) => {
    const key = generateSigningKey();
    const signer = new BatchSigner(key, { minBatch: 8, minRate: 30 });
    t.teardown(() => signer.close());
    const sent: Uint8Array[] = [];
    const signatures: Uint8Array[] = [];
    const signAll = async (batch: Uint8Array[]): Promise<void> => {
      const signed = await Promise.all(batch.map((m) => signer.sign(m)));
      sent.push(...batch);
      signatures.push(...signed);
    };

    // The first burst starts the worker but does not wait for it.
    await signAll(messages(40));
    t.same(signer.stats, { inline: 40, worker: 0, workerStarts: 1 });
    // Once the worker runs, bursts go to it (polled: its start-up takes 50-150 ms here).
    for (let i = 0; i < 200 && signer.stats.worker === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await signAll(messages(20));
    }
    t.ok(signer.stats.worker >= 20, 'a burst was signed in the worker');

    // While the worker holds a burst, a few more are signed inline at once, and another
    // burst waits for the worker's answer and then goes to it.
    const before = { ...signer.stats };
    const burst = messages(40);
    const pending = signAll(burst);
    await new Promise((resolve) => setImmediate(resolve));
    await signAll(messages(3));
    // (Whether the worker has answered the burst by then depends on the machine's load.)
    t.equal(signer.stats.inline - before.inline, 3, 'a few more are signed inline at once');
    await Promise.all([pending, signAll(messages(20))]);
    t.same({ inline: signer.stats.inline - before.inline, worker: signer.stats.worker -
      before.worker, workerStarts: signer.stats.workerStarts },
    { inline: 3, worker: 60, workerStarts: 1 });

    let verified = 0;
    for (let i = 0; i < sent.length; i++) {
      // Signatures are deterministic: the worker's must equal the inline one, byte for byte.
      if (Buffer.from(signatures[i]!).equals(Buffer.from(key.sign(sent[i]!)))) verified++;
    }
    t.equal(verified, sent.length, 'every signature equals the inline one');
    t.equal(sent.filter((m, i) => nobleEd25519.verify(key.publicKey, m, signatures[i]!)).length,
      sent.length, 'every signature verifies with @noble/ed25519');
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
