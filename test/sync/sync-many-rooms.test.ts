import t from 'tap';
import { parseSyncToken } from '../../src/sync/tokens.js';
import { call, createUser, startTestServer, type TestServer, type TestUser }
  from '../helpers/server.js';

// A user in many rooms (a hub's owner is in one per device): an incremental /sync reads only
// the rooms that changed after its token, and must answer exactly as checking every room.

const ROOMS = 50;
const enc = encodeURIComponent;

async function createRooms(server: TestServer, user: TestUser, count: number):
  Promise<string[]> {
  const rooms: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await call(server, 'POST', 'createRoom',
      { token: user.token, body: { preset: 'public_chat', name: `device ${i}` } });
    rooms.push(res.body.room_id);
  }
  return rooms;
}

function sync(server: TestServer, user: TestUser, since?: string, timeout = 0) {
  const query = since ? `?since=${enc(since)}&timeout=${timeout}` : '';
  return call(server, 'GET', `sync${query}`, { token: user.token });
}

async function send(server: TestServer, user: TestUser, roomId: string, body: string) {
  const res = await call(server, 'PUT',
    `rooms/${enc(roomId)}/send/m.room.message/${enc(body)}-${Date.now()}`,
    { token: user.token, body: { msgtype: 'm.text', body } });
  if (res.status !== 200) throw new Error(`send failed: ${JSON.stringify(res.body)}`);
}

function join(server: TestServer, user: TestUser, roomId: string) {
  return call(server, 'POST', `rooms/${enc(roomId)}/join`, { token: user.token, body: {} });
}

/** Resolves once `count` /sync long-polls are waiting (a condition, not a clock). */
async function waitersReach(server: TestServer, count: number): Promise<void> {
  while (server.hs.notifier.waiting !== count) await new Promise((r) => setTimeout(r, 5));
}

const messageBodies = (entry: any) => entry.timeline.events
  .filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);

t.test('an incremental sync lists exactly the rooms that changed among fifty', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const rooms = await createRooms(server, alice, ROOMS);
  const initial = await sync(server, alice);
  t.equal(Object.keys(initial.body.rooms.join).length, ROOMS, 'the initial sync has every room');

  await send(server, alice, rooms[3]!, 'three-a');
  await send(server, alice, rooms[17]!, 'seventeen');
  await send(server, alice, rooms[3]!, 'three-b');
  await join(server, bob, rooms[8]!);
  await call(server, 'POST', `rooms/${enc(rooms[30]!)}/leave`, { token: alice.token, body: {} });
  const invitedTo = (await call(server, 'POST', 'createRoom',
    { token: bob.token, body: { invite: [alice.userId] } })).body.room_id;

  const next = await sync(server, alice, initial.body.next_batch);
  const { join: joined, leave, invite } = next.body.rooms;
  t.same(Object.keys(joined).sort(), [rooms[3], rooms[8], rooms[17]].sort(),
    'only the rooms with new events are in join');
  t.same(messageBodies(joined[rooms[3]!]), ['three-a', 'three-b']);
  t.same(messageBodies(joined[rooms[17]!]), ['seventeen']);
  t.same(joined[rooms[8]!].timeline.events.map((e: any) => [e.type, e.state_key]),
    [['m.room.member', bob.userId]], 'a join shows in its room');
  t.equal(joined[rooms[3]!].timeline.limited, false);
  t.same(Object.keys(leave), [rooms[30]], 'the room left is in leave');
  t.same(Object.keys(invite), [invitedTo], 'the new invite is in invite');
  t.same(next.body.device_lists.changed, [bob.userId],
    'a user who joined a shared room is a device-list change');

  const quiet = await sync(server, alice, next.body.next_batch);
  t.same(quiet.body.rooms, { join: {}, invite: {}, knock: {}, leave: {} },
    'nothing changed, nothing listed');

  await call(server, 'POST', `rooms/${enc(rooms[8]!)}/leave`, { token: bob.token, body: {} });
  const afterLeave = await sync(server, alice, quiet.body.next_batch);
  t.same(Object.keys(afterLeave.body.rooms.join), [rooms[8]]);
  t.same(afterLeave.body.device_lists.left, [bob.userId],
    'a user who no longer shares a room is listed as left');
});

t.test('a token older than the change log is answered by checking every room', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const rooms = await createRooms(server, alice, ROOMS);
  const initial = await sync(server, alice);

  await send(server, alice, rooms[5]!, 'five');
  await send(server, alice, rooms[9]!, 'nine');
  // Typing changes are kept in the same recent logs (and cost no disk write): enough of them
  // push the messages above, and the token's own position, out of both logs.
  for (let i = 0; i < 10_000; i++) {
    server.hs.typing.setTyping(rooms[i % 2]!, alice.userId, i % 4 < 2, 120_000);
  }
  const token = parseSyncToken(initial.body.next_batch);
  t.equal(server.hs.notifier.roomsChangedSince(token.pos), undefined,
    'the room log no longer reaches the token');
  t.equal(server.hs.typing.roomsChangedSince(token.typing), undefined,
    'nor does the typing log');

  const next = await sync(server, alice, initial.body.next_batch);
  const joined = next.body.rooms.join;
  t.same(Object.keys(joined).sort(), [rooms[0], rooms[1], rooms[5], rooms[9]].sort());
  t.same(messageBodies(joined[rooms[5]!]), ['five']);
  t.same(messageBodies(joined[rooms[9]!]), ['nine']);
  for (const roomId of [rooms[0]!, rooms[1]!]) {
    t.same(joined[roomId].ephemeral.events, [{ type: 'm.typing', content: { user_ids: [] } }],
      'a room whose typing changed shows its current typing list');
    t.same(joined[roomId].timeline.events, []);
  }

  const restarted = await server.restart();
  await send(restarted, alice, rooms[12]!, 'twelve');
  const afterRestart = await sync(restarted, alice, next.body.next_batch);
  t.same(Object.keys(afterRestart.body.rooms.join), [rooms[12]],
    'a token from before a restart gets only the rooms that changed after it');
  t.same(messageBodies(afterRestart.body.rooms.join[rooms[12]!]), ['twelve']);
});

t.test('a long-poll wakes for one of its rooms, not for a room its user is not in',
  async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const rooms = await createRooms(server, alice, ROOMS);
  const [elsewhere] = await createRooms(server, bob, 1);
  await join(server, bob, rooms[20]!);
  const start = await sync(server, alice);

  const poll = sync(server, alice, start.body.next_batch, 20_000);
  await waitersReach(server, 1);
  await send(server, bob, elsewhere!, 'not for alice');
  t.equal(server.hs.notifier.waiting, 1, 'an event in a room alice is not in leaves her waiting');

  await send(server, bob, rooms[20]!, 'for alice');
  t.equal(server.hs.notifier.waiting, 0, 'an event in one of her rooms ends it at once');
  const woken = await poll;
  t.same(Object.keys(woken.body.rooms.join), [rooms[20]]);
  t.same(messageBodies(woken.body.rooms.join[rooms[20]!]), ['for alice']);
  t.equal(server.hs.notifier.waiting, 0);
});

t.test('typing in one of fifty rooms wakes the sync and is that room\'s only change',
  async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const rooms = await createRooms(server, alice, ROOMS);
  await join(server, bob, rooms[33]!);
  const start = await sync(server, alice);
  const typingPath = `rooms/${enc(rooms[33]!)}/typing/${enc(bob.userId)}`;

  const poll = sync(server, alice, start.body.next_batch, 20_000);
  await waitersReach(server, 1);
  await call(server, 'PUT', typingPath,
    { token: bob.token, body: { typing: true, timeout: 30_000 } });
  t.equal(server.hs.notifier.waiting, 0, 'typing in one of her rooms ends the long-poll at once');
  const woken = await poll;
  t.same(Object.keys(woken.body.rooms.join), [rooms[33]]);
  const entry = woken.body.rooms.join[rooms[33]!];
  t.same(entry.ephemeral.events, [{ type: 'm.typing', content: { user_ids: [bob.userId] } }]);
  t.same(entry.timeline.events, [], 'typing is not a timeline event');

  await call(server, 'PUT', typingPath, { token: bob.token, body: { typing: false } });
  const stopped = await sync(server, alice, woken.body.next_batch);
  t.same(Object.keys(stopped.body.rooms.join), [rooms[33]]);
  t.same(stopped.body.rooms.join[rooms[33]!].ephemeral.events,
    [{ type: 'm.typing', content: { user_ids: [] } }], 'the end of typing is sent too');

  const quiet = await sync(server, alice, stopped.body.next_batch);
  t.same(quiet.body.rooms.join, {}, 'typing that did not change is not sent again');
});
