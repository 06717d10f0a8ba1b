import t from 'tap';
import { ChangeLog, Notifier } from '../../src/sync/notifier.js';

t.test('a change log lists the keys changed after a position, once each', async (t) => {
  const log = new ChangeLog(100, 0);
  log.record(1, 'a');
  log.record(2, 'b');
  log.record(2, 'c');
  log.record(3, 'a');
  log.record(5, 'd');
  t.same([...log.keysAfter(0)!].sort(), ['a', 'b', 'c', 'd']);
  t.same([...log.keysAfter(2)!].sort(), ['a', 'd'],
    'a change at the position itself is not after it');
  t.same([...log.keysAfter(4)!], ['d']);
  t.same([...log.keysAfter(5)!], [], 'nothing after the last change');
  t.same([...log.keysAfter(99)!], [], 'a position ahead of the log has nothing after it');
});

t.test('a change log cannot answer for positions older than what it dropped', async (t) => {
  const log = new ChangeLog(3, 10);
  t.equal(log.keysAfter(9), undefined, 'nothing is known before the floor it started with');
  for (let pos = 11; pos <= 20; pos++) log.record(pos, `r${pos}`);
  // r18, r19 and r20 are kept; r17 (and everything before it) was dropped.
  t.equal(log.keysAfter(16), undefined);
  t.same([...log.keysAfter(17)!], ['r18', 'r19', 'r20']);
  t.same([...log.keysAfter(19)!], ['r20']);
});

t.test('consecutive changes of one key share an entry and keep the latest position',
  async (t) => {
  const log = new ChangeLog(2, 0);
  log.record(1, 'a');
  for (let pos = 2; pos <= 50; pos++) log.record(pos, 'b');
  t.same([...log.keysAfter(0)!].sort(), ['a', 'b'], 'a run of one key does not push others out');
  t.same([...log.keysAfter(49)!], ['b']);
  log.record(51, 'c');
  t.equal(log.keysAfter(0), undefined, 'a third key drops the oldest');
  t.same([...log.keysAfter(1)!].sort(), ['b', 'c']);
});

t.test('the notifier lists exactly the rooms roomChangedSince reports, or says it cannot',
  async (t) => {
  let pos = 100;
  const notifier = new Notifier(() => pos, 16);
  const rooms = Array.from({ length: 10 }, (_, i) => `!r${i}:test.local`);
  // A fixed, uneven pattern of 40 changes in six rooms, never the same room twice in a row,
  // often several at one position.
  const positions: number[] = [];
  for (let step = 0; step < 40; step++) {
    pos += step % 3 === 0 ? 0 : 1;
    positions.push(pos);
    notifier.notify({ roomId: rooms[step % 6]! });
  }
  // The last 16 changes are kept: a token is answered from the log when it is at or after
  // the newest dropped change.
  const floor = positions[40 - 16 - 1]!;
  for (let since = 95; since <= pos + 1; since++) {
    const listed = notifier.roomsChangedSince(since);
    if (since < floor) {
      t.equal(listed, undefined, `since ${since}: older than the log`);
      continue;
    }
    const expected = rooms.filter((r) => notifier.roomChangedSince(r, since));
    t.same([...listed ?? ['not answered']].sort(), expected.sort(), `since ${since}`);
  }

  notifier.notify({ everyone: true });
  t.equal(notifier.roomsChangedSince(pos - 1), undefined,
    'after a change for everyone every room must be checked');
});

t.test('a long-poll wakes for its user and its rooms only', async (t) => {
  const notifier = new Notifier(() => 1);
  const events: string[] = [];
  const inA = new Set(['!a:x']);
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const alice = notifier.wait('@alice:x', inA, 60_000, abort.signal).then(() => {
    events.push('alice');
  });
  const bob = notifier.wait('@bob:x', new Set(['!b:x']), 60_000, abort.signal).then(() => {
    events.push('bob');
  });
  t.equal(notifier.waiting, 2);

  notifier.notify({ roomId: '!c:x' });
  notifier.notify({ userIds: ['@carol:x'] });
  t.equal(notifier.waiting, 2, 'a room and a user neither waits for wake nobody');

  notifier.notify({ roomId: '!a:x' });
  t.equal(notifier.waiting, 1, 'a change in alice\'s room ends her long-poll at once');
  await alice;
  notifier.notify({ userIds: ['@bob:x'] });
  await bob;
  t.same(events, ['alice', 'bob']);
  t.equal(notifier.waiting, 0);

  const joinedLater = new Set<string>();
  const late = notifier.wait('@alice:x', joinedLater, 60_000, abort.signal);
  joinedLater.add('!d:x');
  notifier.notify({ roomId: '!d:x' });
  await late;
  t.equal(notifier.waiting, 0, 'the room set is read when a room changes, not when the wait began');

  const first = notifier.wait('@alice:x', new Set(), 60_000, abort.signal);
  const second = notifier.wait('@bob:x', new Set(), 60_000, abort.signal);
  notifier.notify({ everyone: true });
  await Promise.all([first, second]);
  t.equal(notifier.waiting, 0, 'a change for everyone wakes every long-poll');
});
