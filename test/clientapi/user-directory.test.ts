import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

const enc = encodeURIComponent;

t.test('user directory search', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  const dave = await createUser(server, 'dave');
  const eve = await createUser(server, 'eve');
  await call(server, 'PUT', `profile/${enc(bob.userId)}/displayname`,
    { token: bob.token, body: { displayname: 'Bobby Tables' } });
  // alice and bob share a private room; carol sits in a public room; dave in a private one.
  const shared = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { invite: [bob.userId] } });
  await call(server, 'POST', `rooms/${enc(shared.body.room_id)}/join`,
    { token: bob.token, body: {} });
  await call(server, 'POST', 'createRoom', { token: carol.token, body: { preset: 'public_chat' } });
  await call(server, 'POST', 'createRoom', { token: dave.token, body: {} });
  const search = (body: object) => call(server, 'POST', 'user_directory/search',
    { token: alice.token, body });

  t.test('finds users sharing a room, by display name or ID, case-insensitively', async (t) => {
    const res = await search({ search_term: 'TABLES' });
    t.equal(res.status, 200);
    t.same(res.body, { results: [{ user_id: bob.userId, display_name: 'Bobby Tables' }],
      limited: false });
    const byId = await search({ search_term: 'bob' });
    t.same(byId.body.results.map((r: { user_id: string }) => r.user_id), [bob.userId]);
  });

  t.test('finds users in public rooms', async (t) => {
    const res = await search({ search_term: 'carol' });
    t.same(res.body.results, [{ user_id: carol.userId, display_name: 'carol' }]);
  });

  t.test('hides users met nowhere, unless searched by exact user ID', async (t) => {
    t.same((await search({ search_term: 'dave' })).body.results, []);
    t.same((await search({ search_term: 'eve' })).body.results, []);
    const exact = await search({ search_term: eve.userId });
    t.same(exact.body.results, [{ user_id: eve.userId, display_name: 'eve' }]);
  });

  t.test('limit truncates and says so', async (t) => {
    const res = await search({ search_term: 'test.local', limit: 1 });
    t.equal(res.body.results.length, 1);
    t.equal(res.body.limited, true);
    const all = await search({ search_term: 'test.local' });
    t.same(all.body.results.map((r: { user_id: string }) => r.user_id).sort(),
      [alice.userId, bob.userId, carol.userId].sort());
    t.equal(all.body.limited, false);
  });

  t.test('errors', async (t) => {
    let res = await search({});
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await search({ search_term: 'a', limit: 'many' });
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'POST', 'user_directory/search', { body: { search_term: 'a' } });
    t.equal(res.body.errcode, 'M_MISSING_TOKEN');
  });
});
