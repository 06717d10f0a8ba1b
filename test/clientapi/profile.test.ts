import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

const enc = encodeURIComponent;

t.test('profile endpoints', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');

  t.test('GET /profile returns the registered display name', async (t) => {
    const res = await call(server, 'GET', `profile/${enc(alice.userId)}`);
    t.equal(res.status, 200);
    t.same(res.body, { displayname: 'alice' });
  });

  t.test('an unknown user is 404 M_NOT_FOUND', async (t) => {
    const res = await call(server, 'GET', `profile/${enc('@nobody:test.local')}`);
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
    const field = await call(server, 'GET', `profile/${enc('@nobody:test.local')}/displayname`);
    t.equal(field.status, 404);
  });

  t.test('a user sets their own display name and avatar, visible through r0 too', async (t) => {
    let res = await call(server, 'PUT', `profile/${enc(alice.userId)}/displayname`,
      { token: alice.token, body: { displayname: 'Alice A.' } });
    t.equal(res.status, 200);
    res = await call(server, 'PUT', `profile/${enc(alice.userId)}/avatar_url`,
      { token: alice.token, body: { avatar_url: 'mxc://test.local/abc' } });
    t.equal(res.status, 200);
    res = await call(server, 'GET', `/_matrix/client/r0/profile/${enc(alice.userId)}`);
    t.same(res.body, { displayname: 'Alice A.', avatar_url: 'mxc://test.local/abc' });
    res = await call(server, 'GET', `profile/${enc(alice.userId)}/avatar_url`);
    t.same(res.body, { avatar_url: 'mxc://test.local/abc' });
  });

  t.test("changing another user's profile is M_FORBIDDEN", async (t) => {
    const res = await call(server, 'PUT', `profile/${enc(bob.userId)}/displayname`,
      { token: alice.token, body: { displayname: 'Not Bob' } });
    t.equal(res.status, 403);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    const after = await call(server, 'GET', `profile/${enc(bob.userId)}/displayname`);
    t.same(after.body, { displayname: 'bob' });
  });

  t.test('bad bodies name the problem', async (t) => {
    const path = `profile/${enc(alice.userId)}/displayname`;
    let res = await call(server, 'PUT', path, { token: alice.token, body: {} });
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await call(server, 'PUT', path, { token: alice.token, body: { displayname: 7 } });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'PUT', `profile/${enc(alice.userId)}/avatar_url`,
      { token: alice.token, body: { avatar_url: 'https://example.org/a.png' } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'PUT', `profile/${enc(alice.userId)}/Bad-Key`,
      { token: alice.token, body: { 'Bad-Key': 1 } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'PUT', `profile/${enc(alice.userId)}/m.tz`,
      { token: alice.token, body: { 'm.tz': 'Europe/Paris' } });
    t.equal(res.status, 403, 'fields this server does not store are refused');
    res = await call(server, 'PUT', path, { body: { displayname: 'x' } });
    t.equal(res.body.errcode, 'M_MISSING_TOKEN');
  });

  t.test('DELETE removes a field', async (t) => {
    const path = `profile/${enc(bob.userId)}/avatar_url`;
    await call(server, 'PUT', path, { token: bob.token, body: { avatar_url: 'mxc://a/b' } });
    const res = await call(server, 'DELETE', path, { token: bob.token });
    t.equal(res.status, 200);
    t.equal((await call(server, 'GET', path)).status, 404);
    t.same((await call(server, 'GET', `profile/${enc(bob.userId)}`)).body, { displayname: 'bob' });
  });

  t.test('a change is sent as a new join event into each joined room', async (t) => {
    const carol = await createUser(server, 'carol');
    const made = await call(server, 'POST', 'createRoom', { token: carol.token, body: {} });
    t.equal(made.status, 200);
    const roomId = made.body.room_id as string;
    const other = await call(server, 'POST', 'createRoom', { token: alice.token, body: {} });
    const res = await call(server, 'PUT', `profile/${enc(carol.userId)}/displayname`,
      { token: carol.token, body: { displayname: 'Carol C.' } });
    t.equal(res.status, 200);
    const member = await call(server, 'GET',
      `rooms/${enc(roomId)}/state/m.room.member/${enc(carol.userId)}`, { token: carol.token });
    t.same(member.body, { membership: 'join', displayname: 'Carol C.' });
    const room = await server.hs.rooms.requireRoom(other.body.room_id);
    t.equal(server.hs.rooms.membership(room, carol.userId), undefined,
      'rooms the user is not in are untouched');
  });
});
