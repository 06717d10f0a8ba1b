import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

t.test('logout ends one device, logout/all every device of the user and no one else', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const login = (device: string) => call(server, 'POST', 'login', { body: {
    type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' },
    password: 'correct horse battery', device_id: device } });
  const phone = (await login('PHONE')).body.access_token as string;
  const laptop = (await login('LAPTOP')).body.access_token as string;
  const bob = await createUser(server, 'bob');
  const whoami = async (token: string) =>
    (await call(server, 'GET', 'account/whoami', { token })).body.errcode ?? 'ok';

  t.equal((await call(server, 'POST', 'logout', { token: phone, body: {} })).status, 200);
  t.equal(await whoami(phone), 'M_UNKNOWN_TOKEN', 'the logged-out device token is dead');
  t.equal(await whoami(laptop), 'ok', 'the other device still works');
  const devices = await call(server, 'GET', 'devices', { token: laptop });
  t.notOk(devices.body.devices.some((d: any) => d.device_id === 'PHONE'), 'the device is gone');

  t.equal((await call(server, 'POST', 'logout/all', { token: laptop, body: {} })).status, 200);
  t.equal(await whoami(laptop), 'M_UNKNOWN_TOKEN');
  t.equal(await whoami(alice.token), 'M_UNKNOWN_TOKEN', 'every device of the user is logged out');
  t.same(await server.hs.accounts.listDevices(alice.userId), []);
  t.equal(await whoami(bob.token), 'ok', 'other users are untouched');
});
