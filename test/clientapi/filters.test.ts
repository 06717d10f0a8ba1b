import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';
import { loadFilter, matchesEventFilter, matchesRoom, parseFilter } from '../../src/sync/filter.js';
import { MatrixError } from '../../src/http/errors.js';

t.test('filter endpoints', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const path = `user/${encodeURIComponent(alice.userId)}/filter`;
  const definition = { room: { timeline: { limit: 10, types: ['m.room.*'] },
    state: { lazy_load_members: true } }, event_fields: ['type', 'content.body'] };

  t.test('a stored filter is returned as uploaded', async (t) => {
    const res = await call(server, 'POST', path, { token: alice.token, body: definition });
    t.equal(res.status, 200);
    t.type(res.body.filter_id, 'string');
    t.notOk(res.body.filter_id.startsWith('{'));
    const got = await call(server, 'GET', `${path}/${res.body.filter_id}`, { token: alice.token });
    t.same(got.body, definition);
    const viaR0 = await call(server, 'GET',
      `/_matrix/client/r0/${path}/${res.body.filter_id}`, { token: alice.token });
    t.same(viaR0.body, definition);
  });

  t.test('errors', async (t) => {
    let res = await call(server, 'GET', `${path}/nope`, { token: alice.token });
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
    res = await call(server, 'POST', path, { token: bob.token, body: {} });
    t.equal(res.status, 403);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
    res = await call(server, 'GET', `${path}/nope`, { token: bob.token });
    t.equal(res.status, 403);
    res = await call(server, 'POST', path,
      { token: alice.token, body: { room: { timeline: { limit: 'ten' } } } });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_BAD_JSON');
    t.match(res.body.error, 'room.timeline.limit');
    res = await call(server, 'POST', path, { token: alice.token, body: { event_fields: [1] } });
    t.match(res.body.error, 'event_fields');
  });
});

t.test('parseFilter checks each field and names the bad one', async (t) => {
  const cases: Array<[unknown, string]> = [
    [[], 'Filter'],
    [{ event_fields: 'type' }, 'event_fields'],
    [{ event_format: 'raw' }, 'event_format'],
    [{ presence: 3 }, 'presence'],
    [{ account_data: { types: [1] } }, 'account_data.types'],
    [{ room: { rooms: 'x' } }, 'room.rooms'],
    [{ room: { include_leave: 'yes' } }, 'room.include_leave'],
    [{ room: { timeline: { limit: 0 } } }, 'room.timeline.limit'],
    [{ room: { timeline: { limit: 2.5 } } }, 'room.timeline.limit'],
    [{ room: { state: { lazy_load_members: 1 } } }, 'room.state.lazy_load_members'],
    [{ room: { ephemeral: { not_senders: [true] } } }, 'room.ephemeral.not_senders'],
    [{ room: { account_data: [] } }, 'room.account_data'],
  ];
  for (const [input, field] of cases) {
    let caught: unknown;
    try {
      parseFilter(input);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof MatrixError, `${field}: a MatrixError`);
    t.equal((caught as MatrixError).errcode, 'M_BAD_JSON', field);
    t.match((caught as MatrixError).message, field, 'the message names the field');
  }
  const parsed = parseFilter({ room: { include_leave: true, not_rooms: ['!a:x'],
    timeline: { limit: 5, not_types: ['m.typing'], lazy_load_members: true } }, unknown: 1 });
  t.same(parsed, { room: { include_leave: true, not_rooms: ['!a:x'],
    timeline: { limit: 5, not_types: ['m.typing'], lazy_load_members: true } } });
});

t.test('matchesEventFilter applies wildcards, and not_* lists win', async (t) => {
  const f = { types: ['m.room.*', 'org.x'], not_types: ['m.room.member'],
    senders: ['@a:x', '@b:x'], not_senders: ['@b:x'] };
  t.ok(matchesEventFilter(f, 'm.room.message', '@a:x'));
  t.ok(matchesEventFilter(f, 'org.x', '@a:x'));
  t.notOk(matchesEventFilter(f, 'org.xy', '@a:x'), 'no wildcard means exact');
  t.notOk(matchesEventFilter(f, 'm.room.member', '@a:x'));
  t.notOk(matchesEventFilter(f, 'm.room.message', '@b:x'));
  t.notOk(matchesEventFilter(f, 'm.room.message', '@c:x'));
  t.ok(matchesEventFilter(f, 'm.room.message'), 'no sender: sender lists do not apply');
  t.ok(matchesEventFilter(undefined, 'anything', '@z:x'));
  t.ok(matchesEventFilter({ types: ['*'] }, 'a.b'));
  t.notOk(matchesEventFilter({ types: ['m.*.x'] }, 'm.a.y'));
  t.ok(matchesEventFilter({ types: ['m.*.x'] }, 'm.a.b.x'));
  t.notOk(matchesEventFilter({ types: [] }, 'm.room.message'), 'an empty list allows nothing');
  t.ok(matchesRoom({ rooms: ['!a:x'] }, '!a:x'));
  t.notOk(matchesRoom({ rooms: ['!a:x'], not_rooms: ['!a:x'] }, '!a:x'));
  t.notOk(matchesRoom({ rooms: ['!a:x'] }, '!b:x'));
});

t.test('loadFilter reads inline JSON or a stored ID', async (t) => {
  const store = { get: async (user: string, id: string) =>
    user === '@a:x' && id === 'f1' ? { room: { timeline: { limit: 3 } } } : undefined };
  t.same(await loadFilter(store, '@a:x', undefined), {});
  t.same(await loadFilter(store, '@a:x', 'f1'), { room: { timeline: { limit: 3 } } });
  t.same(await loadFilter(store, '@a:x', '{"room":{"timeline":{"limit":1}}}'),
    { room: { timeline: { limit: 1 } } });
  const failure = (param: string, user = '@a:x') =>
    loadFilter(store, user, param).then(() => undefined, (err: MatrixError) => err.errcode);
  t.equal(await failure('f1', '@b:x'), 'M_INVALID_PARAM', "another user's ID is unknown");
  t.equal(await failure('{bad'), 'M_NOT_JSON');
});
