import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

const bodies = (events: Array<{ content?: { body?: string } }>) =>
  events.map((e) => e.content?.body).filter((b) => b !== undefined);

t.test('history is readable only by users who joined, up to when they left', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  const created = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { preset: 'private_chat' } });
  const room = encodeURIComponent(created.body.room_id as string);
  let txn = 0;
  const say = (body: string) => call(server, 'PUT', `rooms/${room}/send/m.room.message/${++txn}`,
    { token: alice.token, body: { msgtype: 'm.text', body } });
  const invite = (userId: string) => call(server, 'POST', `rooms/${room}/invite`,
    { token: alice.token, body: { user_id: userId } });
  const messages = (token: string) =>
    call(server, 'GET', `rooms/${room}/messages?dir=b&limit=50`, { token });

  const secret = await say('before anyone else came');
  // Carol is invited and rejects: she never joined, so nothing of the room is hers to read.
  await invite(carol.userId);
  t.equal((await call(server, 'POST', `rooms/${room}/leave`, { token: carol.token, body: {} }))
    .status, 200);
  const carolReads = await messages(carol.token);
  t.equal(carolReads.status, 403, 'a rejected invite reads no history');
  t.equal(carolReads.body.errcode, 'M_FORBIDDEN');
  t.equal((await call(server, 'GET', `rooms/${room}/event/${secret.body.event_id}`,
    { token: carol.token })).status, 403, 'nor single events');
  t.equal((await call(server, 'GET', `rooms/${room}/context/${secret.body.event_id}`,
    { token: carol.token })).status, 403, 'nor their context');
  const carolSync = await call(server, 'GET',
    `sync?filter=${encodeURIComponent(JSON.stringify({ room: { include_leave: true } }))}`,
    { token: carol.token });
  t.equal(carolSync.status, 200);
  const carolLeft = carolSync.body.rooms.leave[created.body.room_id];
  t.ok(carolLeft, 'the room is in her leave section');
  t.same(carolLeft.timeline.events, [], 'with an empty timeline');

  // Bob joins, reads, leaves; then is invited again and rejects that invite.
  await invite(bob.userId);
  await call(server, 'POST', `rooms/${room}/join`, { token: bob.token, body: {} });
  await say('while bob is here');
  await call(server, 'POST', `rooms/${room}/leave`, { token: bob.token, body: {} });
  await say('after bob left');
  await invite(bob.userId);
  await say('while bob is invited again');
  await call(server, 'POST', `rooms/${room}/leave`, { token: bob.token, body: {} });
  await say('after bob rejected');

  const bobReads = await messages(bob.token);
  t.equal(bobReads.status, 200);
  t.same(bodies(bobReads.body.chunk).reverse(), ['before anyone else came', 'while bob is here'],
    'bob reads up to his leave, not what came while he was only invited');
  const bobSync = await call(server, 'GET',
    `sync?filter=${encodeURIComponent(JSON.stringify({ room: { include_leave: true } }))}`,
    { token: bob.token });
  const bobLeft = bobSync.body.rooms.leave[created.body.room_id];
  t.same(bodies(bobLeft.timeline.events), ['before anyone else came', 'while bob is here'],
    'his leave section ends at his leave too');

  // The server goes on answering the members.
  const aliceReads = await messages(alice.token);
  t.equal(bodies(aliceReads.body.chunk).length, 5, 'alice reads everything');
});
