// Authorization rules for m.room.member invites, including third-party invites (rule 5.4
// in v12). Rows name the rule by its v12 number.
import t from 'tap';

import {
  ALICE, ALL_VERSIONS, BOB, CAROL, RoomBuilder, roomWith, runAuthCases, setLevels,
  type AuthCase,
} from './builders.js';

const ALL = ALL_VERSIONS;

const inviteRoom = roomWith('invite', (r) => r.member(CAROL, 'join'));

const inviteCases: AuthCase[] = [
  {
    title: '5.4.4 a joined member with the invite level invites',
    versions: ALL,
    event: (r) => r.memberEvent(ALICE, BOB, 'invite'),
  },
  {
    title: '5.4.2 the inviter must be joined',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(CAROL, 'invite', ALICE)),
    event: (r) => r.memberEvent(CAROL, BOB, 'invite'),
    reject: /sender is not joined/,
  },
  {
    title: '5.4.3 a joined user cannot be invited',
    versions: ALL,
    room: inviteRoom,
    event: (r) => r.memberEvent(ALICE, CAROL, 'invite'),
    reject: /invitee's membership is join/,
  },
  {
    title: '5.4.3 a banned user cannot be invited',
    versions: ALL,
    room: roomWith('invite', (r) => r.member(BOB, 'ban', ALICE)),
    event: (r) => r.memberEvent(ALICE, BOB, 'invite'),
    reject: /invitee's membership is ban/,
  },
  {
    title: '5.4.5 an inviter below the invite level is refused',
    versions: ALL,
    room: roomWith('invite', (r) => {
      r.member(CAROL, 'join');
      setLevels(r, {}, { invite: 50 });
    }),
    event: (r) => r.memberEvent(CAROL, BOB, 'invite'),
    reject: /sender does not have the invite power level/,
  },
  {
    title: '5.4.4 the default invite level is 0',
    versions: ALL,
    room: inviteRoom,
    event: (r) => r.memberEvent(CAROL, BOB, 'invite'),
  },
];

/** A room with a pending third-party invite sent by Alice under token "tok". */
const thirdPartyRoom = (setup: (r: RoomBuilder) => void = () => {}) => roomWith('invite', (r) => {
  r.put(r.event({
    type: 'm.room.third_party_invite',
    state_key: 'tok',
    sender: ALICE,
    content: {
      display_name: 'b...@example.com',
      public_key: 'KEY_ONE',
      public_keys: [{ public_key: 'KEY_TWO', key_validity_url: 'https://id.example/valid' }],
    },
  }));
  setup(r);
});
const signed = { mxid: BOB, token: 'tok', signatures: { 'id.example': { 'ed25519:0': 'sig' } } };
const thirdPartyInvite = (r: RoomBuilder, invite: unknown, sender = ALICE) =>
  r.memberEvent(sender, BOB, 'invite', { third_party_invite: invite });
const acceptsKeyTwo = { verifyThirdPartyInvite: (_s: unknown, key: string) => key === 'KEY_TWO' };

const thirdPartyCases: AuthCase[] = [
  {
    title: '5.4.1.7 a third-party invite whose signature matches a key in public_keys',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { display_name: 'Bob', signed }),
    options: acceptsKeyTwo,
  },
  {
    title: '5.4.1.7 the single public_key is also tried',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { display_name: 'Bob', signed }),
    options: { verifyThirdPartyInvite: (_s, key) => key === 'KEY_ONE' },
  },
  {
    title: '5.4.1.8 a third-party invite whose signature matches no key',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { display_name: 'Bob', signed }),
    options: { verifyThirdPartyInvite: () => false },
    reject: /no signature in signed matches/,
  },
  {
    title: '5.4.1.8 a third-party invite cannot be allowed without a signature verifier',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { display_name: 'Bob', signed }),
    reject: /no signature in signed matches/,
  },
  {
    title: '5.4.1.1 a banned user cannot be invited by third party',
    versions: ALL,
    room: thirdPartyRoom((r) => r.member(BOB, 'ban', ALICE)),
    event: (r) => thirdPartyInvite(r, { signed }),
    options: acceptsKeyTwo,
    reject: /invitee is banned/,
  },
  {
    title: '5.4.1.2 third_party_invite needs a signed object',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { display_name: 'Bob' }),
    options: acceptsKeyTwo,
    reject: /no signed object/,
  },
  {
    title: '5.4.1.3 signed needs a token',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { signed: { ...signed, token: undefined } }),
    options: acceptsKeyTwo,
    reject: /needs mxid and token/,
  },
  {
    title: '5.4.1.4 signed.mxid must be the invitee',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { signed: { ...signed, mxid: CAROL } }),
    options: acceptsKeyTwo,
    reject: /signed mxid does not match state_key/,
  },
  {
    title: '5.4.1.5 the token must name a third-party invite in the room state',
    versions: ALL,
    room: thirdPartyRoom(),
    event: (r) => thirdPartyInvite(r, { signed: { ...signed, token: 'other' } }),
    options: acceptsKeyTwo,
    reject: /no m\.room\.third_party_invite for this token/,
  },
  {
    title: '5.4.1.6 only the sender of the third-party invite may complete it',
    versions: ALL,
    room: thirdPartyRoom((r) => r.member(CAROL, 'join')),
    event: (r) => thirdPartyInvite(r, { signed }, CAROL),
    options: acceptsKeyTwo,
    reject: /sender did not send the third-party invite/,
  },
];

t.test('invite', async (t) => runAuthCases(t, inviteCases));
t.test('third-party invite', async (t) => runAuthCases(t, thirdPartyCases));
