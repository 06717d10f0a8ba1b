// Auth events selection (server-server API) and the auth rules' checks on the auth_events
// list (rule 2 in v6-v11, rule 3 in v12).
import t from 'tap';

import { authEventKeys, checkAuthEventSelection } from '../../src/rooms/auth-events.js';
import { AuthError } from '../../src/rooms/auth-rules.js';
import type { PDU } from '../../src/rooms/event.js';
import { ALICE, BOB, CAROL, roomVersion, standardRoom } from './builders.js';

type Key = [string, string];
const CREATE: Key = ['m.room.create', ''];
const PL: Key = ['m.room.power_levels', ''];
const JR: Key = ['m.room.join_rules', ''];
const member = (user: string): Key => ['m.room.member', user];

interface Row {
  title: string;
  versions: string[];
  event: Pick<PDU, 'type' | 'sender' | 'state_key' | 'content'>;
  keys: Key[];
}

const tpInvite = { membership: 'invite', third_party_invite: { signed: { token: 'tok' } } };
const viaJoin = { membership: 'join', join_authorised_via_users_server: CAROL };
const rows: Row[] = [
  {
    title: 'a create event has no auth events',
    versions: ['6', '12'],
    event: { type: 'm.room.create', sender: ALICE, state_key: '', content: {} },
    keys: [],
  },
  {
    title: 'a message needs create, power levels and the sender',
    versions: ['6', '11'],
    event: { type: 'm.room.message', sender: BOB, content: {} },
    keys: [CREATE, PL, member(BOB)],
  },
  {
    title: 'v12 never selects the create event',
    versions: ['12'],
    event: { type: 'm.room.message', sender: BOB, content: {} },
    keys: [PL, member(BOB)],
  },
  {
    title: 'a join adds the join rules and is not duplicated for the sender',
    versions: ['6'],
    event: { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } },
    keys: [CREATE, PL, member(BOB), JR],
  },
  {
    title: 'an invite adds the target and join rules',
    versions: ['10'],
    event: {
      type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership: 'invite' },
    },
    keys: [CREATE, PL, member(ALICE), member(BOB), JR],
  },
  {
    title: 'a knock adds the join rules',
    versions: ['7'],
    event: { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'knock' } },
    keys: [CREATE, PL, member(BOB), JR],
  },
  {
    title: 'a kick does not need the join rules',
    versions: ['9'],
    event: {
      type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership: 'leave' },
    },
    keys: [CREATE, PL, member(ALICE), member(BOB)],
  },
  {
    title: 'a third-party invite adds the invite token\'s event',
    versions: ['6'],
    event: { type: 'm.room.member', sender: ALICE, state_key: BOB, content: tpInvite },
    keys: [CREATE, PL, member(ALICE), member(BOB), JR, ['m.room.third_party_invite', 'tok']],
  },
  {
    title: 'a restricted join adds the authorising user from v8',
    versions: ['8', '11'],
    event: { type: 'm.room.member', sender: BOB, state_key: BOB, content: viaJoin },
    keys: [CREATE, PL, member(BOB), JR, member(CAROL)],
  },
  {
    title: 'a v12 restricted join adds the authorising user but not the create event',
    versions: ['12'],
    event: { type: 'm.room.member', sender: BOB, state_key: BOB, content: viaJoin },
    keys: [PL, member(BOB), JR, member(CAROL)],
  },
  {
    title: 'join_authorised_via_users_server is ignored before v8',
    versions: ['7'],
    event: { type: 'm.room.member', sender: BOB, state_key: BOB, content: viaJoin },
    keys: [CREATE, PL, member(BOB), JR],
  },
];

for (const row of rows) {
  t.test(`selection: ${row.title}`, async (t) => {
    for (const id of row.versions) {
      const keys = authEventKeys(row.event, roomVersion(id));
      const sort = (k: Key[]) => k.map((pair) => pair.join('|')).sort();
      t.same(sort(keys), sort(row.keys), `v${id}`);
    }
  });
}

t.test('checkAuthEventSelection', async (t) => {
  const room = standardRoom('10');
  const get = (type: string, key = '') => room.lookup(type, key)!;
  const message = room.event({ type: 'm.room.message', sender: ALICE });
  const good = [get('m.room.create'), get('m.room.power_levels'), get('m.room.member', ALICE)];
  const rejects = (authEvents: PDU[], reason: RegExp, name: string, event = message) => {
    let error: unknown;
    try {
      checkAuthEventSelection(event, authEvents, room.version);
    } catch (caught) {
      error = caught;
    }
    t.ok(error instanceof AuthError, `${name}: AuthError`);
    t.match((error as Error | undefined)?.message, reason, name);
  };

  t.doesNotThrow(() => checkAuthEventSelection(message, good, room.version), 'selected set');
  rejects([...good, get('m.room.power_levels')], /duplicate auth event/, '2.1 duplicates');
  rejects([...good, get('m.room.join_rules')], /not selectable/, '2.2 join rules for a message');
  rejects(good.slice(1), /no m\.room\.create event/, '2.4 create missing');
  const foreign = { ...get('m.room.power_levels'), room_id: '!other:example.org' };
  rejects([good[0]!, foreign, good[2]!], /belongs to another room/, '2.5 other room');

  const v12 = standardRoom('12');
  const v12message = v12.event({ type: 'm.room.message', sender: ALICE });
  const v12create = v12.lookup('m.room.create', '')!;
  const v12pl = v12.lookup('m.room.power_levels', '')!;
  t.doesNotThrow(() => checkAuthEventSelection(v12message, [v12pl], v12.version), 'v12 no create');
  t.throws(
    () => checkAuthEventSelection(v12message, [v12create, v12pl], v12.version),
    /auth event m\.room\.create "" not selectable/,
    'v12 3.2 create must not be selected',
  );
});
