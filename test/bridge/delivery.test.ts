import t from 'tap';
import {
  device, eventually, join, publish, readingsIn, startBridgeServer, state, waitRoom,
} from './helpers.js';

t.test('every QoS 1 publish acknowledged before a restart is in the room afterwards',
  async (t) => {
    const b = await startBridgeServer(t);
    const devices = ['d0', 'd1', 'd2'];
    const clients = await Promise.all(devices.map(() => device(t, b.url)));
    const acked = new Map(devices.map((d) => [d, 0]));
    let stop = false;
    const streams = clients.map(async (c, i) => {
      const id = devices[i]!;
      for (let n = 1; !stop; n++) {
        try {
          await publish(c, `sensors/${id}/state`, { counter: n });
          acked.set(id, n);
        } catch {
          return;
        }
      }
    });
    await eventually(async () => [...acked.values()].every((n) => n >= 50), 10_000, '50 acks each');
    // The server goes down in the middle of the stream, with publishes in flight.
    await b.server.close();
    stop = true;
    // Publishes in flight at the close never settle (the clients do not reconnect): the
    // counts are final once the broker is gone.
    const final = new Map(acked);
    void streams;

    const again = await startBridgeServer(t, {}, {}, b.server.dataDir);
    for (const id of devices) {
      const room = await waitRoom(again, `device_generic_${id}`);
      await join(again, room);
      const counters = (await readingsIn(again, room))
        .map((e) => Number(e.content['org.switchboard.readings'].counter.value));
      const want = final.get(id)!;
      const missing = [];
      for (let n = 1; n <= want; n++) if (!counters.includes(n)) missing.push(n);
      t.same(missing, [], `${id}: all ${want} acknowledged readings are stored`);
    }
  });

t.test('malformed, binary and oversized payloads are counted and change nothing', async (t) => {
  const b = await startBridgeServer(t, { max_payload_bytes: 1024 });
  const c = await device(t, b.url);
  await publish(c, 'zigbee2mqtt/bridge/devices', '[{"ieee_address": ');
  await c.publishAsync('sensors/blob/state', Buffer.from([0, 0xff, 0xfe, 1]), { qos: 1 });
  await publish(c, 'sensors/big/state', { data: 'x'.repeat(2000) });
  await publish(c, 'sensors/fine/state', { temperature: 20 });
  const room = await waitRoom(b, 'device_generic_fine');
  t.ok(room, 'the broker and the bridge keep serving');
  t.same(b.server.bridge!.stats.malformed, { zigbee2mqtt: 1, generic: 2 });
  t.equal(b.server.bridge!.registry.size, 1, 'no device was made of them');
  await b.server.bridge!.summary();
  await join(b, b.server.bridge!.rooms.spaceId);
  t.match(await state(b, b.server.bridge!.rooms.spaceId, 'org.switchboard.counters'),
    { malformed: { zigbee2mqtt: 1, generic: 2 } }, 'the counts are in the space state');
});

t.test('rate control: held readings are coalesced, unchanged ones dropped, counts in state',
  async (t) => {
    const b = await startBridgeServer(t, { rate: { max_events_per_second: 0, overrides: [
      { profile: 'generic', property: 'power', min_interval_ms: 400 },
      { profile: 'generic', property: 'temperature', deadband: 0.5 },
    ] } });
    const c = await device(t, b.url);
    await publish(c, 'sensors/meter/state', { power: 100, temperature: 20 });
    const room = await waitRoom(b, 'device_generic_meter');
    await join(b, room);
    for (const [power, temperature] of [[101, 20.2], [102, 20.4], [103, 20.6]]) {
      await publish(c, 'sensors/meter/state', { power, temperature });
    }
    const events = await eventually(async () => {
      const r = await readingsIn(b, room);
      return r.length === 3 ? r : undefined;
    }, 3000, 'the held power reading');
    const values = events.map((e) => e.content['org.switchboard.readings']);
    t.same(values.map((v) => v.power?.value), ['100', undefined, '103'],
      'power: the first, then only the latest after the interval');
    t.same(values.map((v) => v.temperature?.value), ['20', '20.6', undefined],
      'temperature: only beyond the deadband');
    const d = b.server.bridge!.registry.find('generic', 'meter')!;
    t.same(d.counters, { coalesced: 2, dropped: 2 });
    await b.server.bridge!.summary();
    t.match(await state(b, room, 'org.switchboard.counters'), { coalesced: 2, dropped: 2 });
  });

t.test('a reading whose event cannot be stored is not acknowledged, and comes again', async (t) => {
  const b = await startBridgeServer(t);
  // The device reconnects quickly, as MQTT.js does by default (every second).
  const c = await device(t, b.url, { reconnectPeriod: 100 });
  let closes = 0;
  c.on('close', () => closes++);
  await publish(c, 'sensors/cellar/state', { temperature: 12 });
  const room = await waitRoom(b, 'device_generic_cellar');
  await join(b, room);

  // The disk goes away: LevelDB itself is closed under the server, so every write fails.
  const level = b.server.hs.db.level;
  await level.close();
  let acked = false;
  const sent = c.publishAsync('sensors/cellar/state', JSON.stringify({ temperature: 13 }),
    { qos: 1 }).then(() => { acked = true; });
  await eventually(async () => b.server.mqtt!.stats.not_handled >= 1, 5000, 'a failed store');
  await eventually(async () => closes >= 1, 5000, 'the connection closed by the broker');
  t.notOk(acked, 'the publish is not acknowledged while its event cannot be stored');

  // The disk comes back: the device's next delivery of the same message is stored and acked.
  await level.open();
  await sent;
  t.ok(acked, 'acknowledged once stored');
  const values = (await readingsIn(b, room))
    .map((e) => Number(e.content['org.switchboard.readings'].temperature.value));
  t.ok(values.includes(13), `the reading is in the room (${values})`);
  t.equal(values.filter((v) => v === 13).length, 1, 'once: the failed attempt left nothing');
  // The room was read again from the disk: the new event follows events that were stored.
  const stored = (await readingsIn(b, room)).find((e) =>
    e.content['org.switchboard.readings'].temperature.value === '13');
  const event = await b.server.hs.events.getEvent(stored.event_id);
  for (const prev of event!.pdu.prev_events) {
    t.ok(await b.server.hs.events.getEvent(prev), `its prev_event ${prev} is on disk`);
  }
  t.equal((await state(b, room, 'm.room.name')).name, 'cellar', 'its state still resolves');
});
