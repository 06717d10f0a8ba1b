import t from 'tap';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

// Everything a client relies on survives a restart of the process on the same data folder:
// accounts and access tokens, rooms and their state, memberships, timelines, account data,
// and the sync and pagination tokens handed out before the restart.

const v3 = (path: string) => `/_matrix/client/v3${path}`;
const enc = encodeURIComponent;

async function register(server: TestServer, username: string) {
  const reply = await call(server, 'POST', v3('/register'), {
    body: { username, password: `pw ${username}`, auth: { type: 'm.login.dummy' } },
  });
  if (reply.status !== 200) throw new Error(`register ${username}: ${JSON.stringify(reply)}`);
  return reply.body as { user_id: string; access_token: string; device_id: string };
}

t.test('rooms, memberships, tokens and timelines survive a restart', async (t) => {
  let server = await startTestServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');

  // Writes before the restart.
  const created = await call(server, 'POST', v3('/createRoom'), {
    token: alice.access_token,
    body: { preset: 'public_chat', name: 'Durable', topic: 'Before', room_alias_name: 'durable' },
  });
  t.equal(created.status, 200, 'room created');
  const roomId = created.body.room_id as string;
  const room = enc(roomId);
  const joined = await call(server, 'POST', v3(`/join/${enc('#durable:test.local')}`),
    { token: bob.access_token, body: {} });
  t.equal(joined.status, 200, 'bob joined by alias');
  const sentIds: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const sent = await call(server, 'PUT', v3(`/rooms/${room}/send/m.room.message/m${i}`), {
      token: i % 2 ? alice.access_token : bob.access_token,
      body: { msgtype: 'm.text', body: `message ${i}` },
    });
    t.equal(sent.status, 200, `message ${i} sent`);
    sentIds.push(sent.body.event_id);
  }
  const topic = await call(server, 'PUT', v3(`/rooms/${room}/state/m.room.topic/`),
    { token: alice.access_token, body: { topic: 'After the messages' } });
  t.equal(topic.status, 200, 'topic changed');
  const data = await call(server, 'PUT',
    v3(`/user/${enc(bob.user_id)}/account_data/org.example.prefs`),
    { token: bob.access_token, body: { colour: 'teal' } });
  t.equal(data.status, 200, 'account data stored');
  const beforeSync = await call(server, 'GET', v3('/sync?timeout=0'),
    { token: bob.access_token });
  t.equal(beforeSync.status, 200, 'bob synced before the restart');
  const since = beforeSync.body.next_batch as string;
  const beforeHistory = await call(server, 'GET', v3(`/rooms/${room}/messages?dir=b&limit=50`),
    { token: bob.access_token });
  t.equal(beforeHistory.status, 200, 'history read before the restart');

  server = await server.restart();

  // Tokens still identify their users and devices.
  for (const user of [alice, bob]) {
    const who = await call(server, 'GET', v3('/account/whoami'), { token: user.access_token });
    t.equal(who.status, 200, `${user.user_id}'s token still works`);
    t.equal(who.body?.user_id, user.user_id, 'for the same user');
    t.equal(who.body?.device_id, user.device_id, 'and the same device');
  }
  const login = await call(server, 'POST', v3('/login'), {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' },
      password: 'pw alice' },
  });
  t.equal(login.status, 200, 'the password still logs in');

  // Rooms and memberships.
  const rooms = await call(server, 'GET', v3('/joined_rooms'), { token: bob.access_token });
  t.same(rooms.body?.joined_rooms, [roomId], 'bob is still in the room');
  const members = await call(server, 'GET', v3(`/rooms/${room}/joined_members`),
    { token: bob.access_token });
  t.same(Object.keys(members.body?.joined ?? {}).sort(), [alice.user_id, bob.user_id].sort(),
    'both members are still joined');
  const alias = await call(server, 'GET', v3(`/directory/room/${enc('#durable:test.local')}`));
  t.equal(alias.body?.room_id, roomId, 'the alias still points at the room');
  const topicNow = await call(server, 'GET', v3(`/rooms/${room}/state/m.room.topic/`),
    { token: bob.access_token });
  t.same(topicNow.body, { topic: 'After the messages' }, 'the latest topic is the state');
  const name = await call(server, 'GET', v3(`/rooms/${room}/state/m.room.name/`),
    { token: bob.access_token });
  t.same(name.body, { name: 'Durable' }, 'the name survived');

  // Timelines.
  const history = await call(server, 'GET', v3(`/rooms/${room}/messages?dir=b&limit=50`),
    { token: bob.access_token });
  t.equal(history.status, 200, 'history readable after the restart');
  t.same(history.body?.chunk?.map((e: any) => e.event_id),
    beforeHistory.body?.chunk?.map((e: any) => e.event_id),
    'the same events in the same order as before');
  const bodies = (history.body?.chunk ?? []).filter((e: any) => e.type === 'm.room.message')
    .map((e: any) => e.content.body).reverse();
  t.same(bodies, [1, 2, 3, 4, 5].map((i) => `message ${i}`), 'every message, in order');
  const one = await call(server, 'GET', v3(`/rooms/${room}/event/${enc(sentIds[2]!)}`),
    { token: bob.access_token });
  t.equal(one.body?.content?.body, 'message 3', 'an event is still found by its ID');

  const prefs = await call(server, 'GET',
    v3(`/user/${enc(bob.user_id)}/account_data/org.example.prefs`), { token: bob.access_token });
  t.same(prefs.body, { colour: 'teal' }, 'account data survived');

  // Writes after the restart come after everything before it.
  const later = await call(server, 'PUT', v3(`/rooms/${room}/send/m.room.message/m6`),
    { token: alice.access_token, body: { msgtype: 'm.text', body: 'message 6' } });
  t.equal(later.status, 200, 'sending works after the restart');
  const repeat = await call(server, 'PUT', v3(`/rooms/${room}/send/m.room.message/m1`),
    { token: alice.access_token, body: { msgtype: 'm.text', body: 'message 1' } });
  t.equal(repeat.body?.event_id, sentIds[0], 'a transaction ID from before still deduplicates');
  const latest = await call(server, 'GET', v3(`/rooms/${room}/messages?dir=b&limit=1`),
    { token: bob.access_token });
  t.equal(latest.body?.chunk?.[0]?.event_id, later.body?.event_id,
    'the new event is the newest in the timeline');

  // A sync token from before the restart resumes where it left off.
  const resumed = await call(server, 'GET', v3(`/sync?timeout=0&since=${enc(since)}`),
    { token: bob.access_token });
  t.equal(resumed.status, 200, 'an old since token is accepted');
  const timeline = resumed.body?.rooms?.join?.[roomId]?.timeline?.events ?? [];
  t.same(timeline.map((e: any) => e.event_id), [later.body?.event_id],
    'the incremental sync holds exactly the event sent after it');

  const full = await call(server, 'GET', v3('/sync?timeout=0'), { token: bob.access_token });
  const joinedRoom = full.body?.rooms?.join?.[roomId];
  t.ok(joinedRoom, 'an initial sync after the restart lists the room');
  const state = [...(joinedRoom?.state?.events ?? []), ...(joinedRoom?.timeline?.events ?? [])];
  t.ok(state.some((e: any) => e.type === 'm.room.topic'
    && e.content?.topic === 'After the messages'), 'with its topic');
});

t.test('a logout before a restart stays a logout after it', async (t) => {
  let server = await startTestServer(t);
  const carol = await register(server, 'carol');
  const out = await call(server, 'POST', v3('/logout'), { token: carol.access_token, body: {} });
  t.equal(out.status, 200, 'logged out');
  server = await server.restart();
  const who = await call(server, 'GET', v3('/account/whoami'), { token: carol.access_token });
  t.equal(who.status, 401, 'the old token is refused');
  t.equal(who.body?.errcode, 'M_UNKNOWN_TOKEN', 'as unknown');
});
