import t from 'tap';
import { e2eeSyncSection } from '../../src/sync/e2ee-section.js';
import { call, createUser, startTestServer } from '../helpers/server.js';
import { deviceKeys, sharedRoom } from './e2ee-helpers.js';

t.test('a to-device message reaches the named device only, once per transaction ID',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    const other = await server.hs.accounts.login(bob.userId, 'OTHER');
    const body = { messages: { [bob.userId]: { [bob.deviceId]: { secret: 1 } },
      '@carol:elsewhere': { X: { ignored: true } } } };

    const woken = server.hs.notifier.wait(bob.userId, new Set(), 10_000);
    const started = Date.now();
    for (let i = 0; i < 2; i++) {
      const res = await call(server, 'PUT', 'sendToDevice/m.room_key_request/txn1',
        { token: alice.token, body });
      t.equal(res.status, 200);
      t.same(res.body, {});
    }
    await woken;
    t.ok(Date.now() - started < 5_000, "bob's /sync is woken");

    const upTo = server.hs.stream.durable;
    const section = await e2eeSyncSection(server.hs, bob.userId, bob.deviceId, 0, upTo);
    t.same(section.to_device.events, [
      { type: 'm.room_key_request', sender: alice.userId, content: { secret: 1 } },
    ], 'delivered once although the request was retried');
    const elsewhere = await e2eeSyncSection(server.hs, bob.userId, other.device_id, 0, upTo);
    t.same(elsewhere.to_device.events, [], 'not to the other device');
  });

t.test("'*' sends to every device of a user", async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const other = await server.hs.accounts.login(bob.userId, 'OTHER');
  await call(server, 'PUT', 'sendToDevice/m.dummy/t1', { token: alice.token,
    body: { messages: { [bob.userId]: { '*': { n: 1 } } } } });
  const upTo = server.hs.stream.durable;
  for (const deviceId of [bob.deviceId, other.device_id]) {
    const section = await e2eeSyncSection(server.hs, bob.userId, deviceId, 0, upTo);
    t.same(section.to_device.events.map((e) => e.content), [{ n: 1 }], deviceId);
  }
});

t.test('messages are kept until a sync from a later token acknowledges them', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const send = (txn: string, n: number) => call(server, 'PUT', `sendToDevice/m.dummy/${txn}`,
    { token: alice.token, body: { messages: { [bob.userId]: { [bob.deviceId]: { n } } } } });
  const contents = async (since: number, upTo: number) =>
    (await e2eeSyncSection(server.hs, bob.userId, bob.deviceId, since, upTo))
      .to_device.events.map((e) => e.content);

  const start = server.hs.stream.durable;
  await send('a', 1);
  const first = server.hs.stream.durable;
  await send('b', 2);
  const second = server.hs.stream.durable;

  t.same(await contents(start, first), [{ n: 1 }], 'only what falls in (since, upTo]');
  t.same(await contents(start, first), [{ n: 1 }], 'a repeated sync gets it again');
  t.same(await contents(first, second), [{ n: 2 }]);
  t.same(await contents(0, second), [{ n: 2 }], 'the first one was deleted once acknowledged');
});

t.test('the sync section reports device-list changes, counts and departures', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  const roomId = await sharedRoom(server, alice, [bob]);
  const since = server.hs.stream.durable;

  const upload = await call(server, 'POST', 'keys/upload', { token: bob.token, body: {
    device_keys: deviceKeys(bob), one_time_keys: { 'signed_curve25519:A': { key: 'a' },
      'curve25519:B': 'b' } } });
  t.equal(upload.status, 200);
  await call(server, 'POST', 'keys/upload', { token: carol.token,
    body: { device_keys: deviceKeys(carol) } });
  const upTo = server.hs.stream.durable;

  const forAlice = await e2eeSyncSection(server.hs, alice.userId, alice.deviceId, since, upTo);
  t.same(forAlice.device_lists, { changed: [bob.userId], left: [] });
  t.same(forAlice.device_one_time_keys_count, { signed_curve25519: 0 });
  const forBob = await e2eeSyncSection(server.hs, bob.userId, bob.deviceId, since, upTo);
  t.same(forBob.device_lists.changed, [bob.userId], 'a user sees their own changes');
  t.same(forBob.device_one_time_keys_count, { signed_curve25519: 1, curve25519: 1 });
  const initial = await e2eeSyncSection(server.hs, alice.userId, alice.deviceId, 0, upTo);
  t.same(initial.device_lists, { changed: [], left: [] }, 'an initial sync lists none');

  const beforeJoin = server.hs.stream.durable;
  await call(server, 'POST', `join/${encodeURIComponent(roomId)}`, { token: carol.token,
    body: {} });
  const afterJoin = server.hs.stream.durable;
  t.same((await e2eeSyncSection(server.hs, alice.userId, alice.deviceId, beforeJoin, afterJoin))
    .device_lists.changed, [carol.userId], 'a user who joins a shared room counts as changed');
  t.same((await e2eeSyncSection(server.hs, carol.userId, carol.deviceId, beforeJoin, afterJoin))
    .device_lists.changed.sort(), [alice.userId, bob.userId, carol.userId].sort(),
  'and the joiner learns about everyone in the room');

  const beforeLeave = server.hs.stream.durable;
  const left = await call(server, 'POST', `rooms/${encodeURIComponent(roomId)}/leave`,
    { token: bob.token, body: {} });
  t.equal(left.status, 200);
  const afterLeave = server.hs.stream.durable;
  t.same((await e2eeSyncSection(server.hs, alice.userId, alice.deviceId, beforeLeave,
    afterLeave)).device_lists, { changed: [], left: [bob.userId] });
  t.same((await e2eeSyncSection(server.hs, bob.userId, bob.deviceId, beforeLeave,
    afterLeave)).device_lists.left.sort(), [alice.userId, carol.userId].sort(),
  'the leaver no longer shares a room with anyone');
});

t.test('a device-list change wakes the /sync of users sharing a room', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  await sharedRoom(server, alice, [bob]);
  const woken = server.hs.notifier.wait(alice.userId, new Set(), 10_000);
  const started = Date.now();
  await call(server, 'POST', 'keys/upload', { token: bob.token,
    body: { device_keys: deviceKeys(bob) } });
  await woken;
  t.ok(Date.now() - started < 5_000, 'alice is woken well before the timeout');
});
