// Authorization rules for m.room.member joins (rule 4.2/4.3 in v6-v11, 5.3 in v12). Rows name
// the rule by its v12 number.
import t from 'tap';

import {
  ALICE, ALL_VERSIONS, BOB, CAROL, RoomBuilder, roomWith, runAuthCases, setLevels, versionsFrom,
  type AuthCase,
} from './builders.js';

const ALL = ALL_VERSIONS;

const onlyCreate = (v: string) => new RoomBuilder(v);
const afterCreate = (r: RoomBuilder, user: string) => ({
  ...r.memberEvent(user, user, 'join'),
  prev_events: [String(r.create.event_id)],
});

const joinCases: AuthCase[] = [
  {
    title: '5.3.1 the creator joins right after the create event',
    versions: ALL,
    room: onlyCreate,
    event: (r) => afterCreate(r, ALICE),
  },
  {
    title: '5.3.1 the creator joins after the create event whose ID the caller did not give',
    versions: versionsFrom(6, 11),
    room: (v) => new RoomBuilder(v, { anonymousCreate: true }),
    event: (r) => ({ ...r.memberEvent(ALICE, ALICE, 'join'), prev_events: ['$unknown'] }),
  },
  {
    title: '5.3.1 only the creator gets the first join for free',
    versions: ALL,
    room: onlyCreate,
    event: (r) => afterCreate(r, BOB),
    reject: /join rule \(none\) does not allow joining/,
  },
  {
    title: '5.3.1 the creator\'s join must follow the create event directly',
    versions: ALL,
    room: onlyCreate,
    event: (r) => ({ ...r.memberEvent(ALICE, ALICE, 'join'), prev_events: ['$other'] }),
    reject: /join rule \(none\) does not allow joining/,
  },
  {
    title: '5.3.1 in v12 the creator is the create sender, not content.creator',
    versions: ['12'],
    room: (v) => new RoomBuilder(v, { createContent: { creator: BOB } }),
    event: (r) => afterCreate(r, BOB),
    reject: /join rule \(none\)/,
  },
  {
    title: '5.3.1 in v11 the creator is the create sender, not content.creator',
    versions: ['11'],
    room: (v) => new RoomBuilder(v, { createContent: { creator: BOB } }),
    event: (r) => afterCreate(r, BOB),
    reject: /join rule \(none\)/,
  },
  {
    title: '5.3.2 nobody joins on behalf of another user',
    versions: ALL,
    room: roomWith('public'),
    event: (r) => r.memberEvent(ALICE, BOB, 'join'),
    reject: /cannot join on behalf of another user/,
  },
  {
    title: '5.3.3 a banned user cannot join a public room',
    versions: ALL,
    room: roomWith('public', (r) => r.member(BOB, 'ban', ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /sender is banned/,
  },
  {
    title: '5.3.4 an invited user joins an invite-only room',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'invite', ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
  },
  {
    title: '5.3.4 a joined user may re-join (e.g. to change profile)',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'join')),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { displayname: 'Bob' }),
  },
  {
    title: '5.3.4 an uninvited user cannot join an invite-only room',
    versions: ALL,
    room: roomWith('invite'),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /join rule is invite and sender is not invited/,
  },
  {
    title: '5.3.4 an invited user joins a knock room',
    versions: versionsFrom(7),
    room: roomWith('knock', (r) => r.member(BOB, 'invite', ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
  },
  {
    title: '5.3.4 an uninvited user cannot join a knock room',
    versions: versionsFrom(7),
    room: roomWith('knock', (r) => r.member(BOB, 'knock')),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /join rule is knock and sender is not invited/,
  },
  {
    title: 'the knock join rule does not exist before v7, even for invited users',
    versions: ['6'],
    room: roomWith('knock', (r) => r.member(BOB, 'invite', ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /auth rule 4\.2\.6: join rule knock does not allow joining/,
  },
  {
    title: '5.3.5.2 a restricted join authorised by a joined user who may invite',
    versions: versionsFrom(8),
    room: roomWith('restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
  },
  {
    title: 'the restricted join rule does not exist before v8',
    versions: ['6', '7'],
    room: roomWith('restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
    reject: /join rule restricted does not allow joining/,
  },
  {
    title: '5.3.5.1 an invited user joins a restricted room without an authoriser',
    versions: versionsFrom(8),
    room: roomWith('restricted', (r) => r.member(BOB, 'invite', ALICE)),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
  },
  {
    title: '5.3.5.2 a restricted join needs an authorising user',
    versions: versionsFrom(8),
    room: roomWith('restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /restricted join needs join_authorised_via_users_server/,
  },
  {
    title: '5.3.5.2 the authorising user must be joined',
    versions: versionsFrom(8),
    room: roomWith('restricted', (r) => r.member(CAROL, 'leave')),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: CAROL }),
    reject: /authorising user is not joined/,
  },
  {
    title: '5.3.5.2 the authorising user must have the invite level',
    versions: versionsFrom(8),
    room: roomWith('restricted', (r) => {
      r.member(CAROL, 'join');
      setLevels(r, { [CAROL]: 10 }, { invite: 20 });
    }),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: CAROL }),
    reject: /authorising user may not invite/,
  },
  {
    title: '5.3.5 knock_restricted allows an authorised join',
    versions: versionsFrom(10),
    room: roomWith('knock_restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
  },
  {
    title: 'the knock_restricted join rule does not exist before v10',
    versions: versionsFrom(6, 9),
    room: roomWith('knock_restricted'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
    reject: /join rule knock_restricted does not allow joining/,
  },
  {
    title: '5.3.6 anyone joins a public room',
    versions: ALL,
    room: roomWith('public'),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
  },
  {
    title: '5.3.7 a private join rule admits nobody new',
    versions: ALL,
    room: roomWith('private'),
    event: (r) => r.memberEvent(BOB, BOB, 'join'),
    reject: /join rule private does not allow joining/,
  },
  {
    title: '5.2.1 an authorised join must be signed by the authoriser\'s server',
    versions: versionsFrom(8),
    room: roomWith('public'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
    options: { isSignedBy: (_event, server) => server === 'elsewhere.example' },
    reject: /not signed by the authorising user's server/,
  },
  {
    title: 'join_authorised_via_users_server is not checked before v8',
    versions: ['6', '7'],
    room: roomWith('public'),
    event: (r) => r.memberEvent(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
    options: { isSignedBy: () => false },
  },
];

t.test('join', async (t) => runAuthCases(t, joinCases));
