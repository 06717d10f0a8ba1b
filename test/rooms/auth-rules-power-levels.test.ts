// Authorization rules for m.room.power_levels: rule 10 in v12, rule 9 in v6-v11. Rows name
// the rule by its v12 number; v10/v11 lack 10.4, and v6-v9 also lack 10.1 and 10.2.
import t from 'tap';

import {
  ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, RoomBuilder, roomWith, runAuthCases, standardRoom,
  versionsFrom, type AuthCase,
} from './builders.js';

const ALL = ALL_VERSIONS;
const STRINGY = versionsFrom(6, 9);
const INTEGER_ONLY = versionsFrom(10);

/** In v6-v11 the creator is listed at 100; in v12 creators may not be listed at all. */
function withCreator(r: RoomBuilder, users: Record<string, unknown>): Record<string, unknown> {
  return r.version.privilegedCreators ? users : { [ALICE]: 100, ...users };
}

/**
 * The moderation room: Carol (60) may send power levels (events: 50); Dave sits at 60;
 * ban is 70 and m.room.tombstone needs 100.
 */
const CURRENT = {
  ban: 70,
  events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100 },
  notifications: { room: 70 },
};
const modRoom = roomWith('invite', (r) => {
  r.member(CAROL, 'join');
  r.powerLevels({ ...CURRENT, users: withCreator(r, { [CAROL]: 60, [DAVE]: 60 }) });
});

/** A power levels event from `sender` replacing CURRENT with the given changes. */
function change(sender: string, changes: Record<string, unknown>, users = {}) {
  return (r: RoomBuilder) => r.event({
    type: 'm.room.power_levels',
    sender,
    state_key: '',
    content: {
      ...CURRENT,
      users: withCreator(r, { [CAROL]: 60, [DAVE]: 60, ...users }),
      ...changes,
    },
  });
}

/** The first power levels event of a room, sent by the creator. */
function first(content: (r: RoomBuilder) => Record<string, unknown>) {
  return (r: RoomBuilder) => r.event({
    type: 'm.room.power_levels', sender: ALICE, state_key: '', content: content(r),
  });
}
const noLevels = (v: string) => standardRoom(v).remove('m.room.power_levels');

const shapeCases: AuthCase[] = [
  {
    title: '10.5 the first power levels event may set any levels',
    versions: ALL,
    room: noLevels,
    event: first((r) => ({ ban: 1000, users: withCreator(r, { [BOB]: 9000 }) })),
  },
  {
    title: '10.3 users keys must be valid user IDs',
    versions: ALL,
    room: noLevels,
    event: first(() => ({ users: { bob: 10 } })),
    reject: /users has an invalid user ID bob/,
  },
  {
    title: '10.3 users must be an object',
    versions: ALL,
    room: noLevels,
    event: first(() => ({ users: [BOB] })),
    reject: /users is not an object of integers/,
  },
  {
    title: '10.3 users values may not be fractions',
    versions: ALL,
    room: noLevels,
    event: first(() => ({ users: { [BOB]: 1.5 } })),
    reject: /users is not an object of integers/,
  },
  {
    title: '10.3 users values must be within the canonical JSON integer range',
    versions: ALL,
    room: noLevels,
    event: first(() => ({ users: { [BOB]: 2 ** 53 } })),
    reject: /users is not an object of integers/,
  },
  {
    title: 'stringy integers are accepted before v10',
    versions: STRINGY,
    room: noLevels,
    event: first(() => ({
      ban: ' +050 ', events: { 'm.room.name': '0100' }, users: { [BOB]: '-5' },
    })),
  },
  {
    title: '10.3 stringy users values are refused from v10',
    versions: INTEGER_ONLY,
    room: noLevels,
    event: first(() => ({ users: { [BOB]: '50' } })),
    reject: /auth rule (9|10)\.3: users is not an object of integers/,
  },
  {
    title: '10.1 stringy levels are refused from v10',
    versions: INTEGER_ONLY,
    room: noLevels,
    event: first(() => ({ ban: '50' })),
    reject: /auth rule (9|10)\.1: ban is not an integer/,
  },
  {
    title: '10.2 stringy events values are refused from v10',
    versions: INTEGER_ONLY,
    room: noLevels,
    event: first(() => ({ events: { 'm.room.name': '50' } })),
    reject: /auth rule (9|10)\.2: events is not an object of integers/,
  },
  {
    title: '10.2 notifications must be an object from v10',
    versions: INTEGER_ONLY,
    room: noLevels,
    event: first(() => ({ notifications: 50 })),
    reject: /notifications is not an object of integers/,
  },
  {
    title: 'a non-numeric string level is refused before v10 too',
    versions: STRINGY,
    room: noLevels,
    event: first(() => ({ users: { [BOB]: '5x' } })),
    reject: /auth rule 9\.1: users is not an object of integers/,
  },
  {
    title: '10.4 v12 creators may not be listed in users',
    versions: ['12'],
    room: noLevels,
    event: first(() => ({ users: { [ALICE]: 100 } })),
    reject: /auth rule 10\.4: creator @alice:example.org cannot be in users/,
  },
  {
    title: '10.4 v12 additional creators may not be listed in users',
    versions: ['12'],
    room: (v) => {
      const r = new RoomBuilder(v, { createContent: { additional_creators: [BOB] } });
      return r.member(ALICE, 'join');
    },
    event: first(() => ({ users: { [BOB]: 50 } })),
    reject: /creator @bob:example.org cannot be in users/,
  },
  {
    title: 'before v12 the creator may be listed, and demoted',
    versions: versionsFrom(6, 11),
    event: first(() => ({ users: { [ALICE]: 0 } })),
  },
];

const changeCases: AuthCase[] = [
  {
    title: '10.11 resending the same levels is allowed even above the sender',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, {}),
  },
  {
    title: '10.6 a stringy level equal to the current integer is not a change',
    versions: STRINGY,
    room: modRoom,
    event: change(CAROL, { ban: '70' }),
  },
  {
    title: '10.6.1 a level above the sender cannot be changed',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { ban: 40 }),
    reject: /current ban is above the sender's power level/,
  },
  {
    title: '10.6.1 a level above the sender cannot be removed',
    versions: ALL,
    room: modRoom,
    event: (r) => {
      const event = change(CAROL, {})(r);
      delete event.content.ban;
      return event;
    },
    reject: /current ban is above the sender's power level/,
  },
  {
    title: '10.6.2 a level cannot be set above the sender',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { kick: 61 }),
    reject: /new kick is above the sender's power level/,
  },
  {
    title: '10.6 a level may be set up to the sender\'s own',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { kick: 60, invite: 60, redact: 0 }),
  },
  {
    title: '10.7.1 an events entry above the sender cannot be removed',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { events: { 'm.room.power_levels': 50 } }),
    reject: /current events\.m\.room\.tombstone is above the sender's power level/,
  },
  {
    title: '10.8.1 an events entry cannot be added above the sender',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { events: { ...CURRENT.events, 'm.room.topic': 61 } }),
    reject: /new events\.m\.room\.topic is above the sender's power level/,
  },
  {
    title: '10.7.1 a notifications entry above the sender cannot be changed',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { notifications: { room: 0 } }),
    reject: /current notifications\.room is above the sender's power level/,
  },
  {
    title: '10.8.1 a notifications entry cannot be added above the sender',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, { notifications: { room: 70, 'org.example': 99 } }),
    reject: /new notifications\.org\.example is above/,
  },
  {
    title: '10.9.1 a user at the sender\'s level cannot be demoted',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, {}, { [DAVE]: 0 }),
    reject: /cannot change @dave:remote\.example, whose level is not below the sender's/,
  },
  {
    title: '10.9.1 a user at the sender\'s level cannot be removed',
    versions: ALL,
    room: modRoom,
    event: (r) => {
      const event = change(CAROL, {})(r);
      delete event.content.users[DAVE];
      return event;
    },
    reject: /cannot change @dave:remote\.example/,
  },
  {
    title: '10.9.1 the sender may demote themselves',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, {}, { [CAROL]: 10 }),
  },
  {
    title: '10.10.1 nobody is raised above the sender',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, {}, { [BOB]: 61 }),
    reject: /cannot raise @bob:example\.org above the sender's power level/,
  },
  {
    title: '10.10.1 a user may be raised to the sender\'s level',
    versions: ALL,
    room: modRoom,
    event: change(CAROL, {}, { [BOB]: 60 }),
  },
  {
    title: '8 sending power levels needs its event level',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.event({
      type: 'm.room.power_levels',
      sender: BOB,
      state_key: '',
      content: { users: withCreator(r, {}) },
    }),
    reject: /sending m\.room\.power_levels needs power level 50/,
  },
  {
    title: 'a v12 creator raises a user to any integer level',
    versions: ['12'],
    room: modRoom,
    event: change(ALICE, { ban: 1_000_000 }, { [BOB]: 1_000_000, [DAVE]: 0 }),
  },
  {
    title: 'before v12 the creator at 100 cannot raise a user above 100',
    versions: versionsFrom(6, 11),
    room: modRoom,
    event: change(ALICE, {}, { [BOB]: 101 }),
    reject: /cannot raise @bob:example\.org above/,
  },
];
t.test('power levels content', async (t) => runAuthCases(t, shapeCases));
t.test('power levels changes', async (t) => runAuthCases(t, changeCases));

t.test('rule numbers follow each version\'s own numbering', async (t) => {
  const demote = change(CAROL, {}, { [DAVE]: 0 });
  const expected: Record<string, string> = { 6: '9.6.1', 9: '9.6.1', 10: '9.8.1', 11: '9.8.1' };
  expected['12'] = '10.9.1';
  runAuthCases(t, Object.entries(expected).map(([version, rule]) => ({
    title: `demoting a peer cites rule ${rule}`,
    versions: [version],
    room: modRoom,
    event: demote,
    reject: new RegExp(`^auth rule ${rule.replaceAll('.', '\\.')}: `),
  })));
});
