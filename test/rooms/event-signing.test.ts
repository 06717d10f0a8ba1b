import t from 'tap';
import { nobleEd25519 } from '../../src/crypto/ed25519-noble.js';
import { verifyJsonSignature } from '../../src/crypto/json-signing.js';
import { redactedView } from '../../src/rooms/redaction.js';
import { getRoomVersion } from '../../src/rooms/room-versions.js';
import { Database } from '../../src/storage/level/database.js';
import type { StoredEvent } from '../../src/storage/level/events.js';
import { call, createUser, startTestServer, type TestUser } from '../helpers/server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

async function sendMany(server: Server, user: TestUser, roomId: string, count: number):
  Promise<string[]> {
  const sent = await Promise.all(Array.from({ length: count }, (_, i) =>
    call(server, 'PUT', `rooms/${encodeURIComponent(roomId)}/send/m.room.message/s${i}`,
      { token: user.token, body: { msgtype: 'm.text', body: `message ${i}` } })));
  return sent.map((r) => r.body.event_id as string);
}

/** Whether the stored event carries this server's signature over its redacted form. */
function signedByServer(server: Server, event: StoredEvent): boolean {
  const version = getRoomVersion('10')!;
  const { identity } = server.hs;
  return verifyJsonSignature(redactedView(event.pdu, version), identity.serverName,
    identity.key.keyId, identity.key.publicKey, nobleEd25519);
}

for (const worker of [false, true]) {
  t.test(`every stored event gets its signature in the background, and it verifies (signing ` +
    `worker ${worker ? 'allowed' : 'off'})`, async (t) => {
    const server = await startTestServer(t, { rooms: { signing_worker: worker } });
    const alice = await createUser(server, 'alice');
    const room = await call(server, 'POST', 'createRoom', { token: alice.token, body: {} });
    const roomId = room.body.room_id as string;
    // Over a thousand at once: past the rate (500 a second) at which a worker is started.
    const ids = await sendMany(server, alice, roomId, 1200);
    await server.hs.rooms.signing.drain();
    const stored = await server.hs.events.getEvents(ids);
    const bad = stored.filter((e) => !e || !signedByServer(server, e)).length;
    t.equal(bad, 0, `all ${ids.length} stored events carry a valid signature (checked with ` +
      '@noble)');
    const { workerStarts } = server.hs.signer.stats;
    if (worker) t.ok(workerStarts >= 1, 'rooms.signing_worker started the worker');
    else t.equal(workerStarts, 0, 'without rooms.signing_worker, no worker ever started');
  });
}

t.test('signatures lost in a crash are made again at the next start, the same bytes',
  async (t) => {
    const server = await startTestServer(t, {});
    const alice = await createUser(server, 'alice');
    const room = await call(server, 'POST', 'createRoom', { token: alice.token, body: {} });
    const roomId = room.body.room_id as string;
    const ids = await sendMany(server, alice, roomId, 20);
    await server.hs.rooms.signing.drain();
    const before = (await server.hs.events.getEvents(ids)).map((e) => e!.pdu.signatures);
    const dir = server.dataDir;
    await server.close();

    // What a crash between an event's write and its signature's would leave: the events
    // without signatures, no signature records, and the mark before them.
    const db = await Database.open(`${dir}/db`);
    for (const id of ids) {
      const event = (await db.get<StoredEvent>(`ev:${id}`))!;
      event.pdu.signatures = {};
      await db.write([{ type: 'put', key: `ev:${id}`, value: event },
        { type: 'del', key: `sig:${id}` }]);
    }
    await db.write([{ type: 'put', key: 'meta:signed', value: 0 }]);
    await db.close();

    const again = await startTestServer(t, {}, dir);
    const after = await again.hs.events.getEvents(ids);
    t.same(after.map((e) => e!.pdu.signatures), before, 'the same signatures, made again');
    t.ok(after.every((e) => signedByServer(again, e!)), 'and they verify');
    t.equal(await again.hs.db.get('meta:signed'), again.hs.stream.durable,
      'the mark is at the end of the stream');
    await again.close();
  });
