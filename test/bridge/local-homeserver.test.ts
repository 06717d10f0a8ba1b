import t from 'tap';
import { LocalHomeserver } from '../../src/bridge/local-homeserver.js';
import type { RoomMessage } from '../../src/bridge/homeserver-port.js';
import { call, createUser, startTestServer } from '../helpers/server.js';

t.test('the local port creates puppets and device rooms once, and relays room messages',
  async (t) => {
  const server = await startTestServer(t);
  const owner = await createUser(server, 'owner');
  const port = new LocalHomeserver(server.hs);

  const puppet = await port.ensureUser('_device_kitchen', 'Kitchen sensor');
  t.equal(puppet, '@_device_kitchen:test.local');
  t.equal(await port.ensureUser('_device_kitchen', 'Kitchen sensor'), puppet, 'idempotent');
  t.equal(await server.hs.accounts.checkPassword(puppet, ''), false, 'a puppet cannot log in');

  const spec = { aliasLocalpart: 'device_kitchen', name: 'Kitchen sensor', topic: 'Aqara',
    creator: puppet, invite: [owner.userId], users: { [owner.userId]: 100 } };
  const [a, b] = await Promise.all([port.ensureRoom(spec), port.ensureRoom(spec)]);
  t.equal(a.roomId, b.roomId, 'concurrent first messages make one room');
  const again = await port.ensureRoom(spec);
  t.same(again, { roomId: a.roomId, created: false });
  t.equal(await port.powerLevel(a.roomId, owner.userId), 100);
  t.equal(await port.membership(a.roomId, owner.userId), 'invite');

  await port.setState(a.roomId, puppet, { type: 'org.switchboard.device', state_key: '',
    content: { model: 'WSDCGQ11LM' } });
  t.same(await port.getState(a.roomId, 'org.switchboard.device', ''), { model: 'WSDCGQ11LM' });

  const seen: RoomMessage[] = [];
  const stop = port.onMessage((m) => seen.push(m));
  t.teardown(stop);
  await call(server, 'POST', `rooms/${encodeURIComponent(a.roomId)}/join`, { token: owner.token });
  const sent = await call(server, 'PUT',
    `rooms/${encodeURIComponent(a.roomId)}/send/m.room.message/c1`,
    { token: owner.token, body: { msgtype: 'm.text', body: '!on' } });
  t.same(seen.map((m) => [m.eventId, m.sender, m.content.body]),
    [[sent.body.event_id, owner.userId, '!on']], 'a chat command reaches the port once');

  const eventId = await port.send(a.roomId, puppet, 'm.room.message',
    { msgtype: 'm.notice', body: '21.5 °C' });
  const fetched = await call(server, 'GET',
    `rooms/${encodeURIComponent(a.roomId)}/event/${encodeURIComponent(eventId)}`,
    { token: owner.token });
  t.equal(fetched.body.sender, puppet);
});
