/**
 * Raw aedes QoS 1 throughput, the reference the MQTT bridge benchmark is compared with: an
 * in-process aedes (default in-memory persistence, no authentication hooks) on loopback TCP,
 * several MQTT.js publishers and one MQTT.js subscriber at QoS 1, messages delivered to the
 * subscriber per second over about five seconds. Run alone, it prints the figure.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';

export interface RawAedesOptions {
  publishers?: number;
  /** QoS 1 publishes each publisher keeps in flight. */
  window?: number;
  durationMs?: number;
}

export async function benchRawAedes(options: RawAedesOptions = {}): Promise<{ perSecond: number }> {
  const { publishers = 2, window = 200, durationMs = 5000 } = options;
  const aedes = await Aedes.createBroker();
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: MqttClient[] = [];
  try {
    const subscriber = await connectAsync(url, { reconnectPeriod: 0 });
    clients.push(subscriber);
    await subscriber.subscribeAsync('bench/#', { qos: 1 });
    let received = 0;
    subscriber.on('message', () => {
      received++;
    });

    let running = true;
    const payload = Buffer.from('{"temperature":21.5,"humidity":40}');
    const loops: Promise<void>[] = [];
    for (let p = 0; p < publishers; p++) {
      const publisher = await connectAsync(url, { reconnectPeriod: 0 });
      clients.push(publisher);
      for (let w = 0; w < window; w++) {
        loops.push((async () => {
          while (running) await publisher.publishAsync(`bench/${p}/${w}`, payload, { qos: 1 });
        })());
      }
    }

    // Warm up for half a second, then count for the measured window.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const start = performance.now();
    const before = received;
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const perSecond = (received - before) / ((performance.now() - start) / 1000);
    running = false;
    await Promise.all(loops);
    return { perSecond };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { perSecond } = await benchRawAedes();
  console.log(`raw aedes QoS 1 publish-to-subscriber: ${Math.round(perSecond)} msgs/s`);
}
