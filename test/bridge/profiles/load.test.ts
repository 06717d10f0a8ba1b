import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { loadProfiles } from '../../../src/bridge/profiles/index.js';

const devices = join(import.meta.dirname, '../../../devices');

t.test('every shipped profile loads and subscribes to what it reads', async (t) => {
  const profiles = await loadProfiles(devices);
  t.same(profiles.map((p) => p.name), ['esphome', 'generic', 'homeassistant', 'homie',
    'shelly-gen2', 'tasmota', 'zigbee2mqtt']);
  const z2m = profiles.find((p) => p.name === 'zigbee2mqtt')!;
  t.same(z2m.subscriptions().find((s) => s.filter === 'zigbee2mqtt/bridge/devices'),
    { filter: 'zigbee2mqtt/bridge/devices', retained: true }, 'the device list is never shared');
  t.same(z2m.subscriptions().find((s) => s.filter === 'zigbee2mqtt/#'),
    { filter: 'zigbee2mqtt/#', retained: false }, 'device state may be shared');
  t.same(z2m.subscriptions().filter((s) => s.filter.endsWith('/availability')).map((s) => s),
    ['zigbee2mqtt/+/availability', 'zigbee2mqtt/+/+/availability',
      'zigbee2mqtt/+/+/+/availability', 'zigbee2mqtt/+/+/+/+/availability']
      .map((filter) => ({ filter, retained: true })),
    'availability of names of up to four levels, never shared');
  // Those overlap zigbee2mqtt/#: a message is read on one subscription only.
  t.ok(z2m.readsOn('zigbee2mqtt/lamp/availability', 'zigbee2mqtt/+/availability'));
  t.notOk(z2m.readsOn('zigbee2mqtt/lamp/availability', 'zigbee2mqtt/#'),
    'availability is read on its retained subscription, not the shared one');
  t.ok(z2m.readsOn('zigbee2mqtt/bridge/devices', 'zigbee2mqtt/bridge/devices'));
  t.notOk(z2m.readsOn('zigbee2mqtt/bridge/devices', 'zigbee2mqtt/#'));
  t.ok(z2m.readsOn('zigbee2mqtt/a/b', 'zigbee2mqtt/#'), 'device state on the shared one');
  t.ok(profiles.find((p) => p.name === 'tasmota')!.readsOn('tele/plug/SENSOR', 'anything'),
    'a profile without overlapping subscriptions reads every message where it comes');
  const ha = profiles.find((p) => p.name === 'homeassistant')!;
  t.same(ha.subscriptions().map((s) => s.filter).sort(),
    ['homeassistant/+/+/+/config', 'homeassistant/+/+/config'], 'the optional node_id level');
  const tasmota = profiles.find((p) => p.name === 'tasmota')!;
  t.notOk(tasmota.subscriptions().some((s) => s.filter === 'stat/+/POWER'),
    'a filter another covers is dropped so nothing arrives twice');
});

t.test('a profile name that has no file is refused', async (t) => {
  await t.rejects(loadProfiles(devices, ['zigbee2mqtt', 'zwave']), /no profile zwave in /);
});

const bad: Array<[string, string, RegExp]> = [
  ['a rule without a kind', 'name: broken\nrules:\n  - pattern: a/{b}\n',
    /^broken\.yaml: rules\.0\.kind: missing$/],
  ['an unknown rule kind', 'name: broken\nrules:\n  - { pattern: "a/{b}", kind: magic }\n',
    /^broken\.yaml: rules\.0\.kind: expected a rule kind/],
  ['a misspelled setting',
    'name: broken\nrules:\n  - { pattern: "a/{device}", kind: readings, paylod: {} }\n',
    /^broken\.yaml: rules\.0\.paylod: unknown setting$/],
  ['an MQTT wildcard in a pattern',
    'name: broken\nrules:\n  - { pattern: "a/+/b", kind: readings }\n',
    /^broken\.yaml: rules\.0\.pattern: pattern a\/\+\/b: MQTT wildcards are written as \{name\}/],
  ['an availability rule without its section',
    'name: broken\nrules:\n  - { pattern: "a/{device}", kind: availability }\n',
    /^broken\.yaml: rules\.0\.availability: missing \(a availability rule needs it\)$/],
  ['a where on a capture the pattern lacks',
    'name: broken\nrules:\n  - { pattern: "a/{device}", kind: readings, where: { node: [x] } }\n',
    /^broken\.yaml: rules\.0\.where\.node: no such capture$/],
  ['a field of an each entry of the wrong type',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { each: [{ path: p, key: "k:{n}", fields: { temp: [1] } }] }\n',
    /^broken\.yaml: rules\.0\.payload\.each\.0\.fields\.temp: expected a property name/],
  ['an each entry whose where names a capture its key lacks',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { each: [{ path: p, key: "k:{n}", where: { channel: ["0"] } }] }\n',
    /^broken\.yaml: rules\.0\.payload\.each\.0\.where\.channel: no such capture$/],
  ['an each that is not a list',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { each: { path: p, key: k } }\n',
    /^broken\.yaml: rules\.0\.payload\.each: expected/],
  ['a field map value of the wrong type',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { fields: { temp: 7 } }\n',
    /^broken\.yaml: rules\.0\.payload\.fields\.temp: expected a property name/],
  ['a unit key without its device class',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { unitKeys: { TempUnit: { names: { F: "°F" } } } }\n',
    /^broken\.yaml: rules\.0\.payload\.unitKeys\.TempUnit: expected \{ deviceClass, names \}/],
  ['a unit key naming a unit with a number',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    payload: { unitKeys: { TempUnit: { deviceClass: temperature, names: { F: 1 } } } }\n',
    /^broken\.yaml: rules\.0\.payload\.unitKeys\.TempUnit: expected/],
  ['a QoS of 3', 'name: broken\nrules: []\ncommands: { qos: 3 }\n',
    /^broken\.yaml: commands\.qos: expected a QoS of 0, 1 or 2, got 3$/],
  ["a property's command without its topic",
    'name: broken\nrules: []\ncommands: { properties: { "light_{n}": { set: { payload: x } } } }\n',
    /^broken\.yaml: commands\.properties\.light_\{n\}\.set\.topic: missing$/],
  ["a property's command of a kind that does not exist",
    'name: broken\nrules: []\n'
      + 'commands: { properties: { level: { dim: { topic: t, payload: x } } } }\n',
    /^broken\.yaml: commands\.properties\.level\.dim: unknown setting$/],
  ['a capability in a list without its kind',
    'name: broken\nrules:\n  - pattern: "a/{device}"\n    kind: readings\n'
      + '    capability: [{ kind: binary }, { property: level }]\n',
    /^broken\.yaml: rules\.0\.capability\.1\.kind: missing$/],
  ['a name that is not the file name', 'name: other\nrules: []\n',
    /^broken\.yaml: name: "other" does not match the file name$/],
  ['YAML that does not parse', 'name: broken\nrules: [\n', /^broken\.yaml: not valid YAML: /],
];

t.test('a bad profile file is refused with its file name and the field', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'profiles-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [title, yaml, error] of bad) {
    await writeFile(join(dir, 'broken.yaml'), yaml);
    await t.rejects(loadProfiles(dir, ['broken']), error, title);
  }
});

t.test('a bad generic topic from the config is refused naming it', async (t) => {
  await t.rejects(loadProfiles(devices, ['generic'], { generic: [{ pattern: 'a/#' }] }),
    /^generic\.yaml: configured topic 0\.pattern: pattern a\/#: MQTT wildcards/);
});

t.test('the examples of devices/README.md make a profile that loads', async (t) => {
  const text = await readFile(join(devices, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseYaml(m[1]!));
  t.equal(blocks.length, 5, 'the file, a rule, a payload, capabilities, commands');
  const [file, rules, payload, capability, commands] = blocks;
  const profile = { ...file, rules: [...rules,
    { pattern: 'x/{device}/{channel}', kind: 'readings', ...payload, ...capability }],
  ...commands };
  const dir = await mkdtemp(join(tmpdir(), 'profiles-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'mydevices.yaml'), JSON.stringify(profile));
  const [loaded] = await loadProfiles(dir, ['mydevices']);
  t.equal(loaded?.name, 'mydevices', 'it loads: every key the README shows is one the format has');
});
