import t from 'tap';
import { device, join, publish, readingsIn, startBridgeServer, waitRoom } from './helpers.js';

t.test('a Shelly input pushed twice the same way is two events; button down/up are none',
  async (t) => {
    const b = await startBridgeServer(t);
    const shelly = await device(t, b.url);
    const id = 'shellyplusi4-c4d8d5512345';
    const push = (ts: number, events: Array<{ component: string; event: string }>) =>
      publish(shelly, `${id}/events/rpc`, { src: id, dst: `${id}/events`, method: 'NotifyEvent',
        params: { ts, events: events.map((e) => ({ ...e, id: Number(e.component.slice(6)),
          ts })) } });
    await publish(shelly, `${id}/online`, 'true', { retain: true });
    const room = await waitRoom(b, `device_shelly-gen2_${id}`);
    await join(b, room);
    // What one short press on input 0 sends: down, up, then the push itself.
    await push(1, [{ component: 'input:0', event: 'btn_down' }]);
    await push(2, [{ component: 'input:0', event: 'btn_up' }]);
    await push(3, [{ component: 'input:0', event: 'single_push' }]);
    await push(4, [{ component: 'input:0', event: 'btn_down' }]);
    await push(5, [{ component: 'input:0', event: 'btn_up' }]);
    await push(6, [{ component: 'input:0', event: 'single_push' }]);
    const events = (await readingsIn(b, room))
      .map((e) => e.content['org.switchboard.readings']?.input_0_event?.value);
    t.same(events, ['single_push', 'single_push'], 'each press once, both of them');
  });

t.test('a Home Assistant event entity rung twice the same way is two events', async (t) => {
  const b = await startBridgeServer(t);
  const esp = await device(t, b.url);
  await publish(esp, 'homeassistant/event/hallway/doorbell/config', { name: 'Doorbell',
    uniq_id: 'ESPeventdoorbell', stat_t: 'hallway/event/doorbell/state',
    evt_typ: ['press'], dev: { ids: 'hallway02', name: 'hallway' } }, { retain: true });
  const room = await waitRoom(b, 'device_homeassistant_hallway02');
  await join(b, room);
  await publish(esp, 'hallway/event/doorbell/state', { event_type: 'press' });
  await publish(esp, 'hallway/event/doorbell/state', { event_type: 'press' });
  const events = (await readingsIn(b, room))
    .map((e) => e.content['org.switchboard.readings']?.doorbell?.value);
  t.same(events, ['press', 'press'], 'both rings arrive');
});
