import t from 'tap';
import { call, createUser, startTestServer, type TestUser } from '../helpers/server.js';
import type { RunningServer } from '../../src/server.js';

const enc = encodeURIComponent;

async function createRoom(server: RunningServer, user: TestUser, body: object = {}) {
  const res = await call(server, 'POST', 'createRoom', { token: user.token, body });
  if (res.status !== 200) throw new Error(`createRoom failed: ${JSON.stringify(res.body)}`);
  return res.body.room_id as string;
}

t.test('room aliases', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const roomId = await createRoom(server, alice);
  const alias = '#lobby:test.local';

  t.test('PUT creates an alias that GET resolves', async (t) => {
    const put = await call(server, 'PUT', `directory/room/${enc(alias)}`,
      { token: alice.token, body: { room_id: roomId } });
    t.equal(put.status, 200);
    t.same(put.body, {});
    const got = await call(server, 'GET', `directory/room/${enc(alias)}`);
    t.equal(got.status, 200);
    t.same(got.body, { room_id: roomId, servers: ['test.local'] });
    const list = await call(server, 'GET', `rooms/${enc(roomId)}/aliases`, { token: alice.token });
    t.same(list.body, { aliases: [alias] });
  });

  t.test('a taken alias is 409 M_UNKNOWN', async (t) => {
    const res = await call(server, 'PUT', `directory/room/${enc(alias)}`,
      { token: alice.token, body: { room_id: roomId } });
    t.equal(res.status, 409);
    t.equal(res.body.errcode, 'M_UNKNOWN');
  });

  t.test('an alias of another server or without a colon is M_INVALID_PARAM', async (t) => {
    for (const bad of ['#x:elsewhere.org', '#nocolon', 'lobby:test.local']) {
      const res = await call(server, 'PUT', `directory/room/${enc(bad)}`,
        { token: alice.token, body: { room_id: roomId } });
      t.equal(res.status, 400, bad);
      t.equal(res.body.errcode, 'M_INVALID_PARAM', bad);
    }
    const missing = await call(server, 'PUT', `directory/room/${enc('#a:test.local')}`,
      { token: alice.token, body: {} });
    t.equal(missing.body.errcode, 'M_MISSING_PARAM');
  });

  t.test('only joined members may alias a room', async (t) => {
    const res = await call(server, 'PUT', `directory/room/${enc('#bobs:test.local')}`,
      { token: bob.token, body: { room_id: roomId } });
    t.equal(res.status, 403);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    const unknown = await call(server, 'PUT', `directory/room/${enc('#bobs:test.local')}`,
      { token: bob.token, body: { room_id: '!nope:test.local' } });
    t.equal(unknown.status, 404);
  });

  t.test('non-members cannot list a private room\'s aliases', async (t) => {
    const res = await call(server, 'GET', `rooms/${enc(roomId)}/aliases`, { token: bob.token });
    t.equal(res.status, 403);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
  });

  t.test('an unknown alias is 404 M_NOT_FOUND', async (t) => {
    const res = await call(server, 'GET', `directory/room/${enc('#ghost:test.local')}`);
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
    const del = await call(server, 'DELETE', `directory/room/${enc('#ghost:test.local')}`,
      { token: alice.token });
    t.equal(del.status, 404);
  });

  t.test('DELETE needs the creator or the power to set the canonical alias', async (t) => {
    const publicRoom = await createRoom(server, alice, { preset: 'public_chat' });
    await call(server, 'PUT', `directory/room/${enc('#pub:test.local')}`,
      { token: alice.token, body: { room_id: publicRoom } });
    const joined = await call(server, 'POST', `rooms/${enc(publicRoom)}/join`,
      { token: bob.token, body: {} });
    t.equal(joined.status, 200);
    const denied = await call(server, 'DELETE', `directory/room/${enc('#pub:test.local')}`,
      { token: bob.token });
    t.equal(denied.status, 403);
    t.equal(denied.body.errcode, 'M_FORBIDDEN');
    const ok = await call(server, 'DELETE', `directory/room/${enc(alias)}`, { token: alice.token });
    t.equal(ok.status, 200);
    t.equal((await call(server, 'GET', `directory/room/${enc(alias)}`)).status, 404);
  });
});

t.test('published room directory', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const rooms: string[] = [];
  for (let i = 0; i < 3; i++) {
    rooms.push(await createRoom(server, alice, { visibility: 'public', preset: 'public_chat',
      name: `Room ${i}`, topic: i === 1 ? 'Garden sensors' : 'Other' }));
  }
  const hidden = await createRoom(server, alice, { name: 'Hidden' });
  await call(server, 'POST', `rooms/${enc(rooms[2]!)}/join`, { token: bob.token, body: {} });

  t.test('visibility reads and changes', async (t) => {
    let res = await call(server, 'GET', `directory/list/room/${enc(hidden)}`);
    t.same(res.body, { visibility: 'private' });
    res = await call(server, 'PUT', `directory/list/room/${enc(hidden)}`,
      { token: bob.token, body: { visibility: 'public' } });
    t.equal(res.status, 403, 'a non-member cannot publish');
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    res = await call(server, 'PUT', `directory/list/room/${enc(hidden)}`,
      { token: alice.token, body: { visibility: 'sideways' } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'PUT', `directory/list/room/${enc(hidden)}`,
      { token: alice.token, body: { visibility: 'public' } });
    t.equal(res.status, 200);
    t.same((await call(server, 'GET', `directory/list/room/${enc(hidden)}`)).body,
      { visibility: 'public' });
    await call(server, 'PUT', `directory/list/room/${enc(hidden)}`,
      { token: alice.token, body: { visibility: 'private' } });
    res = await call(server, 'GET', `directory/list/room/${enc('!unknown:test.local')}`);
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
  });

  t.test('GET /publicRooms lists published rooms, largest first, with their state', async (t) => {
    const res = await call(server, 'GET', 'publicRooms');
    t.equal(res.status, 200);
    t.equal(res.body.total_room_count_estimate, 3);
    const ids = res.body.chunk.map((r: { room_id: string }) => r.room_id);
    t.equal(ids[0], rooms[2], 'the room with two members comes first');
    t.notOk(ids.includes(hidden));
    const first = res.body.chunk[0];
    t.match(first, { name: 'Room 2', num_joined_members: 2, world_readable: false,
      guest_can_join: false, join_rule: 'public' });
  });

  t.test('pagination with limit and since', async (t) => {
    const page1 = await call(server, 'GET', 'publicRooms?limit=2');
    t.equal(page1.body.chunk.length, 2);
    t.ok(page1.body.next_batch);
    t.notOk(page1.body.prev_batch);
    const page2 = await call(server, 'GET',
      `publicRooms?limit=2&since=${enc(page1.body.next_batch)}`);
    t.equal(page2.body.chunk.length, 1);
    t.notOk(page2.body.next_batch);
    t.ok(page2.body.prev_batch);
    const back = await call(server, 'GET',
      `publicRooms?limit=2&since=${enc(page2.body.prev_batch)}`);
    t.same(back.body.chunk, page1.body.chunk, 'prev_batch leads back to the first page');
    const all = [...page1.body.chunk, ...page2.body.chunk].map((r) => r.room_id).sort();
    t.same(all, [...rooms].sort());
    const bad = await call(server, 'GET', 'publicRooms?since=garbage');
    t.equal(bad.body.errcode, 'M_INVALID_PARAM');
  });

  t.test('POST /publicRooms filters by search term and needs a token', async (t) => {
    const res = await call(server, 'POST', 'publicRooms',
      { token: bob.token, body: { filter: { generic_search_term: 'garden' } } });
    t.equal(res.status, 200);
    t.same(res.body.chunk.map((r: { room_id: string }) => r.room_id), [rooms[1]]);
    const types = await call(server, 'POST', 'publicRooms',
      { token: bob.token, body: { filter: { room_types: ['m.space'] } } });
    t.same(types.body.chunk, []);
    const anon = await call(server, 'POST', 'publicRooms', { body: {} });
    t.equal(anon.body.errcode, 'M_MISSING_TOKEN');
    const remote = await call(server, 'GET', 'publicRooms?server=other.org');
    t.equal(remote.status, 400);
  });
});
