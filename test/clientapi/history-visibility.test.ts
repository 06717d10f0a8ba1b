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
    { token: carol.token })).status, 404, 'nor single events (unknown to her, as the spec has it)');
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

t.test('joined and invited history visibility hide what came before', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  const created = await call(server, 'POST', 'createRoom', { token: alice.token, body: {
    preset: 'private_chat',
    initial_state: [{ type: 'm.room.history_visibility', state_key: '',
      content: { history_visibility: 'joined' } }],
  } });
  const roomId = created.body.room_id as string;
  const room = encodeURIComponent(roomId);
  let txn = 0;
  const say = async (body: string) => (await call(server, 'PUT',
    `rooms/${room}/send/m.room.message/${++txn}`,
    { token: alice.token, body: { msgtype: 'm.text', body } })).body.event_id as string;
  const setVisibility = (value: string) => call(server, 'PUT',
    `rooms/${room}/state/m.room.history_visibility/`,
    { token: alice.token, body: { history_visibility: value } });
  const join = async (user: { token: string; userId: string }) => {
    await call(server, 'POST', `rooms/${room}/invite`,
      { token: alice.token, body: { user_id: user.userId } });
    await say(`while ${user.userId} is invited`);
    await call(server, 'POST', `rooms/${room}/join`, { token: user.token, body: {} });
  };
  const read = async (token: string) => bodies((await call(server, 'GET',
    `rooms/${room}/messages?dir=f&limit=100`, { token })).body.chunk);

  const early = await say('before bob');
  await join(bob);
  await say('with bob');
  t.same(await read(bob.token), ['with bob'], 'joined: bob reads from his join on');
  t.equal((await call(server, 'GET', `rooms/${room}/event/${early}`, { token: bob.token }))
    .status, 404, 'an event from before his join is not found');
  t.equal((await call(server, 'GET', `rooms/${room}/context/${early}`, { token: bob.token }))
    .status, 404, 'nor its context');
  const sync = await call(server, 'GET', 'sync', { token: bob.token });
  t.same(bodies(sync.body.rooms.join[roomId].timeline.events), ['with bob'],
    'his initial /sync leaves out the earlier messages');
  const types = sync.body.rooms.join[roomId].timeline.events
    .map((e: { type: string; state_key?: string }) => `${e.type}/${e.state_key ?? ''}`);
  t.ok(types.includes(`m.room.member/${bob.userId}`), 'and shows his own join');

  await setVisibility('invited');
  await join(carol);
  await say('with carol');
  t.same(await read(carol.token), [`while ${carol.userId} is invited`, 'with carol'],
    'invited: carol reads from her invite on');
  t.same(await read(bob.token), ['with bob', `while ${carol.userId} is invited`, 'with carol'],
    'bob, joined throughout, reads all of it');

  await setVisibility('shared');
  await say('shared again');
  const aliceAll = await read(alice.token);
  t.equal(aliceAll.length, 6, 'alice, joined from the start, reads everything');
  // Changing the setting does not reopen history sent under the stricter one.
  t.same(await read(carol.token), [`while ${carol.userId} is invited`, 'with carol',
    'shared again'], 'carol still does not read what came before her invite');
});

t.test('paging back through a long hidden history ends each page early', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const created = await call(server, 'POST', 'createRoom', { token: alice.token, body: {
    preset: 'public_chat',
    initial_state: [{ type: 'm.room.history_visibility', state_key: '',
      content: { history_visibility: 'joined' } }],
  } });
  const room = encodeURIComponent(created.body.room_id as string);
  // More than one page may read (2,000 events), all from before bob joins.
  let next = 0;
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < 2100) {
      const n = next++;
      await call(server, 'PUT', `rooms/${room}/send/m.room.message/h${n}`,
        { token: alice.token, body: { msgtype: 'm.text', body: `hidden ${n}` } });
    }
  }));
  await call(server, 'POST', `rooms/${room}/join`, { token: bob.token, body: {} });
  await call(server, 'PUT', `rooms/${room}/send/m.room.message/seen`,
    { token: alice.token, body: { msgtype: 'm.text', body: 'seen' } });

  const seen: string[] = [];
  let from: string | undefined;
  let pages = 0;
  for (;;) {
    const res = await call(server, 'GET', `rooms/${room}/messages?dir=b&limit=10` +
      (from ? `&from=${from}` : ''), { token: bob.token });
    t.equal(res.status, 200);
    pages++;
    seen.push(...bodies(res.body.chunk));
    if (!res.body.end) break;
    from = res.body.end;
  }
  t.same(seen, ['seen'], 'nothing from before his join');
  t.ok(pages >= 2, `the walk took ${pages} pages, each with a token to go on`);
});
