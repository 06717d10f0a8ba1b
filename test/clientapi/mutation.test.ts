import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

// Valid requests of the Client-Server API, each sent again with one value of its body (or
// query) swapped for a value of the wrong type or shape. Every answer must be a success or
// a Matrix error with its errcode; a 500 (M_UNKNOWN, "Internal server error") is input the
// endpoint did not check, and fails the test. Afterwards the server still answers.

const REPLACEMENTS: unknown[] = [null, 0, -1, 1e300, '', 'x', [], {}, true, [1, 'a'],
  { a: { b: 1 } }, '\u0000'];

type Path = Array<string | number>;

function paths(value: unknown, at: Path = []): Path[] {
  const out = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  }
  return out;
}

function replaced(value: unknown, path: Path, by: unknown): unknown {
  if (path.length === 0) return by;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), by);
  return copy;
}

interface Case {
  method: string;
  /** The path; `{txn}` is a fresh transaction ID on every call. */
  path: string;
  body?: Record<string, unknown>;
  /** Query parameters, mutated one at a time as text. */
  query?: Record<string, string>;
}

t.test('requests with a value of the wrong type get a Matrix error, never a 500', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const created = await call(server, 'POST', 'createRoom',
    { token: alice.token, body: { preset: 'public_chat', invite: [bob.userId] } });
  const room = encodeURIComponent(created.body.room_id as string);
  const sent = await call(server, 'PUT', `rooms/${room}/send/m.room.message/first`,
    { token: alice.token, body: { msgtype: 'm.text', body: 'hello' } });
  const event = encodeURIComponent(sent.body.event_id as string);
  const me = encodeURIComponent(alice.userId);

  const cases: Case[] = [
    { method: 'POST', path: 'createRoom', body: { name: 'n', topic: 't', preset: 'private_chat',
      invite: [bob.userId], room_version: '10', is_direct: false, visibility: 'private',
      room_alias_name: 'mut', creation_content: { 'm.federate': true },
      initial_state: [{ type: 'm.room.guest_access', state_key: '',
        content: { guest_access: 'can_join' } }],
      power_level_content_override: { users_default: 0, events: { 'm.room.name': 50 } } } },
    { method: 'PUT', path: `rooms/${room}/send/m.room.message/{txn}`,
      body: { msgtype: 'm.text', body: 'hi', 'm.relates_to': { rel_type: 'm.thread',
        event_id: sent.body.event_id } } },
    { method: 'PUT', path: `rooms/${room}/state/m.room.topic/`, body: { topic: 'topic' } },
    { method: 'PUT', path: `rooms/${room}/state/m.room.power_levels/`,
      body: { users: { [alice.userId]: 100 }, users_default: 0, events: { 'm.room.name': 50 },
        state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 } },
    { method: 'PUT', path: `rooms/${room}/state/m.room.join_rules/`,
      body: { join_rule: 'public' } },
    { method: 'POST', path: `rooms/${room}/receipt/m.read/${event}`, body: { thread_id: 'main' } },
    { method: 'PUT', path: `rooms/${room}/typing/${me}`, body: { typing: true, timeout: 1000 } },
    { method: 'POST', path: `rooms/${room}/read_markers`,
      body: { 'm.fully_read': sent.body.event_id, 'm.read': sent.body.event_id } },
    { method: 'POST', path: 'user/' + me + '/filter', body: { event_fields: ['type'],
      room: { timeline: { limit: 10, types: ['m.room.message'], not_senders: [] },
        state: { lazy_load_members: true }, rooms: [created.body.room_id] },
      presence: { not_types: ['*'] } } },
    { method: 'PUT', path: `profile/${me}/displayname`, body: { displayname: 'Alice' } },
    { method: 'PUT', path: `profile/${me}/avatar_url`, body: { avatar_url: 'mxc://a/b' } },
    { method: 'PUT', path: `user/${me}/account_data/org.example`, body: { a: 1 } },
    { method: 'PUT', path: `user/${me}/rooms/${room}/account_data/org.example`, body: { a: 1 } },
    { method: 'PUT', path: `directory/room/${encodeURIComponent('#mut2:test.local')}`,
      body: { room_id: created.body.room_id } },
    { method: 'PUT', path: `directory/list/room/${room}`, body: { visibility: 'public' } },
    { method: 'POST', path: 'publicRooms',
      body: { limit: 10, since: '', filter: { generic_search_term: 'x' } } },
    { method: 'POST', path: 'user_directory/search', body: { search_term: 'al', limit: 5 } },
    { method: 'POST', path: 'keys/upload', body: {
      device_keys: { user_id: alice.userId, device_id: alice.deviceId,
        algorithms: ['m.olm.v1.curve25519-aes-sha2'],
        keys: { [`curve25519:${alice.deviceId}`]: 'k', [`ed25519:${alice.deviceId}`]: 'k' },
        signatures: { [alice.userId]: { [`ed25519:${alice.deviceId}`]: 's' } } },
      one_time_keys: { 'signed_curve25519:AAAA': { key: 'k', signatures: {} } },
      fallback_keys: { 'signed_curve25519:BBBB': { key: 'k', fallback: true } } } },
    { method: 'POST', path: 'keys/query', body: { device_keys: { [alice.userId]: [] },
      timeout: 1000 } },
    { method: 'POST', path: 'keys/claim', body: { one_time_keys: {
      [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } },
    { method: 'POST', path: 'keys/signatures/upload', body: { [alice.userId]: {
      [alice.deviceId]: { user_id: alice.userId, device_id: alice.deviceId } } } },
    { method: 'PUT', path: 'sendToDevice/m.test/{txn}',
      body: { messages: { [alice.userId]: { '*': { a: 1 } } } } },
    { method: 'PUT', path: `devices/${alice.deviceId}`, body: { display_name: 'phone' } },
    { method: 'PUT', path: 'pushrules/global/override/org.example.rule', body: {
      actions: ['notify', { set_tweak: 'sound', value: 'default' }],
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }] } },
    { method: 'PUT', path: 'pushrules/global/override/org.example.rule/enabled',
      body: { enabled: false } },
    { method: 'POST', path: 'login', body: { type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' }, password: 'correct horse battery',
      device_id: 'MUT', initial_device_display_name: 'x' } },
    { method: 'GET', path: `rooms/${room}/messages`,
      query: { dir: 'b', limit: '5', from: '', filter: '{"types":["m.room.message"]}' } },
    { method: 'GET', path: `rooms/${room}/context/${event}`,
      query: { limit: '3', filter: '{"lazy_load_members":true}' } },
    { method: 'GET', path: 'sync', query: { timeout: '0', since: '', full_state: 'false',
      filter: '{"room":{"timeline":{"limit":1}}}' } },
    { method: 'GET', path: `rooms/${room}/members`, query: { membership: 'join', at: '' } },
    { method: 'GET', path: 'keys/changes', query: { from: '0', to: '1' } },
    { method: 'PUT', path: `rooms/${room}/redact/${event}/{txn}`, body: { reason: 'r' } },
    { method: 'POST', path: `rooms/${room}/kick`, body: { user_id: bob.userId, reason: 'r' } },
    { method: 'POST', path: `rooms/${room}/ban`, body: { user_id: bob.userId, reason: 'r' } },
    { method: 'POST', path: `rooms/${room}/unban`, body: { user_id: bob.userId } },
    { method: 'POST', path: `rooms/${room}/invite`, body: { user_id: bob.userId } },
  ];

  let txn = 0;
  let tried = 0;
  const crashed: string[] = [];
  const send = async (c: Case, body: unknown, query?: Record<string, string>) => {
    const path = c.path.replace('{txn}', `mut${txn++}`) +
      (query ? '?' + new URLSearchParams(query).toString() : '');
    const res = await call(server, c.method, path, { token: alice.token, body });
    tried += 1;
    const errcode = res.body?.errcode;
    if (res.status >= 500 || (res.status >= 400 && typeof errcode !== 'string')) {
      crashed.push(`${c.method} ${c.path} ${JSON.stringify(query ?? body).slice(0, 120)}: ` +
        `${res.status} ${JSON.stringify(res.body).slice(0, 80)}`);
    }
  };
  for (const c of cases) {
    for (const path of paths(c.body)) {
      for (const by of REPLACEMENTS) await send(c, replaced(c.body, path, by), c.query);
    }
    for (const key of Object.keys(c.query ?? {})) {
      for (const by of REPLACEMENTS) {
        await send(c, c.body, { ...c.query, [key]: typeof by === 'string' ? by
          : JSON.stringify(by) });
      }
    }
  }
  t.ok(tried > 1000, `${tried} mutated requests`);
  t.same(crashed.slice(0, 15), [], `${crashed.length} of ${tried} were not a Matrix error`);
  const whoami = await call(server, 'GET', 'account/whoami', { token: bob.token });
  t.equal(whoami.status, 200, 'the server still answers');
});
