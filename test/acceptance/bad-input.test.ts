import t, { type Test } from 'tap';
import { call, createUser, startTestServer, type TestServer, type TestUser }
  from '../helpers/server.js';
import { loadSpecValidator } from '../helpers/openapi.js';

// Bad input gets the errcode and status the spec names ("Standard error response", "Common
// error codes", "Size limits", "Rate limiting"), and the server keeps serving: every bad
// request is followed by a good one that must succeed.

const v3 = (path: string) => `/_matrix/client/v3${path}`;
const enc = encodeURIComponent;
const spec = loadSpecValidator();

interface Reply { status: number; body: any }

/** Asserts errcode and status, and that the body is a standard error when the spec is here. */
function assertError(t: Test, reply: Reply, status: number, errcode: string,
  what: string): void {
  t.equal(reply.status, status, `${what}: status ${status}`);
  t.equal(reply.body?.errcode, errcode, `${what}: ${errcode}`);
  t.type(reply.body?.error, 'string', `${what}: a human-readable error`);
  if (spec) {
    const check = spec.validateResponse('GET', '/_matrix/client/v3/sync', 599, reply.body);
    t.same(check.errors, [], `${what}: body is a standard error`);
  }
}

interface Room { server: TestServer; owner: TestUser; other: TestUser; roomId: string }

async function setUp(t: Test): Promise<Room> {
  const server = await startTestServer(t);
  const owner = await createUser(server, 'owner');
  const other = await createUser(server, 'other');
  const created = await call(server, 'POST', v3('/createRoom'),
    { token: owner.token, body: { preset: 'public_chat', name: 'Errors' } });
  t.equal(created.status, 200, 'room created');
  const roomId = created.body.room_id as string;
  const joined = await call(server, 'POST', v3(`/rooms/${enc(roomId)}/join`),
    { token: other.token, body: {} });
  t.equal(joined.status, 200, 'second user joined');
  return { server, owner, other, roomId };
}

/** A request that must work after each bad one: the server is still serving correctly. */
async function assertStillServing(t: Test, room: Room, what: string): Promise<void> {
  const sent = await call(room.server, 'PUT',
    v3(`/rooms/${enc(room.roomId)}/send/m.room.message/ok-${Math.random()}`),
    { token: room.owner.token, body: { msgtype: 'm.text', body: `after ${what}` } });
  t.equal(sent.status, 200, `after ${what}: a good request still succeeds`);
  t.match(sent.body?.event_id, /^\$/, `after ${what}: it returns an event ID`);
}

t.test('malformed and oversized requests are refused with the right errcode', async (t) => {
  const room = await setUp(t);
  const { server, owner } = room;
  const send = v3(`/rooms/${enc(room.roomId)}/send/m.room.message`);

  const notJson = await call(server, 'PUT', `${send}/bad1`,
    { token: owner.token, rawBody: '{"msgtype": "m.text", body: oops' });
  assertError(t, notJson, 400, 'M_NOT_JSON', 'a body that is not JSON');
  await assertStillServing(t, room, 'M_NOT_JSON');

  const wrongType = await call(server, 'POST', v3('/createRoom'),
    { token: owner.token, body: { name: 42, invite: 'not-a-list' } });
  assertError(t, wrongType, 400, 'M_BAD_JSON', 'createRoom with wrong field types');
  await assertStillServing(t, room, 'M_BAD_JSON');

  const wrongLogin = await call(server, 'POST', v3('/login'),
    { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 5 },
      password: true } });
  assertError(t, wrongLogin, 400, 'M_BAD_JSON', 'login with wrong field types');
  await assertStillServing(t, room, 'M_BAD_JSON on login');

  // "Size limits": an event over 65,536 bytes as federation JSON is refused with 413.
  const huge = await call(server, 'PUT', `${send}/big1`,
    { token: owner.token, body: { msgtype: 'm.text', body: 'x'.repeat(70_000) } });
  assertError(t, huge, 413, 'M_TOO_LARGE', 'an event over 65,536 bytes');
  await assertStillServing(t, room, 'M_TOO_LARGE');

  const bigState = await call(server, 'PUT',
    v3(`/rooms/${enc(room.roomId)}/state/m.room.topic/`),
    { token: owner.token, body: { topic: 'y'.repeat(66_000) } });
  assertError(t, bigState, 413, 'M_TOO_LARGE', 'a state event over 65,536 bytes');
  await assertStillServing(t, room, 'M_TOO_LARGE on state');
});

t.test('unknown rooms, missing power and bad tokens are refused', async (t) => {
  const room = await setUp(t);
  const { server, owner, other } = room;
  const nowhere = enc('!nowhere:test.local');

  // GET /rooms/{roomId}/state declares 403 "You aren't a member of the room".
  const state = await call(server, 'GET', v3(`/rooms/${nowhere}/state`), { token: owner.token });
  assertError(t, state, 403, 'M_FORBIDDEN', 'state of an unknown room');
  await assertStillServing(t, room, 'an unknown room');

  // GET /rooms/{roomId}/messages declares 403 "You aren't a member of the room".
  const messages = await call(server, 'GET', v3(`/rooms/${nowhere}/messages?dir=b`),
    { token: owner.token });
  assertError(t, messages, 403, 'M_FORBIDDEN', 'history of an unknown room');

  // GET /rooms/{roomId}/event/{eventId} declares 404 "not found or no permission".
  const event = await call(server, 'GET', v3(`/rooms/${nowhere}/event/${enc('$none')}`),
    { token: owner.token });
  assertError(t, event, 404, 'M_NOT_FOUND', 'an event in an unknown room');
  await assertStillServing(t, room, 'an unknown event');

  const plUrl = v3(`/rooms/${enc(room.roomId)}/state/m.room.power_levels/`);
  const levels = await call(server, 'GET', plUrl, { token: other.token });
  t.equal(levels.status, 200, 'power levels readable');
  const raised = { ...levels.body, users: { ...levels.body.users, [other.userId]: 100 } };
  const forbidden = await call(server, 'PUT', plUrl, { token: other.token, body: raised });
  assertError(t, forbidden, 403, 'M_FORBIDDEN', 'changing power levels without the level');
  const after = await call(server, 'GET', plUrl, { token: other.token });
  t.same(after.body, levels.body, 'the power levels did not change');
  await assertStillServing(t, room, 'M_FORBIDDEN');

  const forged = await call(server, 'GET', v3('/account/whoami'), { token: 'syt_forged_token' });
  assertError(t, forged, 401, 'M_UNKNOWN_TOKEN', 'a forged token');
  await assertStillServing(t, room, 'a forged token');

  const missing = await call(server, 'GET', v3('/account/whoami'));
  assertError(t, missing, 401, 'M_MISSING_TOKEN', 'no token');
  await assertStillServing(t, room, 'no token');

  const leaving = await createUser(server, 'leaving');
  const out = await call(server, 'POST', v3('/logout'), { token: leaving.token, body: {} });
  t.equal(out.status, 200, 'logged out');
  const expired = await call(server, 'GET', v3('/account/whoami'), { token: leaving.token });
  assertError(t, expired, 401, 'M_UNKNOWN_TOKEN', 'a logged-out token');
  await assertStillServing(t, room, 'a logged-out token');
});

t.test('unknown endpoints and methods answer M_UNRECOGNIZED', async (t) => {
  const room = await setUp(t);
  const { server, owner } = room;

  const unknown = await call(server, 'GET', v3('/this/does/not/exist'), { token: owner.token });
  assertError(t, unknown, 404, 'M_UNRECOGNIZED', 'an unknown endpoint');
  await assertStillServing(t, room, 'an unknown endpoint');

  const method = await call(server, 'DELETE', v3('/createRoom'), { token: owner.token });
  assertError(t, method, 405, 'M_UNRECOGNIZED', 'a known path with the wrong method');
  await assertStillServing(t, room, 'a wrong method');
});

t.test('registration refuses taken and invalid names and unknown room versions',
  async (t) => {
    const room = await setUp(t);
    const { server, owner } = room;
    const register = (username: string) => call(server, 'POST', v3('/register'), {
      body: { username, password: 'a long password', auth: { type: 'm.login.dummy' } },
    });

    assertError(t, await register('owner'), 400, 'M_USER_IN_USE', 'a taken user name');
    const available = await call(server, 'GET', v3('/register/available?username=owner'));
    assertError(t, available, 400, 'M_USER_IN_USE', 'availability of a taken name');
    await assertStillServing(t, room, 'M_USER_IN_USE');

    assertError(t, await register('Not Valid!'), 400, 'M_INVALID_USERNAME',
      'a user name with forbidden characters');
    await assertStillServing(t, room, 'M_INVALID_USERNAME');

    const fine = await call(server, 'POST', v3('/register'), { body: { username: 'newcomer',
      password: 'a long password', auth: { type: 'm.login.dummy' } } });
    t.equal(fine.status, 200, 'a valid new name still registers');
    t.equal(fine.body?.user_id, '@newcomer:test.local', 'as the user it asked for');

    const version = await call(server, 'POST', v3('/createRoom'),
      { token: owner.token, body: { room_version: '1999' } });
    assertError(t, version, 400, 'M_UNSUPPORTED_ROOM_VERSION', 'an unknown room version');
    await assertStillServing(t, room, 'M_UNSUPPORTED_ROOM_VERSION');
  });

t.test('a login flood is rate limited with retry_after_ms', async (t) => {
  const server = await startTestServer(t, {
    rate_limits: { login_per_minute: 3, register_per_minute: 10_000 },
  });
  const user = await createUser(server, 'flood', 'flood password');
  const login = (password: string) => call(server, 'POST', v3('/login'), {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'flood' },
      password },
  });

  for (let i = 0; i < 3; i++) {
    const reply = await login('wrong password');
    t.equal(reply.status, 403, `attempt ${i + 1} within the limit is judged on its password`);
  }
  const limited = await login('flood password');
  assertError(t, limited, 429, 'M_LIMIT_EXCEEDED', 'the fourth login within a minute');
  t.type(limited.body?.retry_after_ms, 'number', 'retry_after_ms is given');
  t.ok(limited.body?.retry_after_ms > 0 && limited.body?.retry_after_ms <= 60_000,
    'retry_after_ms is within the minute');

  const other = await call(server, 'GET', v3('/account/whoami'), { token: user.token });
  t.equal(other.status, 200, 'other requests are still served while logins are limited');
  t.equal(other.body?.user_id, user.userId, 'and answered correctly');
});
