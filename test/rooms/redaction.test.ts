// The redaction algorithm per version. Every expected output is written out by hand from the
// spec's lists (rooms/v6, v8, v9 and v11 "Redactions"), never produced by redactEvent itself.
import t from 'tap';

import type { PDU } from '../../src/rooms/event.js';
import { redactEvent } from '../../src/rooms/redaction.js';
import { ALICE, BOB, pdu, roomVersion } from './builders.js';

const ROOM = '!room:example.org';
/** The envelope every version keeps, as it appears in the inputs below. */
const ENVELOPE = {
  room_id: ROOM,
  origin_server_ts: 1_700_000_000_000,
  depth: 5,
  prev_events: ['$previous'],
  auth_events: [],
  hashes: { sha256: 'fakehash' },
  signatures: {},
};
/** Keys v6-v10 keep but v11 strips, plus ones no version keeps. */
const LEGACY = { origin: 'example.org', membership: 'join', prev_state: [] };
const NEVER_KEPT = { unsigned: { age: 5, transaction_id: 'txn' }, custom: 'x' };

function input(type: string, content: Record<string, unknown>, extra = {}): PDU {
  return pdu({
    type, sender: ALICE, room_id: ROOM, content, ...LEGACY, ...NEVER_KEPT, ...extra,
  });
}

interface Row {
  title: string;
  event: PDU;
  /** Expected content per redaction algorithm. */
  content: { v6: object; v8?: object; v9?: object; v11?: object };
}

const rows: Row[] = [
  {
    title: 'a message keeps no content',
    event: input('m.room.message', { body: 'secret', msgtype: 'm.text' }),
    content: { v6: {} },
  },
  {
    title: 'a member event',
    event: input('m.room.member', {
      membership: 'join',
      displayname: 'Bob',
      avatar_url: 'mxc://x/y',
      join_authorised_via_users_server: ALICE,
      third_party_invite: { display_name: 'b...', signed: { mxid: BOB, token: 't' } },
    }, { state_key: BOB }),
    content: {
      v6: { membership: 'join' },
      v9: { membership: 'join', join_authorised_via_users_server: ALICE },
      v11: {
        membership: 'join',
        join_authorised_via_users_server: ALICE,
        third_party_invite: { signed: { mxid: BOB, token: 't' } },
      },
    },
  },
  {
    title: 'a member event whose third_party_invite has no signed key',
    event: input('m.room.member', { membership: 'invite', third_party_invite: { x: 1 } }, {
      state_key: BOB,
    }),
    content: { v6: { membership: 'invite' } },
  },
  {
    title: 'a create event',
    event: input('m.room.create', {
      creator: ALICE, room_version: '9', 'm.federate': false, predecessor: { room_id: '!o:x' },
    }, { state_key: '' }),
    content: {
      v6: { creator: ALICE },
      v11: {
        creator: ALICE, room_version: '9', 'm.federate': false, predecessor: { room_id: '!o:x' },
      },
    },
  },
  {
    title: 'a join rules event',
    event: input('m.room.join_rules', {
      join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }], x: 1,
    }, { state_key: '' }),
    content: {
      v6: { join_rule: 'restricted' },
      v8: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }] },
    },
  },
  {
    title: 'a power levels event',
    event: input('m.room.power_levels', {
      ban: 50, events: { 'm.room.name': 100 }, events_default: 0, invite: 0, kick: 50,
      notifications: { room: 20 }, redact: 50, state_default: 50, users: { [ALICE]: 100 },
      users_default: 0, historical: 100,
    }, { state_key: '' }),
    content: {
      v6: {
        ban: 50, events: { 'm.room.name': 100 }, events_default: 0, kick: 50, redact: 50,
        state_default: 50, users: { [ALICE]: 100 }, users_default: 0,
      },
      v11: {
        ban: 50, events: { 'm.room.name': 100 }, events_default: 0, invite: 0, kick: 50,
        redact: 50, state_default: 50, users: { [ALICE]: 100 }, users_default: 0,
      },
    },
  },
  {
    title: 'a history visibility event',
    event: input('m.room.history_visibility', { history_visibility: 'shared', x: 1 }, {
      state_key: '',
    }),
    content: { v6: { history_visibility: 'shared' } },
  },
  {
    title: 'an aliases event has no protected content from v6',
    event: input('m.room.aliases', { aliases: ['#a:example.org'] }, { state_key: 'example.org' }),
    content: { v6: {} },
  },
  {
    title: 'a redaction event',
    event: input('m.room.redaction', { redacts: '$target', reason: 'spam' }, {
      redacts: '$target',
    }),
    content: { v6: {}, v11: { redacts: '$target' } },
  },
];

/** What each version keeps of the envelope, by hand from the top-level key lists. */
function expectedTopLevel(event: PDU, algorithm: string): Record<string, unknown> {
  const kept: Record<string, unknown> = { type: event.type, sender: ALICE, ...ENVELOPE };
  if (event.state_key !== undefined) kept.state_key = event.state_key;
  if (algorithm !== 'v11') Object.assign(kept, LEGACY);
  return kept;
}

const ALGORITHMS = ['v6', 'v8', 'v9', 'v11'] as const;
const VERSIONS = ['6', '7', '8', '9', '10', '11', '12'];

for (const row of rows) {
  t.test(`redacting ${row.title}`, async (t) => {
    for (const id of VERSIONS) {
      const version = roomVersion(id);
      // An algorithm inherits the previous one's expectation unless the row says otherwise.
      const upTo = ALGORITHMS.slice(0, ALGORITHMS.indexOf(version.redaction) + 1);
      const content = upTo.reduce<object>((last, a) => row.content[a] ?? last, row.content.v6);
      const expected = { ...expectedTopLevel(row.event, version.redaction), content };
      t.same(redactEvent(row.event, version), expected, `v${id}`);
    }
  });
}

t.test('redaction keeps event_id when present and leaves the input untouched', async (t) => {
  const event = input('m.room.member', { membership: 'join', displayname: 'A' }, {
    state_key: ALICE, event_id: '$abc',
  });
  const before = structuredClone(event);
  const redacted = redactEvent(event, roomVersion('11'));
  t.equal(redacted.event_id, '$abc');
  t.same(event, before, 'input unchanged');
  redacted.content.membership = 'leave';
  t.equal(event.content.membership, 'join', 'output does not share content with input');
});

t.test('a v12 create event stays without a room_id', async (t) => {
  const create = pdu({
    type: 'm.room.create', sender: ALICE, state_key: '', prev_events: [],
    content: { room_version: '12', additional_creators: [BOB] },
  });
  const redacted = redactEvent(create, roomVersion('12'));
  t.notOk('room_id' in redacted);
  t.same(redacted.content, { room_version: '12', additional_creators: [BOB] });
});
