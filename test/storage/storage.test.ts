import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stateKey, type StateKey } from '../../src/rooms/event.js';
import { Database } from '../../src/storage/level/database.js';
import { latestPerKey } from '../../src/storage/level/durable-writer.js';
import { StateGroupStore } from '../../src/storage/level/state-groups.js';
import { StreamCounter } from '../../src/storage/level/stream.js';

async function openTemp(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-storage-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('concurrent writes share synced batches and all reach the disk', async (t) => {
  const dir = await openTemp(t);
  const db = await Database.open(dir);
  const writes = Array.from({ length: 500 }, (_, i) =>
    db.write([{ type: 'put', key: `k:${String(i).padStart(4, '0')}`, value: { i } }]));
  await Promise.all(writes);
  t.ok(db.writer.stats.batches < 500, `500 writes took ${db.writer.stats.batches} batches`);
  t.equal(db.writer.stats.ops, 500);
  await db.close();

  const reopened = await Database.open(dir);
  const rows = await reopened.range<{ i: number }>('k:');
  t.equal(rows.length, 500, 'every acknowledged write survived the reopen');
  t.same(rows[499], ['k:0499', { i: 499 }]);
  await reopened.close();
});

t.test('a failed batch rejects its writers and later writes still work', async (t) => {
  const dir = await openTemp(t);
  const db = await Database.open(dir);
  // A key that is not a string makes LevelDB refuse the whole batch.
  await t.rejects(db.write([{ type: 'put', key: undefined as unknown as string, value: 1 }]));
  await db.write([{ type: 'put', key: 'after', value: 2 }]);
  t.equal(await db.get('after'), 2);
  await db.close();
});

t.test('a write waits for its ready promise and keeps its place in the order', async (t) => {
  const dir = await openTemp(t);
  const db = await Database.open(dir);
  // The value is completed after write() was called, as an event's signature is.
  const value: { signature?: string } = {};
  let sign: () => void = () => {};
  const ready = new Promise<void>((resolve) => { sign = resolve; });
  const order: string[] = [];
  const first = db.write([{ type: 'put', key: 'first', value }], ready)
    .then(() => order.push('first'));
  const second = db.write([{ type: 'put', key: 'second', value: 2 }])
    .then(() => order.push('second'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(order, [], 'nothing is written while an earlier write is not ready');
  value.signature = 'made later';
  sign();
  await Promise.all([first, second]);
  t.same(order, ['first', 'second']);
  t.same(await db.get('first'), { signature: 'made later' }, 'encoded once ready');
  // A failed ready fails its batch only; the writer goes on.
  await t.rejects(db.write([{ type: 'put', key: 'never', value: 1 }],
    Promise.reject(new Error('signing failed'))), /signing failed/);
  t.equal(await db.get('never'), undefined);
  await db.write([{ type: 'put', key: 'after', value: 3 }]);
  t.equal(await db.get('after'), 3);
  await db.close();
});

t.test('queued batches settle in order, each with its own outcome', async (t) => {
  const dir = await openTemp(t);
  const db = await Database.open(dir);
  const outcomes: string[] = [];
  const note = (name: string, p: Promise<void>) =>
    p.then(() => outcomes.push(`${name} ok`), () => outcomes.push(`${name} failed`));
  // Batch 1 goes out on its own; batch 2 fills while 1 is on its way and fails on its
  // ready promise; batch 3 fills while 2 waits, so it may build on 2 (an event on 2's
  // events) and fails with it, unwritten; batch 4 comes after the failure and is written.
  const failures: string[] = [];
  db.writer.onFailure((err) => failures.push(`${err.name}: ${err.message}`));
  const one = note('one', db.write([{ type: 'put', key: 'one', value: 1 }]));
  await new Promise((resolve) => setImmediate(resolve));
  let failSigning: (err: Error) => void = () => {};
  const signing = new Promise<void>((_, reject) => { failSigning = reject; });
  const two = note('two', db.write([{ type: 'put', key: 'two', value: 2 }], signing));
  const twoBis = note('two-bis', db.write([{ type: 'put', key: 'two-bis', value: 2 }]));
  await one;
  const three = note('three', db.write([{ type: 'put', key: 'three', value: 3 }]));
  failSigning(new Error('signing failed'));
  await Promise.all([two, twoBis, three]);
  t.same(failures, ['StorageError: the write did not reach the disk: signing failed'],
    'the failure listener heard of it once');
  const four = note('four', db.write([{ type: 'put', key: 'four', value: 4 }]));
  await four;
  t.same(outcomes, ['one ok', 'two failed', 'two-bis failed', 'three failed', 'four ok'],
    'a batch fails as a whole with what queued behind it, and the next one is written');
  t.equal(await db.get('two-bis'), undefined);
  t.equal(await db.get('three'), undefined);
  t.equal(await db.get('four'), 4);
  await db.close();
});

t.test('state groups store deltas and resolve every group exactly after a restart', async (t) => {
  const dir = await openTemp(t);
  let db = await Database.open(dir);
  let groups = await StateGroupStore.open(db);
  const expected = new Map<number, Map<StateKey, string>>();
  const current = new Map<StateKey, string>();
  let prev: number | null = null;
  // 300 changes cross two snapshot boundaries (every 128 links).
  for (let i = 0; i < 300; i++) {
    const key = stateKey('m.room.member', `@u${i % 120}:x`);
    current.set(key, `$e${i}`);
    const { id, op } = groups.createGroup(prev, { [key]: `$e${i}` }, () => new Map(current));
    await db.write([op]);
    expected.set(id, new Map(current));
    prev = id;
  }
  const stored = await db.range<{ entries: Record<string, string> }>('sg:');
  const totalEntries = stored.reduce((n, [, g]) => n + Object.keys(g.entries).length, 0);
  t.ok(totalEntries < 300 * 10, `300 groups hold ${totalEntries} entries, not one map each`);
  await db.close();

  db = await Database.open(dir);
  groups = await StateGroupStore.open(db);
  for (const id of [1, 50, 127, 128, 129, 200, 256, 300]) {
    t.same(await groups.resolve(id), expected.get(id), `group ${id} resolves to its state`);
  }
  await db.close();
});

t.test('the stream counter continues after a restart', async (t) => {
  const dir = await openTemp(t);
  let db = await Database.open(dir);
  let stream = await StreamCounter.open(db);
  stream.allocate();
  const pos = stream.allocate();
  await db.write([stream.counterOp()]);
  stream.markDurable(pos);
  t.equal(stream.durable, 2);
  await db.close();
  db = await Database.open(dir);
  stream = await StreamCounter.open(db);
  t.equal(stream.durable, 2);
  t.equal(stream.allocate(), 3);
  await db.close();
});

t.test('within one batch only the last write of each key is kept, in order', async (t) => {
  t.same(latestPerKey([
    { type: 'put', key: 'a', value: 1 },
    { type: 'put', key: 'b', value: 1 },
    { type: 'put', key: 'a', value: 2 },
    { type: 'del', key: 'b' },
    { type: 'put', key: 'c', value: 3 },
  ]), [
    { type: 'put', key: 'a', value: 2 },
    { type: 'del', key: 'b' },
    { type: 'put', key: 'c', value: 3 },
  ]);

  const dir = await openTemp(t);
  const db = await Database.open(dir);
  await Promise.all([
    db.write([{ type: 'put', key: 'room', value: 1 }, { type: 'put', key: 'e1', value: 'x' }]),
    db.write([{ type: 'put', key: 'room', value: 2 }, { type: 'put', key: 'e2', value: 'y' }]),
  ]);
  t.equal(await db.get('room'), 2, 'the later write wins');
  t.equal(await db.get('e1'), 'x');
  await db.close();
});
