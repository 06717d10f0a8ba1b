import t from 'tap';
import { call, createUser, startTestServer, type TestUser } from '../helpers/server.js';
import type { RunningServer } from '../../src/server.js';

const enc = encodeURIComponent;
let txn = 0;

async function send(server: RunningServer, user: TestUser, roomId: string, body: string) {
  const res = await call(server, 'PUT',
    `rooms/${enc(roomId)}/send/m.room.message/t${++txn}`,
    { token: user.token, body: { msgtype: 'm.text', body } });
  if (res.status !== 200) throw new Error(`send failed: ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

t.test('typing and receipts', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  const made = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { preset: 'public_chat' } });
  const roomId = made.body.room_id as string;
  await call(server, 'POST', `rooms/${enc(roomId)}/join`, { token: bob.token, body: {} });
  const first = await send(server, alice, roomId, 'one');
  const second = await send(server, alice, roomId, 'two');
  const other = await call(server, 'POST', 'createRoom', { token: carol.token, body: {} });
  const foreignEvent = await send(server, carol, other.body.room_id, 'elsewhere');

  t.test('typing is set and cleared for oneself', async (t) => {
    const path = `rooms/${enc(roomId)}/typing/${enc(bob.userId)}`;
    let res = await call(server, 'PUT', path,
      { token: bob.token, body: { typing: true, timeout: 10_000 } });
    t.equal(res.status, 200);
    t.same(server.hs.typing.typing(roomId), [bob.userId]);
    res = await call(server, 'PUT', path, { token: bob.token, body: { typing: false } });
    t.equal(res.status, 200);
    t.same(server.hs.typing.typing(roomId), []);
  });

  t.test('typing errors', async (t) => {
    let res = await call(server, 'PUT', `rooms/${enc(roomId)}/typing/${enc(alice.userId)}`,
      { token: bob.token, body: { typing: true } });
    t.equal(res.status, 403, 'not for someone else');
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    res = await call(server, 'PUT', `rooms/${enc(roomId)}/typing/${enc(carol.userId)}`,
      { token: carol.token, body: { typing: true } });
    t.equal(res.status, 403, 'not in a room one has not joined');
    res = await call(server, 'PUT', `rooms/${enc(roomId)}/typing/${enc(bob.userId)}`,
      { token: bob.token, body: {} });
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await call(server, 'PUT', `rooms/${enc(roomId)}/typing/${enc(bob.userId)}`,
      { token: bob.token, body: { typing: 'yes' } });
    t.equal(res.body.errcode, 'M_BAD_JSON');
  });

  t.test('a public read receipt is stored with a stream position', async (t) => {
    const res = await call(server, 'POST',
      `rooms/${enc(roomId)}/receipt/m.read/${enc(second)}`, { token: bob.token, body: {} });
    t.equal(res.status, 200);
    t.same(res.body, {});
    const stored = await server.hs.receipts.get({ room_id: roomId, receipt_type: 'm.read',
      user_id: bob.userId });
    t.equal(stored?.event_id, second);
    t.ok(server.hs.stream.durable >= stored!.pos);
    const changed = await server.hs.receipts.changedSince(roomId, 0);
    t.same(changed.map((r) => [r.user_id, r.receipt_type, r.event_id]),
      [[bob.userId, 'm.read', second]]);
  });

  t.test('a receipt never moves back to an older event', async (t) => {
    const res = await call(server, 'POST',
      `rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`, { token: bob.token, body: {} });
    t.equal(res.status, 200);
    const stored = await server.hs.receipts.get({ room_id: roomId, receipt_type: 'm.read',
      user_id: bob.userId });
    t.equal(stored?.event_id, second);
  });

  t.test('private and threaded receipts are kept apart', async (t) => {
    let res = await call(server, 'POST',
      `rooms/${enc(roomId)}/receipt/m.read.private/${enc(first)}`, { token: bob.token, body: {} });
    t.equal(res.status, 200);
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`,
      { token: alice.token, body: { thread_id: 'main' } });
    t.equal(res.status, 200);
    const priv = await server.hs.receipts.get({ room_id: roomId,
      receipt_type: 'm.read.private', user_id: bob.userId });
    t.equal(priv?.event_id, first);
    const threaded = await server.hs.receipts.get({ room_id: roomId, receipt_type: 'm.read',
      user_id: alice.userId, thread_id: 'main' });
    t.equal(threaded?.thread_id, 'main');
  });

  t.test('m.fully_read through /receipt is room account data, not a receipt', async (t) => {
    const res = await call(server, 'POST',
      `rooms/${enc(roomId)}/receipt/m.fully_read/${enc(first)}`, { token: bob.token, body: {} });
    t.equal(res.status, 200);
    const data = await server.hs.accountData.get(bob.userId, roomId, 'm.fully_read');
    t.same(data?.content, { event_id: first });
    const got = await call(server, 'GET',
      `user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`,
      { token: bob.token });
    t.same(got.body, { event_id: first });
  });

  t.test('receipt errors', async (t) => {
    let res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.seen/${enc(first)}`,
      { token: bob.token, body: {} });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc('$nope')}`,
      { token: bob.token, body: {} });
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(foreignEvent)}`,
      { token: bob.token, body: {} });
    t.equal(res.status, 404, 'an event of another room');
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`,
      { token: carol.token, body: {} });
    t.equal(res.status, 403);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`,
      { token: bob.token, body: { thread_id: '' } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.fully_read/${enc(first)}`,
      { token: bob.token, body: { thread_id: 'main' } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
  });

  t.test('/read_markers sets the marker and both receipts at once', async (t) => {
    const res = await call(server, 'POST', `rooms/${enc(roomId)}/read_markers`,
      { token: alice.token, body: { 'm.fully_read': second, 'm.read': second,
        'm.read.private': second } });
    t.equal(res.status, 200);
    t.same((await server.hs.accountData.get(alice.userId, roomId, 'm.fully_read'))?.content,
      { event_id: second });
    for (const type of ['m.read', 'm.read.private']) {
      const r = await server.hs.receipts.get({ room_id: roomId, receipt_type: type,
        user_id: alice.userId });
      t.equal(r?.event_id, second, type);
    }
  });

  t.test('/read_markers with an unknown event changes nothing', async (t) => {
    const res = await call(server, 'POST', `rooms/${enc(roomId)}/read_markers`,
      { token: bob.token, body: { 'm.fully_read': second, 'm.read': '$missing' } });
    t.equal(res.status, 404);
    t.same((await server.hs.accountData.get(bob.userId, roomId, 'm.fully_read'))?.content,
      { event_id: first });
    const bad = await call(server, 'POST', `rooms/${enc(roomId)}/read_markers`,
      { token: bob.token, body: { 'm.read': 5 } });
    t.equal(bad.body.errcode, 'M_BAD_JSON');
  });
});

t.test('receipts reach /sync before and after a restart, read from disk or memory', async (t) => {
  let server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const made = await call(server, 'POST', 'createRoom', { token: alice.token, body: {} });
  const roomId = made.body.room_id as string;
  const quiet = await call(server, 'POST', 'createRoom', { token: alice.token, body: {} });
  const first = await send(server, alice, roomId, 'one');
  await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`,
    { token: alice.token, body: {} });

  server = await server.restart();
  // Written before this process started: found on disk for a token from before it.
  const before = await server.hs.receipts.changedSince(roomId, 0);
  t.same(before.map((r) => r.event_id), [first]);
  const initial = await call(server, 'GET', 'sync', { token: alice.token });
  const receiptsIn = (body: any, room: string) => (body.rooms?.join?.[room]?.ephemeral?.events
    ?? []).filter((e: any) => e.type === 'm.receipt').map((e: any) => Object.keys(e.content));
  t.same(receiptsIn(initial.body, roomId), [[first]], 'initial sync after the restart');

  const second = await send(server, alice, roomId, 'two');
  const since = initial.body.next_batch as string;
  await call(server, 'POST', `rooms/${enc(roomId)}/receipt/m.read/${enc(second)}`,
    { token: alice.token, body: {} });
  const next = await call(server, 'GET', `sync?since=${enc(since)}`, { token: alice.token });
  t.same(receiptsIn(next.body, roomId), [[second]], 'a new receipt in an incremental sync');
  t.same(receiptsIn(next.body, quiet.body.room_id), [], 'nothing for a room without one');
  const durable = server.hs.stream.durable;
  t.same(await server.hs.receipts.changedSince(roomId, durable), [],
    'nothing after the newest position');
});
