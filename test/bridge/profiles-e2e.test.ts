import t from 'tap';
import {
  device, eventually, join, listen, publish, readingsIn, replyTo, say, startBridgeServer, state,
  waitRoom,
} from './helpers.js';

/**
 * Each shipped profile end to end: a device publishes in its ecosystem's own shapes, the room
 * appears with its state and readings, and a chat command becomes the right MQTT publish,
 * confirmed when the device reports back.
 */
interface Case {
  profile: string;
  alias: string;
  name: string;
  messages: Array<[string, unknown, boolean?]>;
  body: string;
  meta?: Record<string, unknown>;
  online?: boolean;
  command?: { text: string; topic: string; payload: string; report: [string, unknown];
    /** The device user's answer, when not "Done: ..." once the report arrives. */
    reply?: RegExp };
}

const CASES: Case[] = [
  {
    profile: 'tasmota', alias: 'device_tasmota_tasmota_8a1b2c', name: 'tasmota_8A1B2C',
    messages: [
      ['tele/tasmota_8A1B2C/LWT', 'Online', true],
      ['tele/tasmota_8A1B2C/INFO1',
        { Info1: { Module: 'Sonoff Basic', Version: '13.4.0(tasmota)' } }],
      ['tele/tasmota_8A1B2C/SENSOR', { Time: '2024-05-01T10:00:00', AM2301: { Temperature: 21.5,
        Humidity: 40.0, DewPoint: 7.4 }, TempUnit: 'C' }],
    ],
    body: '21.5 °C · 7.4 °C dew point · 40 % humidity', meta: { model: 'Sonoff Basic' },
    online: true,
    command: { text: '!on', topic: 'cmnd/tasmota_8A1B2C/POWER', payload: 'ON',
      report: ['stat/tasmota_8A1B2C/POWER', 'ON'] },
  },
  {
    profile: 'shelly-gen2', alias: 'device_shelly-gen2_shellyplus1pm-a8032ab12345',
    name: 'shellyplus1pm-a8032ab12345',
    messages: [
      ['shellyplus1pm-a8032ab12345/online', 'true', true],
      ['shellyplus1pm-a8032ab12345/status/switch:0', { id: 0, source: 'init', output: false,
        apower: 0, voltage: 230.4, current: 0, aenergy: { total: 1520.113 },
        temperature: { tC: 45.3, tF: 113.5 } }],
    ],
    body: '45.3 °C', online: true,
    command: { text: '!on', topic: 'shellyplus1pm-a8032ab12345/rpc',
      payload: '{"id":1,"src":"switchboard","method":"Switch.Set","params":{"id":0,"on":true}}',
      report: ['shellyplus1pm-a8032ab12345/events/rpc', { src: 'shellyplus1pm-a8032ab12345',
        method: 'NotifyStatus',
        params: { ts: 1714550460.52, 'switch:0': { id: 0, output: true } } }] },
  },
  {
    // A dimmer's light: its own RPC method, confirmed by the NotifyStatus that follows.
    profile: 'shelly-gen2', alias: 'device_shelly-gen2_shellyplusdimmer-a8032ab1d1d1',
    name: 'shellyplusdimmer-a8032ab1d1d1',
    messages: [
      ['shellyplusdimmer-a8032ab1d1d1/status/light:0', { id: 0, source: 'init', output: true,
        brightness: 65, temperature: { tC: 41.2, tF: 106.2 } }],
    ],
    body: 'light 0 on · 65 % brightness 0',
    command: { text: '!set brightness_0 40', topic: 'shellyplusdimmer-a8032ab1d1d1/rpc',
      payload: '{"id":1,"src":"switchboard","method":"Light.Set","params":{"id":0,' +
        '"brightness":40}}',
      report: ['shellyplusdimmer-a8032ab1d1d1/events/rpc', {
        src: 'shellyplusdimmer-a8032ab1d1d1', method: 'NotifyStatus',
        params: { ts: 1714550470.1, 'light:0': { id: 0, brightness: 40 } } }] },
  },
  {
    profile: 'esphome', alias: 'device_esphome_livingroom', name: 'livingroom',
    messages: [
      ['livingroom/status', 'online', true],
      ['livingroom/sensor/temperature/state', '22.25'],
      ['livingroom/switch/relay/state', 'OFF', true],
    ],
    body: '22.25 °C', online: true,
    command: { text: '!on', topic: 'livingroom/switch/relay/command', payload: 'ON',
      report: ['livingroom/switch/relay/state', 'ON'] },
  },
  {
    profile: 'homeassistant', alias: 'device_homeassistant_c8c9a3f1e2d0', name: 'garage',
    messages: [
      ['homeassistant/switch/garage/garage_relay/config', { '~': 'garage/switch/garage_relay',
        name: 'Garage Relay', uniq_id: 'garage_relay_switch', stat_t: '~/state', cmd_t: '~/command',
        avty_t: 'garage/status', pl_avail: 'online', pl_not_avail: 'offline',
        dev: { ids: 'c8c9a3f1e2d0', name: 'garage', mdl: 'esp32dev', mf: 'espressif' } }, true],
      ['garage/status', 'online', true],
      ['garage/switch/garage_relay/state', 'OFF', true],
    ],
    body: 'garage relay off', meta: { model: 'esp32dev', vendor: 'espressif' }, online: true,
    command: { text: '!on', topic: 'garage/switch/garage_relay/command', payload: 'ON',
      report: ['garage/switch/garage_relay/state', 'ON'] },
  },
  {
    // Device-based discovery: one config for the device, its entities under cmps.
    profile: 'homeassistant', alias: 'device_homeassistant_hp01', name: 'heat pump',
    messages: [
      ['homeassistant/device/heatpump01/config', {
        dev: { ids: 'hp01', name: 'heat pump', mf: 'Acme', mdl: 'HP-9' },
        o: { name: 'acme2mqtt', sw: '1.0' },
        '~': 'heatpump01', stat_t: '~/state', avty_t: '~/status',
        cmps: {
          flow_temp: { p: 'sensor', dev_cla: 'temperature', unit_of_meas: '°C',
            val_tpl: '{{ value_json.flow }}', uniq_id: 'hp01_flow' },
          compressor: { p: 'switch', cmd_t: '~/compressor/set',
            val_tpl: '{{ value_json.compressor }}', uniq_id: 'hp01_comp' },
        } }, true],
      ['heatpump01/status', 'online', true],
      ['heatpump01/state', { flow: 35.5, compressor: 'OFF' }],
    ],
    body: '35.5 °C flow temp · compressor off', meta: { model: 'HP-9', vendor: 'Acme' },
    online: true,
    command: { text: '!on', topic: 'heatpump01/compressor/set', payload: 'ON',
      report: ['heatpump01/state', { flow: 35.5, compressor: 'ON' }] },
  },
  {
    // A blind through discovery, as Zigbee2MQTT announces one: commands are answered as
    // sent (a cover moves for longer than a command waits), the movement shows in readings.
    profile: 'homeassistant', alias: 'device_homeassistant_zigbee2mqtt_0x54ef441000123456',
    name: 'Living blind',
    messages: [
      ['homeassistant/cover/0x54ef441000123456/cover/config', { name: null,
        uniq_id: '0x54ef441000123456_cover_zigbee2mqtt', cmd_t: 'zigbee2mqtt/Living blind/set',
        stat_t: 'zigbee2mqtt/Living blind', val_tpl: '{{ value_json.state }}',
        stat_open: 'OPEN', stat_clsd: 'CLOSE', stat_stopped: 'STOP',
        pos_t: 'zigbee2mqtt/Living blind', pos_tpl: '{{ value_json.position }}',
        set_pos_t: 'zigbee2mqtt/Living blind/set',
        set_pos_tpl: '{ "position": {{ position }} }',
        dev: { ids: ['zigbee2mqtt_0x54ef441000123456'], name: 'Living blind', mf: 'Aqara' } },
      true],
      ['zigbee2mqtt/Living blind', { state: 'CLOSE', position: 0 }],
    ],
    body: 'cover closed · 0 % cover position', meta: { vendor: 'Aqara' },
    command: { text: '!set cover_position 40', topic: 'zigbee2mqtt/Living blind/set',
      payload: '{ "position": 40 }', report: ['zigbee2mqtt/Living blind', { position: 40 }],
      reply: /^Sent\./ },
  },
  {
    // An ESPHome light through discovery: the JSON schema, with brightness.
    profile: 'homeassistant', alias: 'device_homeassistant_a4cf12b3c4d5', name: 'desk',
    messages: [
      ['homeassistant/light/desk/desk_lamp/config', { schema: 'json', name: 'Desk Lamp',
        uniq_id: 'ESPlightdesk_lamp', stat_t: 'desk/light/desk_lamp/state',
        cmd_t: 'desk/light/desk_lamp/command', brightness: true,
        supported_color_modes: ['brightness'],
        dev: { ids: 'a4cf12b3c4d5', name: 'desk', mdl: 'esp32dev', mf: 'espressif' } }, true],
      ['desk/light/desk_lamp/state', { state: 'ON', color_mode: 'brightness', brightness: 128 }],
    ],
    body: 'desk lamp on', meta: { model: 'esp32dev' },
    command: { text: '!set desk_lamp_brightness 200', topic: 'desk/light/desk_lamp/command',
      payload: '{"state":"ON","brightness":200}',
      report: ['desk/light/desk_lamp/state', { state: 'ON', color_mode: 'brightness',
        brightness: 200 }] },
  },
  {
    // A Zigbee2MQTT colour bulb through discovery: its x/y colour shows as #rrggbb, and a
    // colour is sent back as x/y, answered as sent (a bulb reports it back normalised).
    profile: 'homeassistant', alias: 'device_homeassistant_zigbee2mqtt_0x0017880100ab1234',
    name: 'Hue Go',
    messages: [
      ['homeassistant/light/0x0017880100ab1234/light/config', { schema: 'json', name: null,
        unique_id: '0x0017880100ab1234_light_zigbee2mqtt', state_topic: 'zigbee2mqtt/Hue Go',
        command_topic: 'zigbee2mqtt/Hue Go/set', brightness: true, brightness_scale: 254,
        supported_color_modes: ['xy', 'color_temp'],
        device: { identifiers: ['zigbee2mqtt_0x0017880100ab1234'], name: 'Hue Go',
          manufacturer: 'Philips' } }, true],
      ['zigbee2mqtt/Hue Go', { state: 'ON', brightness: 200, color_mode: 'xy',
        color: { x: 0.5336, y: 0.4145 } }],
    ],
    body: 'light color #ff8800', meta: { vendor: 'Philips' },
    command: { text: '!set light_color #ff0000', topic: 'zigbee2mqtt/Hue Go/set',
      payload: '{"state":"ON","color":{"x":0.6401,"y":0.33}}',
      report: ['zigbee2mqtt/Hue Go', { state: 'ON', color_mode: 'xy',
        color: { x: 0.6401, y: 0.33 } }], reply: /^Sent\./ },
  },
  {
    // An alarm panel through discovery: Home Assistant's state words, armed by chat.
    profile: 'homeassistant', alias: 'device_homeassistant_housealarm01', name: 'House alarm',
    messages: [
      ['homeassistant/alarm_control_panel/house/alarm/config', { name: 'House alarm',
        uniq_id: 'house_alarm', stat_t: 'house/alarm/state', cmd_t: 'house/alarm/set',
        dev: { ids: 'housealarm01', name: 'House alarm' } }, true],
      ['house/alarm/state', 'disarmed'],
    ],
    body: 'alarm disarmed',
    command: { text: '!set alarm arm_away', topic: 'house/alarm/set', payload: 'ARM_AWAY',
      report: ['house/alarm/state', 'arming'], reply: /^Sent\./ },
  },
  {
    // A vacuum through discovery: its state, battery and fan speed from one JSON state.
    profile: 'homeassistant', alias: 'device_homeassistant_rockrobo', name: 'Robot',
    messages: [
      ['homeassistant/vacuum/rockrobo/vacuum/config', { name: 'Robot', uniq_id: 'rockrobo_vac',
        stat_t: 'valetudo/rockrobo/state', cmd_t: 'valetudo/rockrobo/command', pl_ret: 'HOME',
        sup_feat: ['start', 'stop', 'return_home', 'battery'],
        dev: { ids: 'rockrobo', name: 'Robot' } }, true],
      ['valetudo/rockrobo/state', { state: 'cleaning', battery_level: 64 }],
    ],
    body: 'vacuum cleaning · 64 % vacuum battery',
    command: { text: '!set vacuum return_to_base', topic: 'valetudo/rockrobo/command',
      payload: 'HOME', report: ['valetudo/rockrobo/state', { state: 'returning' }],
      reply: /^Sent\./ },
  },
  {
    profile: 'homie', alias: 'device_homie_super-car', name: 'Super car',
    messages: [
      ['homie/super-car/$state', 'ready', true],
      ['homie/super-car/$name', 'Super car', true],
      ['homie/super-car/lights/brightness/$datatype', 'integer', true],
      ['homie/super-car/lights/brightness/$format', '0:100', true],
      ['homie/super-car/lights/brightness/$settable', 'true', true],
      ['homie/super-car/engine/temperature/$datatype', 'float', true],
      ['homie/super-car/engine/temperature/$unit', '°C', true],
      ['homie/super-car/engine/temperature', '21.5', true],
    ],
    body: '21.5 °C', online: true,
    command: { text: '!set brightness 70', topic: 'homie/super-car/lights/brightness/set',
      payload: '70', report: ['homie/super-car/lights/brightness', '70'] },
  },
  {
    profile: 'generic', alias: 'device_generic_attic', name: 'attic',
    messages: [['sensors/attic/state', { temperature: 18, humidity: 55 }]],
    body: '18 °C · 55 % humidity',
  },
  {
    // A configured topic with a command topic (bridge.generic_topics[].command_topic).
    profile: 'generic', alias: 'device_generic_heater', name: 'heater',
    messages: [['plugs/heater/state', { state: 'OFF', power: 0 }]],
    body: 'state off',
    command: { text: '!on', topic: 'plugs/heater/set', payload: '{"state":"ON"}',
      report: ['plugs/heater/state', { state: 'ON', power: 1800 }] },
  },
];

t.test('every shipped profile: room, state, readings and a command', async (t) => {
  const b = await startBridgeServer(t);
  const dev = await device(t, b.url);
  const published = await listen(t, b.url, '#');

  for (const c of CASES) {
    await t.test(c.profile, async (t) => {
      for (const [topic, payload, retain] of c.messages) {
        await publish(dev, topic, payload, { retain: retain ?? false });
      }
      const room = await waitRoom(b, c.alias);
      await join(b, room);
      t.equal((await state(b, room, 'm.room.name')).name, c.name, 'the room is named');
      const meta = await state(b, room, 'org.switchboard.device');
      t.match(meta, { profile: c.profile, retired: false, ...c.meta }, 'device state');
      if (c.online !== undefined) {
        t.match(await state(b, room, 'org.switchboard.availability'), { online: c.online });
      }
      let bodies: string[] = [];
      await eventually(async () => {
        bodies = (await readingsIn(b, room)).map((e) => e.content.body);
        return bodies.some((body) => body.includes(c.body));
      }, 3000, `a reading "${c.body}"`).catch(() => undefined);
      t.ok(bodies.some((body) => body.includes(c.body)), `reading "${c.body}" in ${bodies}`);
      if (!c.command) {
        const reply = await replyTo(b, room, await say(b, room, '!on'));
        t.match(reply.content.body, /Cannot do that/, 'a device without commands says so');
        return;
      }
      const before = published.length;
      const command = await say(b, room, c.command.text);
      const sent = await eventually(async () => published.slice(before).find((m) =>
        m.topic === c.command!.topic), 3000, `a publish on ${c.command.topic}`);
      t.equal(sent.payload, c.command.payload, 'the profile built the publish');
      await publish(dev, c.command.report[0], c.command.report[1]);
      const reply = await replyTo(b, room, command);
      t.match(reply.content.body, c.command.reply ?? /^Done: /,
        `answered: ${reply.content.body}`);
    });
  }
});
