import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

t.test('a room keeps slim copies in memory and full, signed ones on disk, also when redacted',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const created = await call(server, 'POST', 'createRoom', { token: alice.token,
      body: { name: 'slim' } });
    const roomId = created.body.room_id as string;
    const topic = await call(server, 'PUT', `rooms/${roomId}/state/m.room.topic/`,
      { token: alice.token, body: { topic: 'secret' } });
    const topicId = topic.body.event_id as string;

    const room = await server.hs.rooms.requireRoom(roomId);
    const inMemory = server.hs.rooms.stateEvent(room, 'm.room.topic')!;
    t.equal(inMemory.event_id, topicId);
    t.equal(inMemory.pdu.signatures, undefined, 'no signatures kept in current state');
    t.equal(inMemory.pdu.auth_events, undefined, 'no auth_events kept in current state');

    const redacted = await call(server, 'PUT',
      `rooms/${roomId}/redact/${encodeURIComponent(topicId)}/r1`, { token: alice.token, body: {} });
    t.equal(redacted.status, 200);
    const stored = await server.hs.events.getEvent(topicId);
    t.same(stored!.pdu.content, {}, 'the stored copy is redacted');
    t.ok(stored!.pdu.signatures['test.local'], 'and keeps its signature');
    t.ok(stored!.pdu.hashes.sha256, 'and its content hash');
    t.ok(stored!.pdu.auth_events.length > 0, 'and its auth events');
    t.same(server.hs.rooms.stateEvent(room, 'm.room.topic')!.pdu.content, {},
      'the copy in memory is redacted too');
    const read = await call(server, 'GET', `rooms/${roomId}/state/m.room.topic/`,
      { token: alice.token });
    t.same(read.body, {}, 'clients read the redacted content');
  });
