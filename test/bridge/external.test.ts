import t, { type Test } from 'tap';
import { tempDir } from '../mqtt/helpers.js';
import { freePort, Mosquitto, mosquittoMissing } from '../../scripts/mosquitto.js';
import {
  device, eventually, join, listen, notices, publish, readingsIn, replyTo, roomOf, say,
  startBridgeServer, state, waitRoom,
} from './helpers.js';

const missing = mosquittoMissing();
if (missing && process.env.CI === 'true') {
  t.fail(`${missing}: the bridge's external-mode test cannot run under CI`);
}
const needsMosquitto = { skip: missing ? `skipped: ${missing}` : false };

/** A Mosquitto of the test's own, stopped at its end, and the bridge's settings for it. */
async function ownMosquitto(t: Test, clientId: string) {
  const mosquitto = new Mosquitto(tempDir(t), await freePort());
  await mosquitto.start();
  t.teardown(() => mosquitto.stop());
  const mqtt = { mode: 'external', url: mosquitto.url, client_id: clientId, shared_group: null };
  return { mosquitto, mqtt };
}

t.test('external mode against Mosquitto: discovery, readings and commands', needsMosquitto,
  async (t) => {
    const { mosquitto, mqtt } = await ownMosquitto(t, 'switchboard-bridge-test');
    const b = await startBridgeServer(t, {}, mqtt);
    const dev = await device(t, mosquitto.url);
    const commands = await listen(t, mosquitto.url, 'garage/#');

    await publish(dev, 'homeassistant/switch/garage/garage_relay/config', {
      '~': 'garage/switch/garage_relay',
      name: 'Garage Relay', uniq_id: 'garage_relay_switch', stat_t: '~/state', cmd_t: '~/command',
      dev: { ids: 'c8c9a3f1e2d0', name: 'garage', mdl: 'esp32dev', mf: 'espressif' } },
    { retain: true });
    const room = await waitRoom(b, 'device_homeassistant_c8c9a3f1e2d0');
    await join(b, room);
    t.match(await state(b, room, 'org.switchboard.device'), { model: 'esp32dev' });

    // The state topic was learned from discovery and subscribed at run time.
    await eventually(async () => {
      await publish(dev, 'garage/switch/garage_relay/state', 'OFF');
      return (await readingsIn(b, room)).length > 0;
    }, 5000, 'the first reading');
    t.equal((await readingsIn(b, room))[0].content.body, 'garage relay off');

    const on = await say(b, room, '!on');
    const sent = await eventually(async () => commands.find((m) =>
      m.topic === 'garage/switch/garage_relay/command'), 5000, 'the command publish');
    t.equal(sent.payload, 'ON');
    await publish(dev, 'garage/switch/garage_relay/state', 'ON');
    t.match((await replyTo(b, room, on)).content.body, /^Done: garage relay on/);

    await publish(dev, 'zigbee2mqtt/bridge/devices', [{ ieee_address: '0x1', type: 'Router',
      friendly_name: 'lamp', definition: { model: 'M', vendor: 'V', exposes: [] } }],
    { retain: true });
    await publish(dev, 'zigbee2mqtt/lamp', { state: 'ON' });
    const lamp = await waitRoom(b, 'device_zigbee2mqtt_0x1');
    await join(b, lamp);
    await eventually(async () => (await readingsIn(b, lamp)).length > 0, 5000, 'the lamp reading');
    t.pass('a Zigbee2MQTT device over the external broker');
  });

t.test('external mode: a message whose event cannot be stored comes again from the broker',
  needsMosquitto, async (t) => {
    const { mosquitto, mqtt } = await ownMosquitto(t, 'switchboard-bridge-retry');
    const b = await startBridgeServer(t, {}, mqtt);
    const dev = await device(t, mosquitto.url);
    await eventually(async () => {
      await publish(dev, 'sensors/shed/state', { temperature: 5 });
      return roomOf(b, 'device_generic_shed');
    }, 5000, 'the first reading');
    const room = await waitRoom(b, 'device_generic_shed');
    await join(b, room);

    // LevelDB closed under the server: the bridge cannot store, and must not acknowledge.
    const level = b.server.hs.db.level;
    await level.close();
    await publish(dev, 'sensors/shed/state', { temperature: 6 });
    await eventually(async () => b.server.mqtt!.stats.not_handled >= 1, 5000, 'a failed store');
    await level.open();
    // The bridge's connection was closed; on the next one Mosquitto sends the message again.
    const values = await eventually(async () => {
      const got = (await readingsIn(b, room))
        .map((e) => Number(e.content['org.switchboard.readings'].temperature.value));
      return got.includes(6) ? got : undefined;
    }, 10_000, 'the reading delivered again');
    t.same(values.filter((v) => v === 6), [6], 'stored once, after the broker sent it again');
  });

t.test('a Zigbee2MQTT device removed while Switchboard was down is retired at the next start',
  needsMosquitto, async (t) => {
    const { mosquitto, mqtt } = await ownMosquitto(t, 'switchboard-bridge-z2m');
    const b = await startBridgeServer(t, {}, mqtt);
    const z2m = await device(t, mosquitto.url);
    const lamp = { ieee_address: '0x0000000000000a01', type: 'Router', friendly_name: 'lamp',
      definition: { model: 'LED1545G12', vendor: 'IKEA', exposes: [] } };
    const plug = { ieee_address: '0x0000000000000a02', type: 'Router', friendly_name: 'plug',
      definition: { model: 'E1603', vendor: 'IKEA', exposes: [] } };
    await publish(z2m, 'zigbee2mqtt/bridge/devices', [lamp, plug], { retain: true });
    const lampRoom = await waitRoom(b, 'device_zigbee2mqtt_0x0000000000000a01');
    const plugRoom = await waitRoom(b, 'device_zigbee2mqtt_0x0000000000000a02');
    await join(b, lampRoom);
    await join(b, plugRoom);
    const bridge = b.server.bridge!;
    await eventually(async () => {
      const saved = await bridge.rooms.getSpaceState('org.switchboard.listing', 'zigbee2mqtt');
      return Object.values((saved?.lists ?? {}) as Record<string, string[]>)
        .some((ids) => ids.length === 2);
    }, 5000, 'the device list saved in the space');
    await b.server.close();

    // Zigbee2MQTT removes the plug while Switchboard is down; its retained list says so.
    await publish(z2m, 'zigbee2mqtt/bridge/devices', [lamp], { retain: true });
    const again = await startBridgeServer(t, {}, mqtt, b.server.dataDir);
    await eventually(async () =>
      (await state(again, plugRoom, 'org.switchboard.device')).retired === true, 5000,
    'the plug retired');
    const said = (await notices(again, plugRoom)).map((e) => e.content.body);
    t.ok(said.some((body) => /plug was removed from zigbee2mqtt/.test(body)), `notice: ${said}`);
    t.equal((await state(again, lampRoom, 'org.switchboard.device')).retired, false,
      'the lamp, still listed, stays');
  });
