import t from 'tap';
import type { MqttConfig } from '../../src/config/mqtt-schema.js';
import { ExternalClient, subscriptionId } from '../../src/mqtt/external-client.js';
import { captureLog, client, delay, startEmbedded, tempDir, waitFor } from './helpers.js';
import { freePort, Mosquitto, mosquittoMissing } from '../../scripts/mosquitto.js';

type Test = { teardown(fn: () => unknown): void };

const missing = mosquittoMissing();
if (missing && process.env.CI === 'true') {
  t.fail(`${missing}: the external-mode tests cannot run under CI`);
}

async function startMosquitto(t: Test): Promise<Mosquitto> {
  const broker = new Mosquitto(tempDir(t), await freePort());
  await broker.start();
  t.teardown(() => broker.stop());
  return broker;
}

function external(t: Test, url: string, config: Partial<MqttConfig> = {}) {
  const { log, lines } = captureLog();
  const transport = new ExternalClient({ mode: 'external', url, ...config }, 'test.example', log);
  t.teardown(() => transport.close());
  return { transport, lines };
}

t.test('external mode against a real Mosquitto', { skip: missing ?? false }, async (t) => {
  t.test('connects with MQTT 5, subscribes and publishes', async (t) => {
    const mosquitto = await startMosquitto(t);
    const { transport } = external(t, mosquitto.url);
    const seen: string[] = [];
    await transport.subscribe('tele/+/SENSOR', async (m) => {
      seen.push(`${m.topic}=${m.payload}`);
    });
    await transport.start();
    t.equal(transport.describe().protocol_version, '5');
    t.equal(transport.describe().client_id, 'switchboard-test.example');

    const device = await client(t, mosquitto.url);
    await device.subscribeAsync('cmnd/#', { qos: 1 });
    const command = new Promise<string>((resolve) =>
      device.once('message', (topic, p) => resolve(`${topic}=${p}`)));
    await transport.publish('cmnd/plug/POWER', 'ON', { qos: 1 });
    t.equal(await command, 'cmnd/plug/POWER=ON');

    await device.publishAsync('tele/plug/SENSOR', '{"Power":5}', { qos: 1 });
    t.ok(await waitFor(() => seen.length === 1));
    t.same(seen, ['tele/plug/SENSOR={"Power":5}']);
    await delay(100);
    t.equal(transport.stats.received, 1, 'our own publish is not handed back (No Local)');
  });

  t.test('a message is acknowledged only after the handler resolves', async (t) => {
    const mosquitto = await startMosquitto(t);
    const first = external(t, mosquitto.url, { client_id: 'acks' }).transport;
    let calls = 0;
    // This handler never finishes, as if Switchboard died while storing the message.
    await first.subscribe('ack/#', () => {
      calls++;
      return new Promise<void>(() => undefined);
    });
    await first.start();
    const device = await client(t, mosquitto.url);
    await device.publishAsync('ack/1', 'must not be lost', { qos: 1 });
    t.ok(await waitFor(() => calls === 1), 'the first handler got the message');
    await first.close();

    const second = external(t, mosquitto.url, { client_id: 'acks' }).transport;
    const redelivered: string[] = [];
    await second.subscribe('ack/#', async (m) => {
      redelivered.push(m.payload.toString());
    });
    await second.start();
    t.ok(await waitFor(() => redelivered.length > 0), 'the broker delivers it again');
    t.same(redelivered, ['must not be lost'], 'it was never acknowledged');
  });

  t.test('messages are handled together and acknowledged in order, each once handled',
    async (t) => {
      const mosquitto = await startMosquitto(t);
      const first = external(t, mosquitto.url, { client_id: 'pipeline' }).transport;
      const waiting = new Map<number, () => void>();
      await first.subscribe('pipe/#', (m) => new Promise<void>((resolve) => {
        waiting.set(Number(m.payload.toString()), resolve);
      }));
      await first.start();
      const device = await client(t, mosquitto.url);
      await Promise.all(Array.from({ length: 10 }, (_, n) =>
        device.publishAsync('pipe/x', String(n), { qos: 1 })));
      t.ok(await waitFor(() => waiting.size === 10),
        'all ten reach the handler while none of them is handled yet');
      t.equal(first.ackStats?.sent, 0, 'nothing is acknowledged');

      for (const n of [5, 6, 7, 8, 9]) waiting.get(n)!();
      await delay(100);
      t.equal(first.ackStats?.sent, 0, 'later messages handled first wait for the earlier ones');
      waiting.get(0)!();
      waiting.get(1)!();
      t.ok(await waitFor(() => first.ackStats?.sent === 2), 'the first two are acknowledged');
      await delay(100);
      t.equal(first.ackStats?.sent, 2, 'and no more, while the third is not handled');
      await first.close();

      const second = external(t, mosquitto.url, { client_id: 'pipeline' }).transport;
      const redelivered: number[] = [];
      await second.subscribe('pipe/#', async (m) => {
        redelivered.push(Number(m.payload.toString()));
      });
      await second.start();
      t.ok(await waitFor(() => redelivered.length >= 8), 'the broker sends the rest again');
      await delay(100);
      t.same(redelivered.sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8, 9],
        'exactly the unacknowledged ones come again');
    });

  t.test('overlapping subscriptions: each handler gets a message once', async (t) => {
    const mosquitto = await startMosquitto(t);
    const { transport } = external(t, mosquitto.url, { client_id: 'overlap' });
    const calls = { all: 0, one: 0 };
    await transport.subscribe('dup/#', async () => { calls.all++; });
    await transport.subscribe('dup/+/x', async () => { calls.one++; });
    await transport.start();
    const device = await client(t, mosquitto.url);
    await device.publishAsync('dup/a/x', 'payload', { qos: 1 });
    await device.publishAsync('dup/b', 'payload', { qos: 1 });
    t.ok(await waitFor(() => calls.all >= 2 && calls.one >= 1), 'both handlers were called');
    await delay(200);
    t.same(calls, { all: 2, one: 1 },
      'a broker sending one copy per matching subscription does not double the calls');
  });

  t.test('QoS 2 messages are handled once and completed once handled', async (t) => {
    const mosquitto = await startMosquitto(t);
    const { transport } = external(t, mosquitto.url, { client_id: 'exactly-once' });
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    await transport.subscribe('q2/#', async (m) => {
      seen.push(m.payload.toString());
      await gate;
    }, { qos: 2 });
    await transport.start();
    const device = await client(t, mosquitto.url);
    await Promise.all(['a', 'b', 'c'].map((p) => device.publishAsync('q2/x', p, { qos: 2 })));
    t.ok(await waitFor(() => seen.length === 3), 'all three reach the handler');
    await delay(100);
    t.equal(transport.ackStats?.sent, 0, 'no PUBCOMP before they are handled');
    release();
    t.ok(await waitFor(() => transport.ackStats?.sent === 3), 'then three PUBCOMPs');
    await delay(100);
    t.same(seen, ['a', 'b', 'c'], 'each handled once');
  });

  t.test('QoS 0 messages are read no faster than they are handled', async (t) => {
    const mosquitto = await startMosquitto(t);
    const { transport } = external(t, mosquitto.url, { client_id: 'window' });
    const waiting: Array<() => void> = [];
    let handled = 0;
    await transport.subscribe('flood/#', () => new Promise<void>((resolve) => {
      waiting.push(() => {
        handled++;
        resolve();
      });
    }));
    await transport.start();
    const device = await client(t, mosquitto.url);
    for (let n = 0; n < 100; n++) device.publish('flood/x', String(n), { qos: 0 });
    t.ok(await waitFor(() => waiting.length === 64), '64 messages are taken in at once');
    await delay(200);
    t.equal(waiting.length, 64, 'the next wait until one of them is handled');
    while (handled < 100) {
      const release = waiting.splice(0);
      for (const done of release) done();
      t.ok(await waitFor(() => waiting.length > 0 || handled === 100), 'more are read');
    }
    t.equal(handled, 100, 'every message is handled in the end');
  });

  t.test('shared subscriptions split data; retained topics stay ordinary', async (t) => {
    const mosquitto = await startMosquitto(t);
    const device = await client(t, mosquitto.url);
    await device.publishAsync('discovery/x/config', 'cfg', { qos: 1, retain: true });

    const counts = [0, 0];
    const retained = [0, 0];
    for (const i of [0, 1]) {
      const { transport } = external(t, mosquitto.url,
        { client_id: `worker-${i}`, shared_group: 'sb' });
      await transport.subscribe('data/#', async () => {
        counts[i]!++;
      }, { shared: true });
      await transport.subscribe('discovery/#', async (m) => {
        if (m.retain) retained[i]!++;
      }, { shared: false });
      await transport.start();
    }
    for (let n = 0; n < 40; n++) await device.publishAsync(`data/${n}`, 'x', { qos: 1 });
    t.ok(await waitFor(() => counts[0]! + counts[1]! === 40), 'each message is handled once');
    await delay(200);
    t.equal(counts[0]! + counts[1]!, 40, 'no message went to both members');
    t.ok(counts[0]! > 0 && counts[1]! > 0, `both members got a share (${counts})`);
    t.same(retained, [1, 1], 'both members got the retained discovery message');
  });

  t.test('a broker restart in a QoS 1 stream loses nothing acknowledged', async (t) => {
    const mosquitto = await startMosquitto(t);
    const { transport, lines } = external(t, mosquitto.url, { client_id: 'stream' });
    const received = new Set<number>();
    // A store slower than the publisher, one message after another, so a backlog is queued
    // at the broker when it stops.
    let store = Promise.resolve();
    await transport.subscribe('stream/#', (m) => {
      store = store.then(() => delay(1)).then(() => {
        received.add(Number(m.payload.toString()));
      });
      return store;
    });
    await transport.start();

    const publisher = await client(t, mosquitto.url, { reconnectPeriod: 100 });
    publisher.on('error', () => undefined);
    const acked = new Set<number>();
    const total = 3000;
    let next = 0;
    let restarted = false;
    let backlog = 0;
    const worker = async () => {
      while (next < total) {
        const n = next++;
        try {
          await publisher.publishAsync('stream/data', String(n), { qos: 1 });
          acked.add(n);
        } catch {
          // Not acknowledged to the publisher: the broker promised nothing for it.
        }
        if (!restarted && acked.size >= total / 3) {
          restarted = true;
          backlog = acked.size - received.size;
          await mosquitto.stop();
          await mosquitto.start();
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    t.ok(restarted, 'the broker was restarted mid-stream');
    t.ok(backlog > 0, `messages were queued for us when it stopped (${backlog})`);
    t.ok(acked.size > total / 2, `most publishes were acknowledged (${acked.size})`);

    const all = await waitFor(() => [...acked].every((n) => received.has(n)), 20_000);
    const lost = [...acked].filter((n) => !received.has(n));
    t.ok(all, `every acknowledged message was handled (${lost.length} missing)`);
    t.ok(lines.some((l) => l.msg === 'mqtt connected' && l.session_present === true),
      'the client resumed its persistent session');
  });
});

t.test('the external client falls back to MQTT 3.1.1 for a broker without 5', async (t) => {
  const embedded = await startEmbedded(t);
  const { transport, lines } = external(t, embedded.url, { client_id: 'old-broker' });
  const seen: string[] = [];
  await transport.subscribe('legacy/#', async (m) => {
    seen.push(m.topic);
  });
  await transport.start();
  t.equal(transport.describe().protocol_version, '3.1.1');
  t.ok(lines.some((l) => l.msg === 'broker refused mqtt 5, using 3.1.1'));
  const device = await client(t, embedded.url);
  await device.publishAsync('legacy/1', 'x', { qos: 1 });
  t.ok(await waitFor(() => seen.length === 1));
});

t.test('subscription identifiers come from the filter, in the range MQTT 5 allows', async (t) => {
  t.equal(subscriptionId('zigbee2mqtt/#'), subscriptionId('zigbee2mqtt/#'), 'the same every run');
  const ids = ['a/#', 'a/+/x', 'zigbee2mqtt/+/availability', '', 'ü/+'].map(subscriptionId);
  t.equal(new Set(ids).size, ids.length, 'different filters, different identifiers');
  t.ok(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 268_435_455));
});
