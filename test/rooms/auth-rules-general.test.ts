// Authorization rules outside membership and power levels: create events (rule 1), the room
// and auth event checks (rules 2-4), and rules 6-9 and 11 (v12 numbering; v6-v11 number
// every rule after 1 one lower).
import t from 'tap';

import { checkEventAuth } from '../../src/rooms/auth-rules.js';
import {
  ALICE, ALL_VERSIONS, BOB, DAVE, RoomBuilder, roomWith, runAuthCases, setLevels,
  standardRoom, versionsFrom, type AuthCase,
} from './builders.js';

const ALL = ALL_VERSIONS;
const createOf = (r: RoomBuilder, content: Record<string, unknown> = {}) => ({
  ...r.create,
  content: { ...r.create.content, ...content },
});

const createCases: AuthCase[] = [
  {
    title: '1 a well-formed create event',
    versions: ALL,
    event: (r) => r.create,
  },
  {
    title: '1.1 a create event has no prev_events',
    versions: ALL,
    event: (r) => ({ ...r.create, prev_events: ['$earlier'] }),
    reject: /auth rule 1\.1: create event has prev_events/,
  },
  {
    title: '1.2 the room ID must be on the sender\'s server',
    versions: versionsFrom(6, 11),
    event: (r) => ({ ...r.create, room_id: '!room:elsewhere.example' }),
    reject: /auth rule 1\.2: room ID and sender are on different servers/,
  },
  {
    title: '1.2 a v12 create event must not have a room_id',
    versions: ['12'],
    event: (r) => ({ ...r.create, room_id: r.roomId }),
    reject: /auth rule 1\.2: create event must not have a room_id/,
  },
  {
    title: '1.3 room_version must be a recognised version',
    versions: ALL,
    event: (r) => createOf(r, { room_version: '99' }),
    reject: /auth rule 1\.3: unrecognised room version "99"/,
  },
  {
    title: '1.3 room_version must be a string',
    versions: ALL,
    event: (r) => createOf(r, { room_version: 6 }),
    reject: /auth rule 1\.3/,
  },
  {
    title: '1.3 room_version may be absent',
    versions: ALL,
    event: (r) => ({ ...r.create, content: { creator: ALICE } }),
  },
  {
    title: '1.4 content.creator is required before v11',
    versions: versionsFrom(6, 10),
    event: (r) => ({ ...r.create, content: { room_version: r.version.id } }),
    reject: /auth rule 1\.4: create event has no creator/,
  },
  {
    title: 'content.creator is not required from v11',
    versions: versionsFrom(11),
    event: (r) => ({ ...r.create, content: { room_version: r.version.id } }),
  },
  {
    title: '1.4 additional_creators lists valid user IDs',
    versions: ['12'],
    event: (r) => createOf(r, { additional_creators: [BOB, DAVE] }),
  },
  ...[['not an array', BOB], ['a non-string', [BOB, 7]], ['an invalid user ID', ['bob']],
    ['an ID without a server', ['@bob']], ['a bad server name', ['@bob:exa mple.org']]]
    .map(([what, value]): AuthCase => ({
      title: `1.4 additional_creators may not be ${String(what)}`,
      versions: ['12'],
      event: (r) => createOf(r, { additional_creators: value }),
      reject: /auth rule 1\.4: additional_creators must be an array of valid user IDs/,
    })),
  {
    title: 'additional_creators is not validated before v12',
    versions: versionsFrom(6, 11),
    event: (r) => createOf(r, { additional_creators: 'nonsense' }),
  },
];

const roomCases: AuthCase[] = [
  {
    title: '2 a v12 room ID must be the create event ID with the ! sigil',
    versions: ['12'],
    event: (r) => r.event({ type: 'm.room.message', sender: ALICE, room_id: '!other' }),
    reject: /auth rule 2: room ID does not match the create event/,
  },
  {
    title: '2 a v12 room ID has no server name',
    versions: ['12'],
    event: (r) => r.event({ type: 'm.room.message', sender: ALICE, room_id: '!x:example.org' }),
    reject: /auth rule 2: room ID is not derived from a create event/,
  },
  {
    title: '2 a v12 room\'s create event must be known',
    versions: ['12'],
    room: (v) => standardRoom(v).remove('m.room.create'),
    event: (r) => r.event({ type: 'm.room.message', sender: ALICE }),
    reject: /auth rule 2: the room's create event is unknown/,
  },
  {
    title: '3.4 the create event must be among the auth events',
    versions: versionsFrom(6, 11),
    room: (v) => standardRoom(v).remove('m.room.create'),
    event: (r) => r.event({ type: 'm.room.message', sender: ALICE }),
    reject: /auth rule 2\.4: no m\.room\.create event among the auth events/,
  },
  {
    title: '3.5 an auth event from another room is rejected',
    versions: ALL,
    room: roomWith('invite', (r) => r.put({ ...r.memberEvent(BOB, BOB, 'join'), room_id: '!x:y' })),
    event: (r) => r.event({ type: 'm.room.message', sender: BOB }),
    reject: /auth event m\.room\.member belongs to another room/,
  },
  {
    title: '4 a room with m.federate false refuses other servers',
    versions: ALL,
    room: (v) => {
      const r = standardRoom(v, 'public', { createContent: { 'm.federate': false } });
      return r.member(DAVE, 'join');
    },
    event: (r) => r.event({ type: 'm.room.message', sender: DAVE }),
    reject: /does not federate with the sender's server/,
  },
  {
    title: '4 a room with m.federate false accepts its own server',
    versions: ALL,
    room: (v) => standardRoom(v, 'public', { createContent: { 'm.federate': false } }),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
  },
  {
    title: '6 the sender must be joined',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'invite', ALICE)),
    event: (r) => r.event({ type: 'm.room.message', sender: BOB, content: { body: 'hi' } }),
    reject: /sender is not joined to the room/,
  },
  {
    title: '7.1 m.room.third_party_invite needs the invite level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      setLevels(r, {}, { invite: 10, events: { 'm.room.third_party_invite': 0 } });
    }),
    event: (r) => r.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok' }),
    reject: /sender does not have the invite power level/,
  },
  {
    title: '7.1 m.room.third_party_invite is allowed at the invite level, whatever state_default',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok' }),
  },
  {
    title: '8 state events need state_default (50) by default',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.event({ type: 'm.room.name', sender: BOB, state_key: '', content: {} }),
    reject: /sending m\.room\.name needs power level 50/,
  },
  {
    title: '8 with no power levels event any member may send state',
    versions: ALL,
    room: (v) => standardRoom(v).remove('m.room.power_levels').member(BOB, 'join'),
    event: (r) => r.event({ type: 'm.room.name', sender: BOB, state_key: '', content: {} }),
  },
  {
    title: '8 events overrides events_default',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      setLevels(r, {}, { events: { 'm.room.message': 10 } });
    }),
    event: (r) => r.event({ type: 'm.room.message', sender: BOB }),
    reject: /sending m\.room\.message needs power level 10/,
  },
  {
    title: '8 a redaction needs only its event level, not the redact level',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.event({
      type: 'm.room.redaction',
      sender: BOB,
      ...(r.version.redactsInContent
        ? { content: { redacts: '$alice-message' } }
        : { redacts: '$alice-message' }),
    }),
  },
  {
    title: '9 a state_key starting with @ must be the sender\'s',
    versions: ALL,
    event: (r) => r.event({ type: 'com.example.status', sender: ALICE, state_key: BOB }),
    reject: /state_key starting with @ must be the sender/,
  },
  {
    title: '9 a user may send state under their own user ID',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      setLevels(r, {}, { events: { 'com.example.status': 0 } });
    }),
    event: (r) => r.event({ type: 'com.example.status', sender: BOB, state_key: BOB }),
  },
  {
    title: '11 a joined member sends a message',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.event({ type: 'm.room.message', sender: BOB, content: { body: 'hi' } }),
  },
];

t.test('create events', async (t) => runAuthCases(t, createCases));
t.test('room-level rules', async (t) => runAuthCases(t, roomCases));

t.test('a v12 create event ID given by the caller overrides the event_id field', async (t) => {
  const room = standardRoom('12', 'invite', { anonymousCreate: true });
  const message = room.event({ type: 'm.room.message', sender: ALICE });
  t.doesNotThrow(() => checkEventAuth(message, room.lookup, room.version, {
    createEventId: `$${room.roomId.slice(1)}`,
  }));
  t.throws(
    () => checkEventAuth(message, room.lookup, room.version, { createEventId: '$different' }),
    /room ID does not match the create event/,
  );
});
