// Authorization rules for m.room.member leave, ban and knock, and the membership-wide rules
// 5.1 and 5.8 (rule 4.x in v6-v11). Rows name the rule by its v12 number.
import t from 'tap';

import {
  ALICE, ALL_VERSIONS, BOB, CAROL, roomWith, runAuthCases, setLevels, versionsFrom,
  type AuthCase,
} from './builders.js';

const ALL = ALL_VERSIONS;
const withBob = (membership: string, sender = BOB) =>
  roomWith('invite', (r) => r.member(BOB, membership, sender));

const leaveCases: AuthCase[] = [
  {
    title: '5.5.1 a joined user leaves',
    versions: ALL,
    room: withBob('join'),
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
  },
  {
    title: '5.5.1 an invited user rejects the invite',
    versions: ALL,
    room: withBob('invite', ALICE),
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
  },
  {
    title: '5.5.1 a knocking user withdraws the knock',
    versions: versionsFrom(7),
    room: withBob('knock'),
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
  },
  {
    title: '5.5.1 knock is not a membership one can leave before v7',
    versions: ['6'],
    room: withBob('knock'),
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
    reject: /auth rule 4\.4\.1: cannot leave with membership knock/,
  },
  {
    title: '5.5.1 a banned user cannot lift their own ban',
    versions: ALL,
    room: withBob('ban', ALICE),
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
    reject: /cannot leave with membership ban/,
  },
  {
    title: '5.5.1 a stranger has nothing to leave',
    versions: ALL,
    event: (r) => r.memberEvent(BOB, BOB, 'leave'),
    reject: /cannot leave with membership \(none\)/,
  },
  {
    title: '5.5.4 a moderator kicks a member',
    versions: ALL,
    room: withBob('join'),
    event: (r) => r.memberEvent(ALICE, BOB, 'leave'),
  },
  {
    title: '5.5.2 the kicker must be joined',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      r.member(CAROL, 'leave');
      setLevels(r, { [CAROL]: 100 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'leave'),
    reject: /sender is not joined/,
  },
  {
    title: '5.5.3 unbanning needs the ban level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'ban', ALICE);
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 60 }, { ban: 70 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'leave'),
    reject: /ban power level needed to unban/,
  },
  {
    title: '5.5.4 a user with the kick and ban levels unbans',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'ban', ALICE);
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 60 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'leave'),
  },
  {
    title: '5.5.5 kicking needs the kick level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 40 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'leave'),
    reject: /sender does not have the kick power level/,
  },
  {
    title: '5.5.5 nobody kicks a user of equal power level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 60, [BOB]: 60 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'leave'),
    reject: /target's power level is not below the sender's/,
  },
];

const banCases: AuthCase[] = [
  {
    title: '5.6.2 a moderator bans a member',
    versions: ALL,
    room: withBob('join'),
    event: (r) => r.memberEvent(ALICE, BOB, 'ban'),
  },
  {
    title: '5.6.2 a user not in the room can be banned pre-emptively',
    versions: ALL,
    event: (r) => r.memberEvent(ALICE, BOB, 'ban'),
  },
  {
    title: '5.6.1 the banner must be joined',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(CAROL, 'invite', ALICE);
      setLevels(r, { [CAROL]: 100 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'ban'),
    reject: /sender is not joined/,
  },
  {
    title: '5.6.3 banning needs the ban level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 49 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'ban'),
    reject: /sender does not have the ban power level/,
  },
  {
    title: '5.6.3 nobody bans a user of higher power level',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 60, [BOB]: 70 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'ban'),
    reject: /target's power level is not below the sender's/,
  },
  {
    title: 'before v12 a creator missing from users has users_default and can be banned',
    versions: versionsFrom(6, 11),
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      r.powerLevels({ users: { [BOB]: 100 } });
    }),
    event: (r) => r.memberEvent(BOB, ALICE, 'ban'),
  },
  {
    title: 'v12 creators outrank power level 100 and cannot be banned',
    versions: ['12'],
    room: roomWith('invite', (r) => {
      r.member(BOB, 'join');
      r.powerLevels({ users: { [BOB]: 100 } });
    }),
    event: (r) => r.memberEvent(BOB, ALICE, 'ban'),
    reject: /auth rule 5\.6\.3: target's power level is not below/,
  },
  {
    title: 'v12 additional creators also outrank power level 100',
    versions: ['12'],
    room: (v) => {
      const r = roomWith('invite', (r) => r.member(BOB, 'join'))(v);
      r.create.content.additional_creators = [CAROL];
      r.member(CAROL, 'join').powerLevels({ users: { [BOB]: 100 } });
      return r;
    },
    event: (r) => r.memberEvent(CAROL, BOB, 'ban'),
  },
];

const knockCases: AuthCase[] = [
  {
    title: '5.7.3 a stranger knocks on a knock room',
    versions: versionsFrom(7),
    room: roomWith('knock'),
    event: (r) => r.memberEvent(BOB, BOB, 'knock', { reason: 'let me in' }),
  },
  {
    title: '5.7.3 a user who left knocks again',
    versions: versionsFrom(7),
    room: roomWith('knock', (r) => r.member(BOB, 'leave')),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
  },
  {
    title: 'knock is an unknown membership before v7',
    versions: ['6'],
    room: roomWith('knock'),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
    reject: /auth rule 4\.6: unknown membership "knock"/,
  },
  {
    title: '5.7.1 knocking needs the knock join rule',
    versions: versionsFrom(7),
    room: roomWith('invite'),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
    reject: /join rule invite does not allow knocking/,
  },
  {
    title: '5.7.1 knock_restricted allows knocking from v10',
    versions: versionsFrom(10),
    room: roomWith('knock_restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
  },
  {
    title: '5.7.1 knock_restricted does not allow knocking before v10',
    versions: versionsFrom(7, 9),
    room: roomWith('knock_restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
    reject: /join rule knock_restricted does not allow knocking/,
  },
  {
    title: '5.7.2 nobody knocks on behalf of another user',
    versions: versionsFrom(7),
    room: roomWith('knock'),
    event: (r) => r.memberEvent(ALICE, BOB, 'knock'),
    reject: /cannot knock on behalf of another user/,
  },
  ...['ban', 'invite', 'join'].map((membership): AuthCase => ({
    title: `5.7.4 a user whose membership is ${membership} cannot knock`,
    versions: versionsFrom(7),
    room: roomWith('knock', (r) => r.member(BOB, membership, ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'knock'),
    reject: new RegExp(`cannot knock with membership ${membership}`),
  })),
];

const shapeCases: AuthCase[] = [
  {
    title: '5.1 a member event needs content.membership',
    versions: ALL,
    event: (r) => r.event({ type: 'm.room.member', sender: BOB, state_key: BOB, content: {} }),
    reject: /needs a state_key and content\.membership/,
  },
  {
    title: '5.1 a member event needs a state_key',
    versions: ALL,
    event: (r) => r.event({ type: 'm.room.member', sender: BOB, content: { membership: 'join' } }),
    reject: /needs a state_key and content\.membership/,
  },
  {
    title: '5.8 an unknown membership is rejected',
    versions: ALL,
    event: (r) => r.memberEvent(ALICE, BOB, 'friend'),
    reject: /unknown membership "friend"/,
  },
];

t.test('leave and kick', async (t) => runAuthCases(t, leaveCases));
t.test('ban', async (t) => runAuthCases(t, banCases));
t.test('knock', async (t) => runAuthCases(t, knockCases));
t.test('member event shape', async (t) => runAuthCases(t, shapeCases));
