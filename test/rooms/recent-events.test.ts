import t from 'tap';
import { createUser, startTestServer } from '../helpers/server.js';

t.test('rooms keep a bounded window of recent events that matches the disk', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const { rooms, events } = server.hs;
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { room_id: roomId } = await (await fetch(
      `${server.clientUrl}/_matrix/client/v3/createRoom`, {
      method: 'POST', headers: { authorization: `Bearer ${alice.token}` }, body: '{}',
    })).json() as { room_id: string };
    ids.push(roomId);
  }
  // 20 rooms x 300 events: over both the per-room cap (256) and the total budget (4,096).
  for (let n = 0; n < 300; n++) {
    await Promise.all(ids.map((roomId) => rooms.sendEvent(roomId,
      { type: 'm.room.message', sender: alice.userId, content: { body: `m${n}` } })));
  }
  let total = 0;
  for (const roomId of ids) {
    const room = (await rooms.getRoom(roomId))!;
    total += room.recent.length;
    t.ok(room.recent.length <= 256, 'at most 256 per room');
    const onDisk = await events.timeline(roomId, { from: room.recentFloor });
    t.same(room.recent.map((e) => e.event_id), onDisk.map((r) => r.event_id),
      'every event after the floor is in memory, in order');
  }
  t.ok(total <= 4096, `at most 4,096 in all (${total})`);
});
