import t from 'tap';
import { filterCovers } from '../../../src/mqtt/topic-filter.js';
import { compilePattern, renderTemplate } from '../../../src/bridge/profiles/topic-pattern.js';

t.test('patterns capture named levels and parts of levels', async (t) => {
  const z = compilePattern('zigbee2mqtt/{friendly_name}');
  t.same(z.filters, ['zigbee2mqtt/+']);
  t.same(z.match('zigbee2mqtt/kitchen'), { friendly_name: 'kitchen' });
  t.equal(z.match('zigbee2mqtt/kitchen/set'), undefined);

  const s = compilePattern('{device}/status/switch:{channel}');
  t.same(s.filters, ['+/status/+']);
  t.same(s.match('shelly1/status/switch:2'), { device: 'shelly1', channel: '2' });
  t.equal(s.match('shelly1/status/cover:0'), undefined);
});

t.test('an optional level gives a filter with and without it', async (t) => {
  const ha = compilePattern('homeassistant/{component}/{node_id?}/{object_id}/config');
  t.same(ha.filters, ['homeassistant/+/+/+/config', 'homeassistant/+/+/config']);
  t.same(ha.match('homeassistant/sensor/node/temp/config'),
    { component: 'sensor', node_id: 'node', object_id: 'temp' });
  t.same(ha.match('homeassistant/sensor/temp/config'), { component: 'sensor', object_id: 'temp' });
});

t.test('a trailing multi-level capture', async (t) => {
  const p = compilePattern('sensors/{path+}');
  t.same(p.filters, ['sensors/#']);
  t.same(p.match('sensors/a/b/c'), { path: 'a/b/c' });
});

t.test('a multi-level capture before the last level: one filter per depth', async (t) => {
  const p = compilePattern('z2m/{name+}/availability');
  t.same(p.filters, ['z2m/+/availability', 'z2m/+/+/availability', 'z2m/+/+/+/availability',
    'z2m/+/+/+/+/availability']);
  t.same(p.match('z2m/lamp/availability'), { name: 'lamp' });
  t.same(p.match('z2m/kitchen/floor/lamp/availability'), { name: 'kitchen/floor/lamp' });
  t.equal(p.match('z2m/availability'), undefined, 'the capture takes at least one level');
  t.equal(p.match('z2m/lamp/state'), undefined);
});

t.test('a capture never takes a $ attribute level', async (t) => {
  const p = compilePattern('homie/{device}/{node}/{property}');
  t.equal(p.match('homie/car/engine/$name'), undefined);
  t.same(p.match('homie/car/engine/rpm'), { device: 'car', node: 'engine', property: 'rpm' });
});

t.test('bad patterns are refused', async (t) => {
  t.throws(() => compilePattern('a/+/b'), /MQTT wildcards/);
  t.throws(() => compilePattern('a/{x+}/{y+}'), /at most one/);
  t.throws(() => compilePattern('a/pre{x?}'), /must fill its level/);
});

t.test('templates leave JSON braces alone and report what is missing', async (t) => {
  t.same(renderTemplate('{"id":{channel},"on":{value_json}}', { channel: '0', value_json: 'true' }),
    { text: '{"id":0,"on":true}', missing: [] });
  t.same(renderTemplate('cmnd/{device}/{name}', { device: 'd' }).missing, ['name']);
});

t.test('filter coverage', async (t) => {
  t.ok(filterCovers('stat/+/+', 'stat/+/POWER'));
  t.ok(filterCovers('a/#', 'a/b/+'));
  t.notOk(filterCovers('stat/+/POWER', 'stat/+/+'));
  t.notOk(filterCovers('a/+', 'a/+/b'));
});
