import t from 'tap';
import {
  call, createUser, device, eventually, join, listen, notices, OWNER, publish, readingsIn, replyTo,
  say, startBridgeServer, state, waitRoom,
} from './helpers.js';

const DEVICES = [
  { ieee_address: '0x00124b0022a1b2c3', type: 'Coordinator', friendly_name: 'Coordinator',
    definition: null },
  { ieee_address: '0x00158d0001a2b3c4', type: 'EndDevice', friendly_name: 'living_room_sensor',
    definition: { model: 'WSDCGQ11LM', vendor: 'Aqara',
      description: 'Temperature, humidity and pressure sensor',
      exposes: [
        { type: 'numeric', name: 'battery', property: 'battery', access: 1, unit: '%' },
        { type: 'numeric', name: 'temperature', property: 'temperature', access: 1, unit: '°C' },
        { type: 'numeric', name: 'humidity', property: 'humidity', access: 1, unit: '%' },
      ] } },
  { ieee_address: '0x000b57fffe8f1a2b', type: 'Router', friendly_name: 'kitchen_bulb',
    definition: { model: 'LED1545G12', vendor: 'IKEA', description: 'TRADFRI bulb',
      exposes: [{ type: 'light', features: [
        { type: 'binary', name: 'state', property: 'state', access: 7, value_on: 'ON',
          value_off: 'OFF' },
        { type: 'numeric', name: 'brightness', property: 'brightness', access: 7,
          value_min: 0, value_max: 254 },
      ] }] } },
];

const SENSOR = 'device_zigbee2mqtt_0x00158d0001a2b3c4';
const BULB = 'device_zigbee2mqtt_0x000b57fffe8f1a2b';

t.test('a retained Zigbee2MQTT device list creates rooms, readings arrive as notices',
  async (t) => {
    const b = await startBridgeServer(t);
    const z2m = await device(t, b.url);
    await publish(z2m, 'zigbee2mqtt/bridge/devices', DEVICES, { retain: true });

    const sensorRoom = await waitRoom(b, SENSOR);
    await join(b, sensorRoom);
    t.equal((await state(b, sensorRoom, 'm.room.name')).name, 'living_room_sensor');
    t.match((await state(b, sensorRoom, 'm.room.topic')).topic, /WSDCGQ11LM \(Aqara\)/);
    const meta = await state(b, sensorRoom, 'org.switchboard.device');
    t.match(meta, { profile: 'zigbee2mqtt', device_id: '0x00158d0001a2b3c4',
      friendly_name: 'living_room_sensor', model: 'WSDCGQ11LM', vendor: 'Aqara', retired: false });
    const puppet = '@_device_zigbee2mqtt_0x00158d0001a2b3c4:test.local';
    t.equal((await state(b, sensorRoom, 'm.room.member', puppet)).displayname,
      'living_room_sensor', 'the puppet is named after the device');
    t.equal((await state(b, sensorRoom, 'm.room.power_levels')).users[OWNER], 100);
    const spaceId = b.server.bridge!.rooms.spaceId;
    t.same(await state(b, sensorRoom, 'm.space.parent', spaceId),
      { via: ['test.local'], canonical: true }, 'the room names its space');
    await join(b, spaceId);
    t.same(await state(b, spaceId, 'm.space.child', sensorRoom), { via: ['test.local'] },
      'the space lists the room');

    await publish(z2m, 'zigbee2mqtt/living_room_sensor',
      { battery: 90, humidity: 40, temperature: 21.5, linkquality: 120, last_seen: 'x' });
    const [reading] = await readingsIn(b, sensorRoom);
    t.ok(reading, 'the reading is in the room once the publish is acknowledged');
    t.equal(reading.sender, puppet);
    t.equal(reading.content.body, '21.5 °C · 40 % humidity · 90 % battery · 120 lqi');
    t.same(reading.content['org.switchboard.readings'].temperature,
      { value: '21.5', type: 'number', unit: '°C', device_class: 'temperature' });
    t.notOk('last_seen' in reading.content['org.switchboard.readings']);

    await publish(z2m, 'zigbee2mqtt/living_room_sensor',
      { battery: 90, humidity: 40, temperature: 21.5, linkquality: 120 });
    await publish(z2m, 'zigbee2mqtt/living_room_sensor',
      { battery: 90, humidity: 41, temperature: 21.5, linkquality: 120 });
    const all = await readingsIn(b, sensorRoom);
    t.equal(all.length, 2, 'an unchanged payload sends nothing');
    t.same(Object.keys(all[1].content['org.switchboard.readings']), ['humidity'],
      'only the property that changed');
    t.equal(b.server.bridge!.stats.dropped, 7,
      'unchanged readings are counted: 4 of the repeated payload, 3 of the next');
  });

t.test('chat commands become Zigbee2MQTT publishes and are confirmed by the device',
  async (t) => {
    const b = await startBridgeServer(t);
    const z2m = await device(t, b.url);
    const sets = await listen(t, b.url, 'zigbee2mqtt/+/set');
    await publish(z2m, 'zigbee2mqtt/bridge/devices', DEVICES, { retain: true });
    const room = await waitRoom(b, BULB);
    await join(b, room);
    await publish(z2m, 'zigbee2mqtt/kitchen_bulb', { state: 'OFF', brightness: 10 });

    const on = await say(b, room, '!on');
    await eventually(async () => sets.length === 1, 3000, 'the set publish');
    t.same(sets[0], { topic: 'zigbee2mqtt/kitchen_bulb/set', payload: '{"state":"ON"}' });
    await publish(z2m, 'zigbee2mqtt/kitchen_bulb', { state: 'ON', brightness: 10 });
    const confirmed = await replyTo(b, room, on);
    t.equal(confirmed.content.body, 'Done: state on.');
    t.equal(confirmed.content['org.switchboard.command'].status, 'confirmed');

    const set = await say(b, room, '!set brightness 128');
    await eventually(async () => sets.length === 2, 3000, 'the brightness publish');
    t.same(sets[1], { topic: 'zigbee2mqtt/kitchen_bulb/set', payload: '{"brightness":128}' });
    const timeout = await replyTo(b, room, set);
    t.match(timeout.content.body, /No answer from kitchen_bulb in 1 s/);

    const bad = await say(b, room, '!set brightness 999');
    t.match((await replyTo(b, room, bad)).content.body, /outside 0 to 254/);
    const unknown = await say(b, room, '!set colour red');
    t.match((await replyTo(b, room, unknown)).content.body, /unknown property colour/);
    t.equal(sets.length, 2, 'refused commands publish nothing');

    const status = await say(b, room, '!status');
    t.match((await replyTo(b, room, status)).content.body, /kitchen_bulb \(LED1545G12 by IKEA\)/);
    const help = await say(b, room, '!help');
    t.match((await replyTo(b, room, help)).content.body,
      /Settable properties: state \(on or off\); brightness \(0 to 254\)\./);
  });

t.test('commands need the power level; !publish needs an admin', async (t) => {
  const b = await startBridgeServer(t);
  const z2m = await device(t, b.url);
  const all = await listen(t, b.url, '#');
  await publish(z2m, 'zigbee2mqtt/bridge/devices', DEVICES, { retain: true });
  const room = await waitRoom(b, BULB);
  await join(b, room);
  const guest = await createUser(b.server, 'guest');
  const invite = await say(b, room, 'hello');
  t.ok(invite);
  const { call } = await import('../helpers/server.js');
  await call(b.server, 'POST', `rooms/${encodeURIComponent(room)}/invite`,
    { token: b.owner.token, body: { user_id: guest.userId } });
  await call(b.server, 'POST', `rooms/${encodeURIComponent(room)}/join`,
    { token: guest.token, body: {} });
  const before = all.length;

  const refused = await say(b, room, '!on', guest);
  const reply = await replyTo(b, room, refused);
  t.match(reply.content.body, /need power level 50 in this room and you have 0/);
  t.equal(reply.content['org.switchboard.command'].status, 'refused');

  const raw = await say(b, room, '!publish zigbee2mqtt/kitchen_bulb/set {"state":"OFF"}', guest);
  t.match((await replyTo(b, room, raw)).content.body, /need power level 100/);
  t.equal(all.length, before, 'nothing was published for the guest');

  const ownerRaw = await say(b, room, '!publish test/raw {"x":1}');
  t.match((await replyTo(b, room, ownerRaw)).content.body, /Published to test\/raw/);
  await eventually(async () => all.some((m) => m.topic === 'test/raw' && m.payload === '{"x":1}'),
    3000, 'the raw publish');
  const n = (await notices(b, room)).length;
  t.ok(n >= 3, 'every command got an answer');
});

t.test('friendly names with slashes, as Zigbee2MQTT allows for grouping', async (t) => {
  const b = await startBridgeServer(t);
  const z2m = await device(t, b.url);
  const sets = await listen(t, b.url, 'zigbee2mqtt/#');
  const grouped = [
    { ieee_address: '0x0017880104c1d2e3', type: 'Router', friendly_name: 'ground/kitchen/lamp',
      definition: { model: '9290012573A', vendor: 'Philips', description: 'Hue bulb',
        exposes: [{ type: 'light', features: [{ type: 'binary', name: 'state',
          property: 'state', access: 7, value_on: 'ON', value_off: 'OFF' }] }] } },
    { ieee_address: '0x00158d0001a2b3c4', type: 'EndDevice', friendly_name: 'hall',
      definition: { model: 'WSDCGQ11LM', vendor: 'Aqara', description: 'sensor',
        exposes: [{ type: 'numeric', name: 'temperature', property: 'temperature',
          access: 1, unit: '°C' }] } },
  ];
  await publish(z2m, 'zigbee2mqtt/bridge/devices', grouped, { retain: true });
  await publish(z2m, 'zigbee2mqtt/ground/kitchen/lamp/availability', { state: 'online' },
    { retain: true });
  const lamp = await waitRoom(b, 'device_zigbee2mqtt_0x0017880104c1d2e3');
  await join(b, lamp);
  t.equal((await state(b, lamp, 'm.room.name')).name, 'ground/kitchen/lamp');

  await publish(z2m, 'zigbee2mqtt/ground/kitchen/lamp', { state: 'OFF', linkquality: 80 });
  const [reading] = await readingsIn(b, lamp);
  t.equal(reading?.content['org.switchboard.readings'].state.value, false,
    'the reading of a three-level name reaches its room');
  await eventually(async () => (await state(b, lamp, 'org.switchboard.availability'))?.online
    === true, 3000, 'online from its availability topic');
  await publish(z2m, 'zigbee2mqtt/ground/kitchen/lamp/availability', { state: 'offline' },
    { retain: true });
  await eventually(async () => (await state(b, lamp, 'org.switchboard.availability'))?.online
    === false, 3000, 'then offline');
  const availabilityEvents = (await call(b.server, 'GET', `rooms/${encodeURIComponent(lamp)}/` +
    'messages?dir=f&limit=100', { token: b.owner.token })).body.chunk
    .filter((e: { type: string }) => e.type === 'org.switchboard.availability');
  t.equal(availabilityEvents.length, 2, 'one state event per availability change');

  // Per-attribute topics (Zigbee2MQTT's `output: attribute`) of a known device are no devices.
  await publish(z2m, 'zigbee2mqtt/hall/temperature', '21.5');
  await publish(z2m, 'zigbee2mqtt/hall', { temperature: 21.5 });
  const hall = await waitRoom(b, 'device_zigbee2mqtt_0x00158d0001a2b3c4');
  await join(b, hall);
  await eventually(async () => (await readingsIn(b, hall)).length === 1, 3000, 'hall reading');
  t.equal([...b.server.bridge!.registry.all()].length, 2, 'no device "hall/temperature"');

  await publish(z2m, 'zigbee2mqtt/ground/kitchen/lamp/availability', { state: 'online' },
    { retain: true });
  await eventually(async () => (await state(b, lamp, 'org.switchboard.availability'))?.online
    === true, 3000, 'online again');
  const on = await say(b, lamp, '!on');
  await eventually(async () => sets.some((s) => s.topic.endsWith('/set')), 3000, 'the publish');
  t.same(sets.find((s) => s.topic.endsWith('/set')),
    { topic: 'zigbee2mqtt/ground/kitchen/lamp/set', payload: '{"state":"ON"}' });
  await publish(z2m, 'zigbee2mqtt/ground/kitchen/lamp', { state: 'ON', linkquality: 80 });
  t.equal((await replyTo(b, lamp, on)).content.body, 'Done: state on.');
});

t.test('a button pressed twice the same way is two events; an empty action is none', async (t) => {
  const b = await startBridgeServer(t);
  const z2m = await device(t, b.url);
  const remote = 'device_zigbee2mqtt_0x00158d0004c4d5e6';
  await publish(z2m, 'zigbee2mqtt/bridge/devices', [{ ieee_address: '0x00158d0004c4d5e6',
    type: 'EndDevice', friendly_name: 'hall_remote', definition: { model: 'WXKG01LM',
      vendor: 'Aqara', description: 'Wireless mini switch', exposes: [
        { type: 'enum', name: 'action', property: 'action', access: 1,
          values: ['single', 'double', 'triple', 'quadruple', 'hold', 'release'] },
        { type: 'numeric', name: 'battery', property: 'battery', access: 1, unit: '%' },
      ] } }], { retain: true });
  const room = await waitRoom(b, remote);
  await join(b, room);
  // QoS 1: each publish resolves once its reading is stored (or deliberately not sent).
  await publish(z2m, 'zigbee2mqtt/hall_remote', { action: 'single', battery: 90 });
  await publish(z2m, 'zigbee2mqtt/hall_remote', { action: '', battery: 90 });
  await publish(z2m, 'zigbee2mqtt/hall_remote', { action: 'single', battery: 90 });
  await publish(z2m, 'zigbee2mqtt/hall_remote', { battery: 90 });
  const actions = (await readingsIn(b, room))
    .map((e) => e.content['org.switchboard.readings']?.action?.value);
  t.same(actions.filter((a) => a !== undefined), ['single', 'single'],
    'both presses arrive; the empty action and the unchanged battery do not');
  t.same(b.server.bridge!.registry.find('zigbee2mqtt', '0x00158d0004c4d5e6')!.counters,
    { coalesced: 0, dropped: 4 }, 'dropped: the empty action and three unchanged batteries');
});
