import t, { type Test } from 'tap';
import * as sdk from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

// A real client against a real server: two matrix-js-sdk users log in, one creates a room and
// talks, the other joins and follows along through the SDK's own sync loop, reads history
// with /messages, and sees the topic and membership changes.

sdkLogger.setLevel(process.env.SWITCHBOARD_TEST_LOG ? 'debug' : 'silent');

const v3 = (path: string) => `/_matrix/client/v3${path}`;

/**
 * The SDK's AbortSignal.timeout ponyfill (src/http-api/utils.ts, timeoutSignal) never clears
 * its timer, so every /sync leaves a referenced timer of its poll timeout plus 80 s behind,
 * and the test process would idle for almost two minutes after passing. While the clients
 * run, timers that long are unref'd: they still fire if the process is alive, but they no
 * longer keep it alive. Nothing in the server waits that long.
 */
function unrefLongTimers(t: Test): void {
  const original = globalThis.setTimeout;
  const patched = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(handler, ms, ...args);
    if ((ms ?? 0) >= 80_000) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
  t.teardown(() => { globalThis.setTimeout = original; });
}

/** Waits until `check` holds, polling briefly; fails with `what` after the timeout. */
async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function registerUser(server: TestServer, username: string, password: string) {
  const reply = await call(server, 'POST', v3('/register'), {
    body: { username, password, auth: { type: 'm.login.dummy' }, inhibit_login: true },
  });
  if (reply.status !== 200) throw new Error(`register ${username}: ${JSON.stringify(reply)}`);
}

/** Logs in through the SDK and returns a client bound to the new session. */
async function logIn(t: Test, server: TestServer, user: string,
  password: string): Promise<sdk.MatrixClient> {
  const anonymous = sdk.createClient({ baseUrl: server.clientUrl });
  const session = await anonymous.loginRequest({
    type: 'm.login.password', identifier: { type: 'm.id.user', user }, password,
  });
  const client = sdk.createClient({
    baseUrl: server.clientUrl, accessToken: session.access_token,
    userId: session.user_id, deviceId: session.device_id,
  });
  t.teardown(() => client.stopClient());
  return client;
}

/** Starts the sync loop and resolves once the first sync is in. */
async function startSyncing(client: sdk.MatrixClient): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const onSync = (state: sdk.SyncState, _prev: unknown, data?: { error?: Error }) => {
      if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) {
        client.off(sdk.ClientEvent.Sync, onSync);
        resolve();
      } else if (state === sdk.SyncState.Error) {
        client.off(sdk.ClientEvent.Sync, onSync);
        reject(data?.error ?? new Error('sync failed'));
      }
    };
    client.on(sdk.ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20 });
  await ready;
}

t.test('two matrix-js-sdk clients talk through the server', async (t) => {
  unrefLongTimers(t);
  const server = await startTestServer(t);
  await registerUser(server, 'alice', 'alice password');
  await registerUser(server, 'bob', 'bob password');
  await registerUser(server, 'carol', 'carol password');

  const alice = await logIn(t, server, 'alice', 'alice password');
  const bob = await logIn(t, server, 'bob', 'bob password');
  t.equal(alice.getUserId(), '@alice:test.local', 'alice logged in through the SDK');
  t.equal(bob.getUserId(), '@bob:test.local', 'bob logged in through the SDK');

  // Alice creates a public room and talks before anyone else is there.
  const { room_id: roomId } = await alice.createRoom({
    preset: sdk.Preset.PublicChat, name: 'SDK room', topic: 'First topic',
  });
  t.match(roomId, /^!/, 'alice created a room');
  for (const body of ['early one', 'early two', 'early three']) {
    await alice.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body });
  }

  // Bob follows everything the sync loop delivers for the room.
  const seen: sdk.MatrixEvent[] = [];
  bob.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (room?.roomId === roomId && !toStartOfTimeline) seen.push(event);
  });
  await startSyncing(bob);
  t.pass('bob\'s sync loop is running');

  await bob.joinRoom(roomId);
  await until('bob to see himself join', () => bob.getRoom(roomId)?.getMyMembership() === 'join');
  t.equal(bob.getRoom(roomId)?.name, 'SDK room', 'bob\'s client knows the room name');

  // Live messages arrive through /sync, in order.
  const live = ['hello bob', 'are you there?', 'good'];
  for (const body of live) await alice.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body });
  const liveBodies = () => seen.filter((e) => e.getType() === 'm.room.message')
    .map((e) => e.getContent().body as string).filter((b) => live.includes(b));
  await until('the live messages', () => liveBodies().length === live.length);
  t.same(liveBodies(), live, 'bob received the live messages in order through his sync loop');
  const first = seen.find((e) => e.getContent().body === 'hello bob');
  t.equal(first?.getSender(), '@alice:test.local', 'sent by alice');
  t.match(first?.getId(), /^\$/, 'with an event ID');

  // Topic change.
  await alice.setRoomTopic(roomId, 'Second topic');
  const topics = () => seen.filter((e) => e.getType() === 'm.room.topic')
    .map((e) => e.getContent().topic as string);
  await until('the topic change', () => topics().includes('Second topic'));
  t.equal(topics().at(-1), 'Second topic', 'bob saw the topic event in his timeline');
  const topicState = bob.getRoom(roomId)?.currentState
    .getStateEvents('m.room.topic', '')?.getContent().topic;
  t.equal(topicState, 'Second topic', 'and his room state has the new topic');

  // Membership changes: carol joins, then leaves.
  const carol = await logIn(t, server, 'carol', 'carol password');
  await carol.joinRoom(roomId);
  const carolMembership = () => bob.getRoom(roomId)?.getMember('@carol:test.local')?.membership;
  await until('carol to join', () => carolMembership() === 'join');
  t.pass('bob saw carol join');
  await carol.leave(roomId);
  await until('carol to leave', () => carolMembership() === 'leave');
  t.pass('bob saw carol leave');
  const memberships = seen.filter((e) => e.getType() === 'm.room.member'
    && e.getStateKey() === '@carol:test.local').map((e) => e.getContent().membership);
  t.same(memberships, ['join', 'leave'], 'as two membership events in his timeline');

  // History from before bob joined, through /messages.
  const history = await bob.createMessagesRequest(roomId, null, 50, sdk.Direction.Backward);
  const older = history.chunk.filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body as string).reverse();
  t.same(older.slice(0, 3), ['early one', 'early two', 'early three'],
    'bob reads the messages sent before he joined with /messages');
  t.same(older.slice(3), live, 'followed by the live ones');
  t.ok(history.chunk.some((e) => e.type === 'm.room.create'),
    'history reaches back to the room\'s creation');

  // The SDK's own scrollback walks back from its timeline the same way.
  const room = bob.getRoom(roomId)!;
  for (let i = 0; i < 5 && !room.getLiveTimeline().getEvents()
    .some((e) => e.getType() === 'm.room.create'); i++) {
    await bob.scrollback(room, 30);
  }
  const timeline = room.getLiveTimeline().getEvents();
  t.ok(timeline.some((e) => e.getContent().body === 'early one'),
    'scrollback brings the early messages into bob\'s timeline');
  t.ok(timeline.some((e) => e.getType() === 'm.room.create'), 'down to the create event');

  // Stop the sync loops before the server's teardown, so no long-poll holds its close up.
  for (const client of [alice, bob, carol]) client.stopClient();
});
