import { connect as connectTcp } from 'node:net';
import { connect } from 'mqtt';
import t from 'tap';
import type { MqttMessage } from '../../src/mqtt/transport.js';

type Test = { teardown(fn: () => unknown): void };
import { client, delay, startEmbedded, tempDir, waitFor } from './helpers.js';

t.test('a device publish reaches an in-process handler and the bridge reaches devices',
  async (t) => {
    const { broker, url } = await startEmbedded(t);
    const seen: MqttMessage[] = [];
    await broker.subscribe('sensors/+/state', async (m) => {
      seen.push(m);
    });

    const device = await client(t, url);
    await device.publishAsync('sensors/kitchen/state', '{"temperature":21.5}', { qos: 1 });
    await device.publishAsync('other/topic', 'x', { qos: 1 });
    t.equal(seen.length, 1, 'only the matching topic is handed over');
    t.equal(seen[0]!.topic, 'sensors/kitchen/state');
    t.equal(seen[0]!.payload.toString(), '{"temperature":21.5}');
    t.equal(seen[0]!.qos, 1);
    t.equal(seen[0]!.retain, false);
    t.equal(broker.stats.received, 1);

    await device.subscribeAsync('cmnd/#', { qos: 1 });
    const got = new Promise<[string, string]>((resolve) =>
      device.once('message', (topic, payload) => resolve([topic, payload.toString()])));
    await broker.publish('cmnd/plug/POWER', 'ON', { qos: 1 });
    t.same(await got, ['cmnd/plug/POWER', 'ON'], 'a bridge publish reaches a TCP subscriber');
    t.equal(seen.length, 1, 'the bridge does not receive its own publish');
  });

t.test('a QoS 1 PUBACK is sent only after the handler resolves', async (t) => {
  const { broker, url } = await startEmbedded(t);
  let stored = false;
  await broker.subscribe('slow/#', async () => {
    await delay(300);
    stored = true;
  });
  const device = await client(t, url);
  const started = Date.now();
  await device.publishAsync('slow/1', 'x', { qos: 1 });
  t.ok(stored, 'the publish callback fired after the handler finished');
  t.ok(Date.now() - started >= 290, 'the acknowledgement waited for the handler');

  stored = false;
  await device.publishAsync('slow/2', 'x', { qos: 2 });
  t.ok(stored, 'QoS 2 completes after the handler as well');
});

t.test('a failing handler is logged and counted; the device is acknowledged', async (t) => {
  const { broker, url, lines } = await startEmbedded(t);
  await broker.subscribe('bad/#', async (m) => {
    JSON.parse(m.payload.toString());
  });
  await broker.subscribe('throws/#', () => {
    throw new Error('synchronous failure');
  });
  const device = await client(t, url);
  await device.publishAsync('bad/1', 'not json {', { qos: 1 });
  await device.publishAsync('throws/1', 'x', { qos: 1 });
  t.equal(broker.stats.handler_errors, 2);
  const logged = lines.filter((l) => l.msg === 'mqtt handler failed');
  t.same(logged.map((l) => l.topic), ['bad/1', 'throws/1']);
  t.match(logged[0]!.reason, /JSON/);
  t.ok(device.connected, 'the device stays connected');
});

t.test('a client sending garbage is disconnected and the broker keeps serving', async (t) => {
  const { broker, port, url } = await startEmbedded(t);
  const seen: string[] = [];
  await broker.subscribe('#', async (m) => {
    seen.push(m.topic);
  });
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xde, 0xad, 0xbe, 0xef]));
  await closed;
  t.pass('the broker closed the garbage connection');

  const device = await client(t, url);
  await device.publishAsync('still/working', 'yes', { qos: 1 });
  t.same(seen, ['still/working']);
});

/** Whether a new subscriber gets a retained message on `topic` within two seconds. */
async function retainedStored(t: Test, url: string, topic: string): Promise<boolean> {
  const end = Date.now() + 2000;
  while (Date.now() < end) {
    const probe = await client(t, url);
    const got = new Promise<boolean>((resolve) => {
      probe.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 50);
    });
    await probe.subscribeAsync(topic);
    const stored = await got;
    await probe.endAsync(true);
    if (stored) return true;
  }
  return false;
}

t.test('a retained message reaches a late subscriber, also after a restart', async (t) => {
  const dir = tempDir(t);
  const first = await startEmbedded(t, {}, dir);
  const device = await client(t, first.url);
  await device.publishAsync('homeassistant/sensor/x/config', '{"name":"X"}',
    { qos: 1, retain: true });
  // aedes sends the PUBACK before it stores a retained message, so wait until it is stored.
  t.ok(await retainedStored(t, first.url, 'homeassistant/sensor/x/config'));

  const early: MqttMessage[] = [];
  await first.broker.subscribe('homeassistant/#', async (m) => {
    early.push(m);
  });
  t.equal(early.length, 1, 'an in-process subscriber gets the retained message');
  t.equal(early[0]!.retain, true);
  await device.endAsync();
  await first.broker.close();

  const second = await startEmbedded(t, {}, dir);
  const after: MqttMessage[] = [];
  await second.broker.subscribe('homeassistant/+/+/config', async (m) => {
    after.push(m);
  });
  t.same(after.map((m) => [m.topic, m.payload.toString(), m.retain]),
    [['homeassistant/sensor/x/config', '{"name":"X"}', true]], 'kept across the restart');

  const late = await client(t, second.url);
  const got = new Promise<string>((resolve) => late.once('message', (_t, p) => resolve(`${p}`)));
  await late.subscribeAsync('homeassistant/#');
  t.equal(await got, '{"name":"X"}', 'a TCP subscriber gets it after the restart too');
});

t.test('a QoS 1 message for an offline persistent session survives a restart', async (t) => {
  const dir = tempDir(t);
  const first = await startEmbedded(t, {}, dir);
  const sub = await client(t, first.url, { clientId: 'dashboard', clean: false });
  await sub.subscribeAsync('alerts/#', { qos: 1 });
  await sub.endAsync();

  // aedes acknowledges before it queues for offline sessions; it hands the message to online
  // subscribers after queueing, so an online watcher tells when the queue holds it.
  const watcher = await client(t, first.url);
  await watcher.subscribeAsync('alerts/#', { qos: 1 });
  const queued = new Promise((resolve) => watcher.once('message', resolve));
  const device = await client(t, first.url);
  await device.publishAsync('alerts/door', 'open', { qos: 1 });
  await queued;
  await device.endAsync();
  await first.broker.close();

  const second = await startEmbedded(t, {}, dir);
  const received: string[] = [];
  // Listening before CONNACK: the queued message may come in the same read.
  const back = connect(second.url, { clientId: 'dashboard', clean: false, reconnectPeriod: 0 });
  t.teardown(() => back.endAsync(true));
  back.on('message', (topic, payload) => received.push(`${topic}=${payload}`));
  t.ok(await waitFor(() => received.length > 0), 'the queued message arrives');
  t.same(received, ['alerts/door=open']);
});

t.test('loopback clients get in anonymously when no users are configured', async (t) => {
  const { url, lines } = await startEmbedded(t);
  const c = await client(t, url);
  t.ok(c.connected);
  t.ok(lines.some((l) => l.level === 40 && /mqtt\.users/.test(String(l.msg))),
    'the log says how to add device credentials');
});

t.test('MQTT over WebSocket works on the configured path', async (t) => {
  const { broker } = await startEmbedded(t, { websocket: { port: 0, path: '/mqtt' } });
  const seen: string[] = [];
  await broker.subscribe('ws/#', async (m) => {
    seen.push(m.payload.toString());
  });
  const port = broker.describe().websocket_port as number;
  const c = await client(t, `ws://127.0.0.1:${port}/mqtt`);
  await c.publishAsync('ws/hello', 'over websocket', { qos: 1 });
  t.same(seen, ['over websocket']);
});
