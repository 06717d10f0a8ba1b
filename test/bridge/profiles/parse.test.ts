import t from 'tap';
import { join } from 'node:path';
import { isParseFailure, loadProfiles } from '../../../src/bridge/profiles/index.js';

const devices = join(import.meta.dirname, '../../../devices');

t.test('parse gives one message and the rest of a device list under more', async (t) => {
  const [z2m] = await loadProfiles(devices, ['zigbee2mqtt']);
  const list = [1, 2, 3].map((n) => ({
    ieee_address: `0x${n}`, type: 'Router', friendly_name: `lamp${n}`,
    definition: { model: 'M', vendor: 'V', description: 'D', exposes: [] } }));
  const m = z2m!.parse('zigbee2mqtt/bridge/devices', Buffer.from(JSON.stringify(list)));
  t.ok(m && !isParseFailure(m));
  if (!m || isParseFailure(m)) return;
  t.equal(m.deviceId, '0x1');
  t.same(m.more?.map((x) => x.deviceId), ['0x2', '0x3']);

  const again = z2m!.parse('zigbee2mqtt/bridge/devices', Buffer.from(JSON.stringify(list)));
  t.same(again, { profile: 'zigbee2mqtt', deviceId: '', updates: [] },
    'an unchanged list is recognised and needs nothing done');
});

t.test('subscriptions grow with the topics discovery announces', async (t) => {
  const [ha] = await loadProfiles(devices, ['homeassistant']);
  const config = {
    name: 'T', unique_id: 't1', state_topic: 'room/t', device: { identifiers: ['d1'] },
  };
  t.notOk(ha!.covers('room/t'));
  const m = ha!.parse('homeassistant/sensor/d1/t/config', Buffer.from(JSON.stringify(config)));
  t.same(m && !isParseFailure(m) ? m.subscribe : undefined, ['room/t']);
  t.same(ha!.subscriptions().find((s) => s.filter === 'room/t'),
    { filter: 'room/t', retained: true });
  t.ok(ha!.covers('room/t'));
  t.equal(ha!.parse('other/topic', Buffer.from('1')), undefined, 'unknown topics are not its own');
});

t.test('each discovery config subscribes only the topics no one read before', async (t) => {
  const [ha] = await loadProfiles(devices, ['homeassistant']);
  const publish = (object: string, config: Record<string, unknown>) => {
    const m = ha!.parse(`homeassistant/sensor/d1/${object}/config`,
      Buffer.from(JSON.stringify({ device: { identifiers: ['d1'] }, ...config })));
    return m && !isParseFailure(m) ? m.subscribe : 'failed';
  };
  t.same(publish('t', { unique_id: 't', state_topic: 'd1/state', availability_topic: 'd1/lwt' }),
    ['d1/state', 'd1/lwt']);
  t.same(publish('h', { unique_id: 'h', state_topic: 'd1/state', availability_topic: 'd1/lwt' }),
    undefined, 'a second entity on the same topics adds nothing');
  t.same(publish('p', { unique_id: 'p', state_topic: 'd1/power' }), ['d1/power']);
  t.same(publish('x', { unique_id: 'x', state_topic: 'homeassistant/sensor/d1/x/config' }),
    undefined, 'a topic the rules already cover needs no subscription of its own');
  // Replacing a config with new topics subscribes those; the list holds each once.
  t.same(publish('p', { unique_id: 'p', state_topic: 'd1/power2' }), ['d1/power2']);
  const filters = ha!.subscriptions().map((s) => s.filter);
  t.same(filters.filter((f) => f.startsWith('d1/')).sort(),
    ['d1/lwt', 'd1/power2', 'd1/state'], 'the replaced topic is no longer listed');
  t.equal(new Set(filters).size, filters.length);
});

t.test('learned state handed back to buildCommand works in a fresh profile', async (t) => {
  const [a] = await loadProfiles(devices, ['esphome']);
  a!.parse('hall/switch/light/state', Buffer.from('OFF'));
  const learned = JSON.parse(JSON.stringify(a!.learned('hall'))) as unknown;
  const [b] = await loadProfiles(devices, ['esphome']);
  t.same(b!.buildCommand({ deviceId: 'hall', learned }, { kind: 'on' }),
    { topic: 'hall/switch/light/command', payload: 'ON', qos: 1, retain: false,
      confirms: { property: 'light', value: true } });
  t.match(b!.buildCommand({ deviceId: 'hall' }, { kind: 'on' }), { error: /nothing to switch/ },
    'without it the fresh profile knows nothing of the device');
});

t.test('odd payloads on any profile topic are handled, not caught as exceptions', async (t) => {
  const profiles = await loadProfiles(devices, undefined, { generic: [{ pattern: 'g/{device}' }] });
  const topics = ['zigbee2mqtt/bridge/devices', 'zigbee2mqtt/x', 'zigbee2mqtt/bridge/event',
    'tele/x/SENSOR', 'stat/x/RESULT', 'x/status/switch:0', 'x/events/rpc', 'n/sensor/t/state',
    'homeassistant/sensor/a/b/config', 'homie/d/n/p', 'homie/d/n/p/$format', 'g/d'];
  const payloads = ['', 'null', '[]', '{}', '[null]', '[{"ieee_address":{}}]', '{"params":[]}',
    '{"method":"NotifyStatus","params":{"switch:0":null}}', '{"a":{"b":{"c":[1,{"d":2}]}}}',
    '"text"', '1e999', '{"state_topic":5,"device":{"identifiers":[]}}', '{"~":1,"stat_t":"~/x"}',
    '{"value_template":"{{ value_json.a.b.c }}","state_topic":"g/d"}', '\u00e9\u00e8', 'true'];
  let count = 0;
  for (const p of profiles) {
    for (const topic of topics) {
      for (const payload of payloads) {
        // parse catches anything thrown as a last resort; none of these may need that.
        const r = p.parse(topic, Buffer.from(payload));
        t.notMatch(r && isParseFailure(r) ? r.reason : '', /^could not read message/,
          `${p.name} ${topic} ${payload}`);
        count++;
      }
    }
  }
  t.equal(count, profiles.length * topics.length * payloads.length);
});

t.test('device-based discovery: one config for a device, components come and go', async (t) => {
  const [ha] = await loadProfiles(devices, ['homeassistant']);
  const topic = 'homeassistant/device/plug7/config';
  const send = (config: unknown) => {
    const m = ha!.parseAll(topic, Buffer.from(config === '' ? '' : JSON.stringify(config)));
    if (!Array.isArray(m)) throw new Error(`not parsed: ${JSON.stringify(m)}`);
    return m;
  };
  const base = { dev: { ids: ['plug7'], name: 'desk plug' }, o: { name: 'test' },
    '~': 'plug7', stat_t: '~/state' };
  const relay = { p: 'switch', cmd_t: '~/set', val_tpl: '{{ value_json.relay }}' };
  const power = { p: 'sensor', unit_of_meas: 'W', val_tpl: '{{ value_json.power }}' };

  const [first] = send({ ...base, cmps: { relay, power } });
  t.equal(first!.deviceId, 'plug7');
  t.equal(first!.friendlyName, 'desk plug');
  t.same(first!.subscribe, ['plug7/state'], 'the shared state topic, once, with its ~ filled');
  const info = first!.updates.find((u) => u.kind === 'info');
  t.same(info?.kind === 'info' ? info.info.capabilities?.map((c) => c.property) : [], ['relay'],
    'the switch is commandable');
  const state = ha!.parseAll('plug7/state', Buffer.from('{"relay":"ON","power":12.5}'));
  t.same(Array.isArray(state) ? state[0]!.updates : state, [{ kind: 'readings', readings: {
    relay: { value: true }, power: { value: 12.5, unit: 'W', deviceClass: 'power' } } }],
  'each component reads its value from the shared state topic');

  const [dropped] = send({ ...base, cmps: { relay: { p: 'switch' }, power } });
  const after = dropped!.updates.find((u) => u.kind === 'info');
  t.same(after?.kind === 'info' ? after.info.capabilities : undefined, [],
    'a component left with only its platform is removed');
  const [unlisted] = send({ ...base, cmps: { relay } });
  t.ok(unlisted!.updates.some((u) => u.kind === 'info'), 'one no longer listed is removed too');
  const [removed] = send('');
  t.same(removed!.updates, [{ kind: 'removed' }], 'an empty config removes the device');
  t.match(ha!.parseAll(topic, Buffer.from(JSON.stringify(base))),
    { reason: /needs its components/ }, 'a device config without components is refused');
});

t.test('availability_mode combines several availability topics', async (t) => {
  const [ha] = await loadProfiles(devices, ['homeassistant']);
  const availability = (mode: string | undefined, object: string) => {
    const config: Record<string, unknown> = { unique_id: object, state_topic: `${object}/state`,
      device: { identifiers: [object] },
      availability: [{ topic: 'gateway/state' }, { topic: `${object}/availability` }] };
    if (mode) config.avty_mode = mode;
    ha!.parse(`homeassistant/sensor/${object}/config`, Buffer.from(JSON.stringify(config)));
    return (topic: string, payload: string) => {
      const all = ha!.parseAll(topic, Buffer.from(payload));
      const mine = Array.isArray(all) ? all.find((m) => m.deviceId === object) : undefined;
      const update = mine?.updates.find((u) => u.kind === 'availability');
      return update?.kind === 'availability' ? update.online : undefined;
    };
  };
  const all = availability('all', 'plug_all');
  t.equal(all('gateway/state', 'online'), undefined, 'all: undecided until every topic spoke');
  t.equal(all('plug_all/availability', 'offline'), false);
  t.equal(all('gateway/state', 'online'), false, 'the gateway being online is not enough');
  t.equal(all('plug_all/availability', 'online'), true, 'online once both are');
  t.equal(all('gateway/state', 'offline'), false);

  const any = availability('any', 'plug_any');
  t.equal(any('gateway/state', 'offline'), undefined, 'any: undecided while one is unheard');
  t.equal(any('plug_any/availability', 'online'), true);
  t.equal(any('plug_any/availability', 'offline'), false, 'offline once neither is online');

  const latest = availability(undefined, 'plug_latest');
  t.equal(latest('plug_latest/availability', 'offline'), false);
  t.equal(latest('gateway/state', 'online'), true, 'latest (the default): the last report');
});

t.test('a toggle where the device has none: the opposite of its last state', async (t) => {
  const [ha] = await loadProfiles(devices, ['homeassistant']);
  ha!.parse('homeassistant/switch/pump/config', Buffer.from(JSON.stringify({
    unique_id: 'pump', state_topic: 'pump/state', command_topic: 'pump/set',
    payload_on: 'RUN', payload_off: 'STOP', device: { identifiers: ['pump'] } })));
  const target = (value?: boolean) => {
    const readings: Record<string, { value: boolean }> = {};
    if (value !== undefined) readings.pump = { value };
    return { deviceId: 'pump', readings };
  };
  t.match(ha!.buildCommand(target(true), { kind: 'toggle' }),
    { topic: 'pump/set', payload: 'STOP', confirms: { property: 'pump', value: false } });
  t.match(ha!.buildCommand(target(false), { kind: 'toggle' }),
    { topic: 'pump/set', payload: 'RUN', confirms: { property: 'pump', value: true } });
  t.match(ha!.buildCommand(target(), { kind: 'toggle' }),
    { error: /no on\/off state yet/ }, 'no state yet: a clear error, nothing published');
});
