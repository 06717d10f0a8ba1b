import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

t.test('a room of every supported version can be created, written and read', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  for (const version of ['6', '7', '8', '9', '10', '11', '12']) {
    const created = await call(server, 'POST', 'createRoom', { token: alice.token,
      body: { room_version: version, name: `v${version}`, topic: 'sensors' } });
    t.equal(created.status, 200, `v${version} created`);
    const roomId = created.body.room_id as string;
    if (version === '12') t.match(roomId, /^![A-Za-z0-9_-]{43}$/, 'v12 room ID is a hash');
    else t.match(roomId, /^!.+:test\.local$/, 'room ID names the server');

    const sent = await call(server, 'PUT',
      `rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
      { token: alice.token, body: { msgtype: 'm.text', body: 'hello' } });
    t.equal(sent.status, 200);
    t.match(sent.body.event_id, /^\$[A-Za-z0-9_-]{43}$/, 'event ID is a URL-safe hash');

    const create = await call(server, 'GET',
      `rooms/${encodeURIComponent(roomId)}/state/m.room.create/`,
      { token: alice.token });
    t.equal(create.body.room_version, version);
    const name = await call(server, 'GET', `rooms/${encodeURIComponent(roomId)}/state/m.room.name`,
      { token: alice.token });
    t.same(name.body, { name: `v${version}` });
  }
});

t.test('an unknown room version is refused with M_UNSUPPORTED_ROOM_VERSION', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const res = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { room_version: '5' } });
  t.equal(res.status, 400);
  t.equal(res.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
});

t.test('a retried transaction ID returns the first event and sends nothing new', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: {} });
  const path = `rooms/${encodeURIComponent(roomId)}/send/m.room.message/same`;
  const [a, b] = await Promise.all([
    call(server, 'PUT', path, { token: alice.token, body: { msgtype: 'm.text', body: 'once' } }),
    call(server, 'PUT', path, { token: alice.token, body: { msgtype: 'm.text', body: 'once' } }),
  ]);
  const c = await call(server, 'PUT', path,
    { token: alice.token, body: { msgtype: 'm.text', body: 'once' } });
  t.equal(a.body.event_id, b.body.event_id);
  t.equal(a.body.event_id, c.body.event_id);
  const messages = await call(server, 'GET',
    `rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
    { token: alice.token });
  t.equal(messages.body.chunk.filter((e: any) => e.content.body === 'once').length, 1);
});

t.test('messages page backwards and forwards with tokens and filters', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: {} });
  const room = encodeURIComponent(roomId);
  for (let i = 0; i < 7; i++) {
    await call(server, 'PUT', `rooms/${room}/send/m.room.message/m${i}`,
      { token: alice.token, body: { msgtype: 'm.text', body: `n${i}` } });
  }
  const filter = encodeURIComponent(JSON.stringify({ types: ['m.room.message'] }));
  const first = await call(server, 'GET', `rooms/${room}/messages?dir=b&limit=3&filter=${filter}`,
    { token: alice.token });
  t.same(first.body.chunk.map((e: any) => e.content.body), ['n6', 'n5', 'n4']);
  const second = await call(server, 'GET',
    `rooms/${room}/messages?dir=b&limit=3&filter=${filter}&from=${first.body.end}`,
    { token: alice.token });
  t.same(second.body.chunk.map((e: any) => e.content.body), ['n3', 'n2', 'n1']);
  const forward = await call(server, 'GET',
    `rooms/${room}/messages?dir=f&limit=2&filter=${filter}&from=${second.body.end}`,
    { token: alice.token });
  t.same(forward.body.chunk.map((e: any) => e.content.body), ['n1', 'n2']);
  const all = await call(server, 'GET', `rooms/${room}/messages?dir=b&limit=100`,
    { token: alice.token });
  t.equal(all.body.chunk.at(-1).type, 'm.room.create', 'backwards ends at the create event');
  t.notOk(all.body.end, 'no end token once the start is reached');

  const middle = second.body.chunk[1].event_id;
  const context = await call(server, 'GET',
    `rooms/${room}/context/${encodeURIComponent(middle)}?limit=2`,
    { token: alice.token });
  t.equal(context.body.event.content.body, 'n2');
  t.same(context.body.events_before.map((e: any) => e.content.body), ['n1']);
  t.same(context.body.events_after.map((e: any) => e.content.body), ['n3']);
  t.ok(context.body.state.some((e: any) => e.type === 'm.room.create'), 'context carries state');
});

t.test('power levels decide who may change state, and a redaction strips content', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { preset: 'public_chat' } });
  const room = encodeURIComponent(roomId);
  t.equal((await call(server, 'POST', `join/${room}`, { token: bob.token })).status, 200);

  const denied = await call(server, 'PUT', `rooms/${room}/state/m.room.power_levels`,
    { token: bob.token, body: { users: { [bob.userId]: 100 } } });
  t.equal(denied.status, 403);
  t.equal(denied.body.errcode, 'M_FORBIDDEN');
  t.match(denied.body.error, /power/i);

  const topic = await call(server, 'PUT', `rooms/${room}/state/m.room.topic`,
    { token: bob.token, body: { topic: 'no' } });
  t.equal(topic.status, 403, 'state_default 50 keeps bob out');

  const sent = await call(server, 'PUT', `rooms/${room}/send/m.room.message/x`,
    { token: bob.token, body: { msgtype: 'm.text', body: 'secret' } });
  const notOwn = await call(server, 'PUT',
    `rooms/${room}/redact/${encodeURIComponent(sent.body.event_id)}/r0`,
    { token: alice.token, body: { reason: 'moderation' } });
  t.equal(notOwn.status, 200, 'a moderator may redact');
  const event = await call(server, 'GET',
    `rooms/${room}/event/${encodeURIComponent(sent.body.event_id)}`,
    { token: bob.token });
  t.same(event.body.content, {});
  t.equal(event.body.unsigned.redacted_because.content.reason, 'moderation');
});

t.test('sync delivers joins, messages and long-polls until something happens', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { invite: [bob.userId], name: 'Kitchen' } });

  const initial = await call(server, 'GET', 'sync', { token: bob.token });
  t.ok(initial.body.rooms.invite[roomId], 'bob sees the invite');
  t.ok(initial.body.rooms.invite[roomId].invite_state.events.some((e: any) =>
    e.type === 'm.room.name' && e.content.name === 'Kitchen'), 'invite shows the room name');

  await call(server, 'POST', `rooms/${encodeURIComponent(roomId)}/join`, { token: bob.token });
  const afterJoin = await call(server, 'GET', `sync?since=${initial.body.next_batch}`,
    { token: bob.token });
  const joined = afterJoin.body.rooms.join[roomId];
  t.ok(joined, 'the room moved to join');
  t.ok(joined.state.events.some((e: any) => e.type === 'm.room.create')
    || joined.timeline.events.some((e: any) => e.type === 'm.room.create'), 'full room on join');

  const poll = call(server, 'GET', `sync?since=${afterJoin.body.next_batch}&timeout=10000`,
    { token: bob.token });
  await new Promise((r) => setTimeout(r, 100));
  await call(server, 'PUT', `rooms/${encodeURIComponent(roomId)}/send/m.room.message/p1`,
    { token: alice.token, body: { msgtype: 'm.text', body: 'ping' } });
  const woken = await poll;
  const events = woken.body.rooms.join[roomId].timeline.events;
  t.same(events.map((e: any) => e.content.body), ['ping']);
  t.equal(events[0].sender, alice.userId);
  t.notOk('room_id' in events[0], 'sync timeline events omit room_id');
});

t.test('incremental sync is the same from memory and from disk, beyond the recent window',
  async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: {} });
  const filter = encodeURIComponent(JSON.stringify(
    { room: { timeline: { limit: 1000, types: ['m.room.message'] } } }));
  const before = await call(server, 'GET', `sync?filter=${filter}`, { token: alice.token });
  const room = server.hs.rooms;
  for (let i = 0; i < 600; i++) {
    await room.sendEvent(roomId,
      { type: 'm.room.message', sender: alice.userId, content: { body: `m${i}` } });
  }
  const fromDisk = await call(server, 'GET',
    `sync?since=${before.body.next_batch}&filter=${filter}`,
    { token: alice.token });
  const { events, limited } = fromDisk.body.rooms.join[roomId].timeline;
  // The server caps a timeline at 500 events; the window in memory holds 512 of any type.
  t.equal(events.length, 500, 'a token older than the in-memory window reads from disk');
  t.equal(events[0].content.body, 'm100');
  t.equal(events[499].content.body, 'm599');
  t.equal(limited, true);

  const small = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 5 } } }));
  const mid = await call(server, 'GET', `sync?filter=${small}`, { token: alice.token });
  await room.sendEvent(roomId,
    { type: 'm.room.message', sender: alice.userId, content: { body: 'a' } });
  await room.sendEvent(roomId,
    { type: 'm.room.topic', state_key: '', sender: alice.userId, content: { topic: 't' } });
  const fromMemory = await call(server, 'GET', `sync?since=${mid.body.next_batch}&filter=${small}`,
    { token: alice.token });
  const timeline = fromMemory.body.rooms.join[roomId].timeline;
  t.same(timeline.events.map((e: any) => e.type), ['m.room.message', 'm.room.topic']);
  t.equal(timeline.limited, false);

  const restarted = await server.restart();
  const afterRestart = await call(restarted, 'GET',
    `sync?since=${mid.body.next_batch}&filter=${small}`,
    { token: alice.token });
  t.same(afterRestart.body.rooms.join[roomId].timeline.events.map((e: any) => e.event_id),
    timeline.events.map((e: any) => e.event_id), 'the same events after a restart');
});

t.test('content that canonical JSON cannot carry is M_BAD_JSON, not a server error', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const { body: { room_id: roomId } } = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: {} });
  const room = encodeURIComponent(roomId);
  const float = await call(server, 'PUT', `rooms/${room}/send/m.room.message/f1`,
    { token: alice.token, body: { msgtype: 'm.text', body: 'x', reading: 21.5 } });
  t.equal(float.status, 400);
  t.equal(float.body.errcode, 'M_BAD_JSON');
  t.match(float.body.error, /reading/, 'the error names the field');
  const huge = await call(server, 'PUT', `rooms/${room}/state/org.example.x`,
    { token: alice.token, body: { n: 2 ** 60 } });
  t.equal(huge.body.errcode, 'M_BAD_JSON');
  const create = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { creation_content: { weight: 0.5 } } });
  t.equal(create.body.errcode, 'M_BAD_JSON');
  const ok = await call(server, 'PUT', `rooms/${room}/send/m.room.message/f2`,
    { token: alice.token, body: { msgtype: 'm.text', body: 'still fine' } });
  t.equal(ok.status, 200, 'the next request is served');
});
