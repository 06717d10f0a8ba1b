import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';
import { deviceKeys, sharedRoom, syncToken } from './e2ee-helpers.js';

const PASSWORD = 'correct horse battery';
const auth = (session?: string, password = PASSWORD) => ({
  type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password,
  ...(session ? { session } : {}),
});

t.test('devices are listed, read and renamed; unknown ones are M_NOT_FOUND', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const second = await server.hs.accounts.login(alice.userId, 'LAPTOP', 'Laptop');

  const list = await call(server, 'GET', 'devices', { token: alice.token });
  t.equal(list.status, 200);
  t.same(list.body.devices.map((d: { device_id: string }) => d.device_id).sort(),
    [alice.deviceId, second.device_id].sort());
  const laptop = list.body.devices.find((d: { device_id: string }) => d.device_id === 'LAPTOP');
  t.equal(laptop.display_name, 'Laptop');
  t.notOk('last_seen_ip' in laptop, 'unknown fields are left out, not null');

  const renamed = await call(server, 'PUT', 'devices/LAPTOP', { token: alice.token,
    body: { display_name: 'Work laptop' } });
  t.equal(renamed.status, 200);
  const one = await call(server, 'GET', 'devices/LAPTOP', { token: alice.token });
  t.same(one.body, { device_id: 'LAPTOP', display_name: 'Work laptop',
    last_seen_ts: one.body.last_seen_ts });

  for (const method of ['GET', 'PUT']) {
    const res = await call(server, method, 'devices/NOPE', { token: alice.token,
      body: method === 'PUT' ? { display_name: 'x' } : undefined });
    t.equal(res.status, 404, `${method} of an unknown device`);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
  }
});

t.test('another user cannot see or rename my devices', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const res = await call(server, 'GET', `devices/${alice.deviceId}`, { token: bob.token });
  t.equal(res.status, 404);
});

t.test('deleting a device needs the password and ends its token, keys and session',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    const phone = await server.hs.accounts.login(alice.userId, 'PHONE');
    await sharedRoom(server, alice, [bob]);
    await call(server, 'POST', 'keys/upload', { token: phone.access_token, body: {
      device_keys: deviceKeys({ userId: alice.userId, deviceId: 'PHONE',
        token: phone.access_token }),
      one_time_keys: { 'signed_curve25519:A': { key: 'k' } } } });
    const before = syncToken(server);

    const challenge = await call(server, 'DELETE', 'devices/PHONE', { token: alice.token,
      body: {} });
    t.equal(challenge.status, 401);
    t.same(challenge.body.flows, [{ stages: ['m.login.password'] }]);
    const wrong = await call(server, 'DELETE', 'devices/PHONE', { token: alice.token,
      body: { auth: auth(challenge.body.session, 'nope') } });
    t.equal(wrong.status, 401);
    t.equal(wrong.body.errcode, 'M_FORBIDDEN');
    t.equal((await call(server, 'GET', 'account/whoami', { token: phone.access_token })).status,
      200, 'nothing deleted yet');

    const done = await call(server, 'DELETE', 'devices/PHONE', { token: alice.token,
      body: { auth: auth(challenge.body.session) } });
    t.equal(done.status, 200);
    const whoami = await call(server, 'GET', 'account/whoami', { token: phone.access_token });
    t.equal(whoami.status, 401);
    t.equal(whoami.body.errcode, 'M_UNKNOWN_TOKEN');

    const query = await call(server, 'POST', 'keys/query', { token: bob.token,
      body: { device_keys: { [alice.userId]: [] } } });
    t.same(query.body.device_keys[alice.userId], {}, 'its keys are gone');
    const claim = await call(server, 'POST', 'keys/claim', { token: bob.token,
      body: { one_time_keys: { [alice.userId]: { PHONE: 'signed_curve25519' } } } });
    t.same(claim.body.one_time_keys, {}, 'and its one-time keys');
    const changes = await call(server, 'GET', `keys/changes?from=${before}&to=${syncToken(server)}`,
      { token: bob.token });
    t.same(changes.body.changed, [alice.userId], 'bob learns that alice devices changed');

    const again = await call(server, 'DELETE', 'devices/PHONE', { token: alice.token,
      body: { auth: auth() } });
    t.equal(again.status, 200, 'a device already gone is a success');
  });

t.test('delete_devices removes several devices at once behind UIA', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const a = await server.hs.accounts.login(alice.userId, 'A');
  const b = await server.hs.accounts.login(alice.userId, 'B');

  const missing = await call(server, 'POST', 'delete_devices', { token: alice.token, body: {} });
  t.equal(missing.status, 400);
  t.equal(missing.body.errcode, 'M_MISSING_PARAM');
  const challenge = await call(server, 'POST', 'delete_devices', { token: alice.token,
    body: { devices: ['A', 'B', 'UNKNOWN'] } });
  t.equal(challenge.status, 401);
  const done = await call(server, 'POST', 'delete_devices', { token: alice.token,
    body: { devices: ['A', 'B', 'UNKNOWN'], auth: auth(challenge.body.session) } });
  t.equal(done.status, 200);
  for (const token of [a.access_token, b.access_token]) {
    t.equal((await call(server, 'GET', 'account/whoami', { token })).body.errcode,
      'M_UNKNOWN_TOKEN');
  }
  const left = await call(server, 'GET', 'devices', { token: alice.token });
  t.same(left.body.devices.map((d: { device_id: string }) => d.device_id), [alice.deviceId]);
});

t.test("a UIA session is not accepted for another user's request", async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  await server.hs.accounts.login(bob.userId, 'BOBPHONE');
  // Alice's password and identifier cannot delete bob's device through bob's token.
  const res = await call(server, 'DELETE', 'devices/BOBPHONE', { token: bob.token, body: {
    auth: { ...auth(), identifier: { type: 'm.id.user', user: alice.userId } } } });
  t.equal(res.status, 401);
  t.equal(res.body.errcode, 'M_FORBIDDEN');
  t.ok(await server.hs.accounts.getDevice(bob.userId, 'BOBPHONE'), 'the device stays');
});
