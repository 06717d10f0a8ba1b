import { createRequire } from 'node:module';
import t from 'tap';
import { client, startEmbedded } from './helpers.js';

// The encoder aedes writes with, resolved the way aedes resolves it.
const packets = createRequire(import.meta.resolve('aedes'))('mqtt-packet') as {
  writeToStream: { cacheNumbers: boolean };
};

t.test('the embedded broker encodes packet numbers without the 6 MiB lookup table',
  async (t) => {
    const { broker, url } = await startEmbedded(t);
    t.equal(packets.writeToStream.cacheNumbers, false, 'the table is off once the broker runs');

    // Two-byte fields past 255 (a topic length, packet IDs) still encode right without it.
    const topic = `long/${'x'.repeat(300)}`;
    const subscriber = await client(t, url);
    await subscriber.subscribeAsync('long/#', { qos: 1 });
    const got = new Promise<string>((resolve) =>
      subscriber.once('message', (name, payload) => resolve(`${name.length} ${payload}`)));
    const device = await client(t, url);
    for (let i = 0; i < 300; i++) await device.publishAsync('other/topic', 'x', { qos: 1 });
    await broker.publish(topic, 'hello', { qos: 1 });
    t.equal(await got, `${topic.length} hello`, 'a 305-character topic arrives whole');
  });
