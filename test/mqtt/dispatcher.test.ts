import t from 'tap';
import { pino } from 'pino';
import { Dispatcher } from '../../src/mqtt/dispatcher.js';
import type { MqttMessage } from '../../src/mqtt/transport.js';

const message = (topic: string): MqttMessage =>
  ({ topic, payload: Buffer.from('1'), qos: 1, retain: false });

t.test('routes by filter, and a later route is matched for a topic seen before', async (t) => {
  const dispatcher = new Dispatcher(pino({ level: 'silent' }));
  const got: string[] = [];
  dispatcher.add('home/+/temp', async (m) => { got.push(`plus:${m.topic}`); });
  await dispatcher.dispatch(message('home/kitchen/temp'));
  await dispatcher.dispatch(message('home/kitchen/humidity'));
  t.same(got, ['plus:home/kitchen/temp']);

  // Both topics were matched (and remembered) before this route existed.
  dispatcher.add('home/#', async (m) => { got.push(`hash:${m.topic}`); });
  await dispatcher.dispatch(message('home/kitchen/temp'));
  await dispatcher.dispatch(message('home/kitchen/humidity'));
  t.same(got.slice(1), ['plus:home/kitchen/temp', 'hash:home/kitchen/temp',
    'hash:home/kitchen/humidity']);
  t.same(dispatcher.matching('$SYS/x').length, 0, 'a # filter does not match $-topics');
  t.equal(dispatcher.stats.received, 3);
});

t.test('a handler that throws is counted and does not stop the others', async (t) => {
  const dispatcher = new Dispatcher(pino({ level: 'silent' }));
  let delivered = 0;
  dispatcher.add('a/#', async () => { throw new Error('bad payload'); });
  dispatcher.add('a/b', async () => { delivered++; });
  await dispatcher.dispatch(message('a/b'));
  await dispatcher.dispatch(message('a/b'));
  t.equal(delivered, 2);
  t.equal(dispatcher.stats.handler_errors, 2);
});
