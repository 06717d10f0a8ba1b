import t from 'tap';
import {
  call, device, eventually, join, messages, notices, publish, readingsIn, replyTo, say,
  startBridgeServer, state, waitRoom,
} from './helpers.js';

const LIST = (name: string) => [{ ieee_address: '0x00158d0001a2b3c4', type: 'EndDevice',
  friendly_name: name, definition: { model: 'WSDCGQ11LM', vendor: 'Aqara', description: 'Sensor',
    exposes: [{ type: 'numeric', property: 'temperature', access: 1, unit: '°C' }] } }];
const ALIAS = 'device_zigbee2mqtt_0x00158d0001a2b3c4';

t.test('LWT turns a device offline; after a restart the room is found again, not copied',
  async (t) => {
    const b = await startBridgeServer(t);
    const tasmota = await device(t, b.url, { clientId: 'tasmota-plug1', will: {
      topic: 'tele/plug1/LWT', payload: Buffer.from('Offline'), qos: 1, retain: true } });
    await publish(tasmota, 'tele/plug1/LWT', 'Online', { retain: true });
    await publish(tasmota, 'tele/plug1/STATE', { POWER: 'ON', Wifi: { RSSI: 80 } });
    const room = await waitRoom(b, 'device_tasmota_plug1');
    await join(b, room);
    t.match(await state(b, room, 'org.switchboard.availability'), { online: true });

    // The device drops off without a DISCONNECT: the broker publishes its will.
    (tasmota as unknown as { stream: { destroy(): void } }).stream.destroy();
    await eventually(async () => (await state(b, room, 'org.switchboard.availability'))?.online
      === false, 5000, 'offline from the will');
    const said = await eventually(async () => (await notices(b, room))
      .find((n) => n.content['org.switchboard.availability']), 3000, 'the offline notice');
    t.equal(said.content.body, 'plug1 is offline.', 'the timeline says so too');
    t.same(said.content['org.switchboard.availability'], { online: false });
    t.notOk((await notices(b, room)).some((n) => /online/.test(n.content.body)),
      'the first availability of a new device is state only');
    const cmd = await say(b, room, '!off');
    t.match((await replyTo(b, room, cmd)).content.body, /plug1 is offline; nothing was sent/);

    // A restart on the same data: the retained will brings the device back to the same room.
    await b.server.close();
    const again = await startBridgeServer(t, {}, {}, b.server.dataDir);
    await again.server.bridge!.summary();
    t.equal(await waitRoom(again, 'device_tasmota_plug1'), room, 'the same room after restart');
    await eventually(async () => again.server.bridge!.registry.find('tasmota', 'plug1')?.roomId,
      3000, 'the device known again');
    t.equal(again.server.bridge!.registry.find('tasmota', 'plug1')!.roomId, room);
    t.match(await state(again, room, 'org.switchboard.availability'), { online: false });
    const after = await say(again, room, '!on');
    t.match((await replyTo(again, room, after)).content.body, /offline/,
      'the restarted bridge answers commands in the old room');
  });

t.test('a retained reading published before the bridge read its topic creates the room',
  async (t) => {
    // First run reads only Zigbee2MQTT: the broker keeps the generic topic's retained message.
    const first = await startBridgeServer(t, { profiles: ['zigbee2mqtt'] });
    const c = await device(t, first.url);
    await publish(c, 'sensors/cellar/state', { temperature: 9, humidity: 80 }, { retain: true });
    t.equal(first.server.bridge!.registry.size, 0, 'nobody read it yet');
    await first.server.close();

    const after = await startBridgeServer(t, {}, {}, first.server.dataDir);
    const room = await waitRoom(after, 'device_generic_cellar');
    await join(after, room);
    const [reading] = await readingsIn(after, room);
    t.equal(reading?.content.body, '9 °C · 80 % humidity');
  });

t.test('rename and removal', async (t) => {
  const b = await startBridgeServer(t);
  const z2m = await device(t, b.url);
  await publish(z2m, 'zigbee2mqtt/bridge/devices', LIST('hall'), { retain: true });
  const room = await waitRoom(b, ALIAS);
  await join(b, room);

  await publish(z2m, 'zigbee2mqtt/bridge/response/device/rename',
    { data: { from: 'hall', to: 'hallway', homeassistant_rename: false }, status: 'ok' });
  await eventually(async () => (await state(b, room, 'm.room.name'))?.name === 'hallway', 3000,
    'the new room name');
  const puppet = '@_device_zigbee2mqtt_0x00158d0001a2b3c4:test.local';
  t.equal((await state(b, room, 'm.room.member', puppet)).displayname, 'hallway');
  t.equal((await state(b, room, 'org.switchboard.device')).friendly_name, 'hallway');
  const profile = await call(b.server, 'GET', `profile/${encodeURIComponent(puppet)}/displayname`);
  t.equal(profile.body.displayname, 'hallway', 'the puppet profile follows');
  t.ok((await notices(b, room))
    .some((e) => e.content.body === 'Renamed from "hall" to "hallway".'));

  await publish(z2m, 'zigbee2mqtt/hallway', { temperature: 20 });
  t.equal((await readingsIn(b, room)).length, 1, 'readings under the new name reach the room');

  await publish(z2m, 'zigbee2mqtt/bridge/response/device/remove',
    { data: { id: 'hallway', block: false, force: false }, status: 'ok' });
  await eventually(async () => (await state(b, room, 'org.switchboard.device'))?.retired, 3000,
    'retired state');
  t.ok((await notices(b, room)).some((e) => /was removed from zigbee2mqtt/.test(e.content.body)));
  const cmd = await say(b, room, '!get');
  t.match((await replyTo(b, room, cmd)).content.body, /was removed; nothing was sent/);
  t.ok((await messages(b, room)).some((e) => e.type === 'org.switchboard.device'
    && e.content.retired === true), 'the retirement is a state change in the timeline');

  await publish(z2m, 'zigbee2mqtt/bridge/devices', LIST('hallway'), { retain: true });
  await publish(z2m, 'zigbee2mqtt/hallway', { temperature: 21 });
  t.equal((await state(b, room, 'org.switchboard.device')).retired, false,
    'a removed device that reports again is back in its old room');
});

t.test('puppet IDs are an exclusive namespace', async (t) => {
  const b = await startBridgeServer(t);
  const res = await call(b.server, 'GET', 'register/available?username=_device_x');
  t.equal(res.status, 400);
  t.equal(res.body.errcode, 'M_EXCLUSIVE');
});
