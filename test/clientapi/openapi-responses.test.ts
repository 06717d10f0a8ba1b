import t from 'tap';
import { randomBytes } from 'node:crypto';
import { createSigningKey, signJson } from '../../src/crypto/index.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { SPEC_DIR, loadSpecValidator, type OpenApiValidator } from '../helpers/openapi.js';

// Drives a real server through a realistic client session and checks EVERY response,
// errors included, against the response schemas of the Matrix spec's OpenAPI definitions.
// Failures are gathered per endpoint so one run shows everything there is to fix.

interface Allowance {
  status: number;
  errcode: string;
  /** Only on this template (with its base path). */
  template?: string;
  /** Not when the endpoint declares one of these statuses itself. */
  unlessDeclared?: number[];
}

/**
 * Answers an endpoint may give although its own definition does not list them. Each entry
 * is a rule the spec states for every endpoint, or a case the endpoint's definition does not
 * describe at all; the body must still be a standard error.
 */
const ALLOWED_UNDECLARED: Allowance[] = [
  // "Using access tokens": any authenticated endpoint answers 401 for a missing or bad token.
  { status: 401, errcode: 'M_MISSING_TOKEN' },
  { status: 401, errcode: 'M_UNKNOWN_TOKEN' },
  // "Common error codes": a body that is not JSON or not the right shape, on any endpoint.
  { status: 400, errcode: 'M_NOT_JSON' },
  { status: 400, errcode: 'M_BAD_JSON' },
  // "Common error codes": unknown paths and methods answer M_UNRECOGNIZED 404/405.
  { status: 404, errcode: 'M_UNRECOGNIZED' },
  { status: 405, errcode: 'M_UNRECOGNIZED' },
  // "Rate limiting": any endpoint may answer M_LIMIT_EXCEEDED.
  { status: 429, errcode: 'M_LIMIT_EXCEEDED' },
  // "Common error codes" also lists M_FORBIDDEN and M_NOT_FOUND for any endpoint. Where an
  // endpoint declares 403 or 404 itself, that declaration says which one it uses (e.g. 403
  // "You aren't a member of the room" on /state), so the general rule covers only the rest.
  { status: 403, errcode: 'M_FORBIDDEN', unlessDeclared: [403, 404] },
  { status: 404, errcode: 'M_NOT_FOUND', unlessDeclared: [403, 404] },
  // Joining a room ID or alias this server does not know (and, without federation, cannot
  // find): the declared 403 lists permission failures in an existing room, and
  // GET /directory/room/{roomAlias} answers an unknown alias with 404 M_NOT_FOUND.
  { status: 404, errcode: 'M_NOT_FOUND', template: '/_matrix/client/v3/join/{roomIdOrAlias}' },
  { status: 404, errcode: 'M_NOT_FOUND', template: '/_matrix/client/v3/rooms/{roomId}/join' },
  // A `dir` other than b or f: /messages declares no 400; M_INVALID_PARAM is the spec's code
  // for "a parameter that was specified has the wrong value" ("Other error codes").
  { status: 400, errcode: 'M_INVALID_PARAM',
    template: '/_matrix/client/v3/rooms/{roomId}/messages' },
];

interface Reply { status: number; body: any }

/** Calls the server, validates the answer and files any problem under its endpoint. */
class CheckedSession {
  readonly failures = new Map<string, string[]>();
  readonly endpoints: string[] = [];
  calls = 0;

  constructor(private readonly server: TestServer, private readonly spec: OpenApiValidator) {}

  /** Files a problem found by looking at a response's content rather than its schema. */
  note(key: string, problem: string): void {
    const list = this.failures.get(key) ?? [];
    list.push(problem);
    this.failures.set(key, list);
  }

  async req(method: string, path: string, options: {
    token?: string; body?: unknown; rawBody?: string; expect?: number;
  } = {}): Promise<Reply> {
    const reply = await call(this.server, method, path, options);
    this.calls++;
    const result = this.spec.validateResponse(method, path, reply.status, reply.body);
    const key = `${method} ${result.template ?? path.split('?')[0]}`;
    if (!this.endpoints.includes(key)) this.endpoints.push(key);
    const problems: string[] = [];
    const errcode = typeof reply.body?.errcode === 'string' ? reply.body.errcode : undefined;
    if (options.expect !== undefined && reply.status !== options.expect) {
      problems.push(`expected ${options.expect}, got ${reply.status}` +
        (errcode ? ` ${errcode}: ${reply.body.error}` : ''));
    }
    const declared = this.spec.declaredStatuses(method, path);
    if (!result.schemaFound && !ALLOWED_UNDECLARED.some((a) =>
      a.status === reply.status && a.errcode === errcode
      && (a.template === undefined || a.template === result.template)
      && !(a.unlessDeclared ?? []).some((status) => declared.includes(status)))) {
      problems.push(`no schema for ${reply.status}${errcode ? ` ${errcode}` : ''}: ${result.note}`);
    }
    for (const error of result.errors) problems.push(`${reply.status}: ${error}`);
    if (problems.length > 0) {
      const list = this.failures.get(key) ?? [];
      list.push(...problems.map((p) => `${p} (${method} ${path})`));
      this.failures.set(key, list);
    }
    return reply;
  }
}

const v3 = (path: string) => `/_matrix/client/v3${path}`;
const enc = encodeURIComponent;

const spec = loadSpecValidator();
// Without the spec checked out there is nothing to validate against: say so and skip, except
// in CI, where a missing spec must fail the run rather than pass it silently.
const skip = !spec && process.env.CI !== 'true'
  ? `Matrix spec not checked out at ${SPEC_DIR}` : false;

t.test('the validator understands the spec', { skip }, async (t) => {
  if (!spec) {
    t.fail(`Matrix spec missing at ${SPEC_DIR} (required when CI=true)`);
    return;
  }
  t.ok(spec.operationCount > 100, `loaded ${spec.operationCount} operations`);

  let compiled = 0;
  for (const [method, template, status] of spec.declared()) {
    spec.validateResponse(method, template.replace(/\{[^}]+\}/g, 'x'), status, {});
    compiled++;
  }
  t.ok(compiled > 300, `every declared response schema compiles (${compiled})`);

  const whoami = v3('/account/whoami');
  t.ok(spec.validateResponse('GET', whoami, 200, { user_id: '@a:test.local' }).ok,
    'a correct body passes');
  t.notOk(spec.validateResponse('GET', whoami, 200, { user_id: 7 }).ok, 'a wrong type fails');
  t.notOk(spec.validateResponse('GET', whoami, 200, {}).ok, 'a missing field fails');
  t.notOk(spec.validateResponse('GET', whoami, 200, { user_id: 'alice' }).ok,
    'a malformed user ID fails its mx-user-id format');
  const event = { type: 'm.room.message', content: {}, sender: '@a:b', origin_server_ts: 1 };
  const messages = v3('/rooms/!r:test.local/messages');
  t.notOk(spec.validateResponse('GET', messages, 200, { start: 's', chunk: [event] }).ok,
    'an event without event_id and room_id fails deep inside a response');
  const topic = spec.validateResponse('GET', v3('/rooms/!r:x/state/m.room.topic/'), 200, {});
  t.equal(topic.template, '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}',
    'a concrete path with an empty state key matches its template');
  t.notOk(spec.validateResponse('GET', v3('/no/such/thing'), 200, {}).schemaFound,
    'an unknown path has no schema');
  const undeclared = spec.validateResponse('GET', v3('/sync'), 418, { errcode: 'M_X' });
  t.notOk(undeclared.schemaFound, 'an undeclared status has no schema');
  t.ok(undeclared.ok, 'but its body is still checked against the standard error');
  t.notOk(spec.validateResponse('GET', v3('/sync'), 418, { error: 'no code' }).ok,
    'an error body without errcode fails');
});

t.test('every response of a realistic session matches the spec', { skip }, async (t) => {
  if (!spec) {
    t.fail(`Matrix spec missing at ${SPEC_DIR} (required when CI=true)`);
    return;
  }
  const server = await startTestServer(t);
  const s = new CheckedSession(server, spec);

  // Discovery.
  await s.req('GET', '/_matrix/client/versions', { expect: 200 });
  await s.req('GET', '/.well-known/matrix/client', { expect: 200 });
  await s.req('GET', v3('/login'), { expect: 200 });
  await s.req('GET', v3('/register/available?username=alice'), { expect: 200 });

  // Registration through user-interactive auth with the dummy stage, then login.
  const register = async (username: string) => {
    const first = await s.req('POST', v3('/register'),
      { body: { username, password: 'pw-' + username }, expect: 401 });
    const done = await s.req('POST', v3('/register'), {
      body: { username, password: 'pw-' + username,
        auth: { type: 'm.login.dummy', session: first.body?.session } },
      expect: 200,
    });
    return done.body as { user_id: string; access_token: string; device_id: string };
  };
  const alice = await register('alice');
  const bob = await register('bob');
  await s.req('GET', v3('/register/available?username=alice'), { expect: 400 });
  await s.req('POST', v3('/register'), { body: { username: 'alice', password: 'x' }, expect: 400 });
  const login = await s.req('POST', v3('/login'), {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' },
      password: 'pw-alice', initial_device_display_name: 'second' },
    expect: 200,
  });
  const alice2 = login.body as { access_token: string; device_id: string };
  await s.req('POST', v3('/login'), {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' },
      password: 'wrong' },
    expect: 403,
  });
  const a = alice.access_token;
  const b = bob.access_token;
  const aliceId = alice.user_id ?? '@alice:test.local';
  const bobId = bob.user_id ?? '@bob:test.local';

  await s.req('GET', v3('/account/whoami'), { token: a, expect: 200 });
  await s.req('GET', v3('/account/whoami'), { expect: 401 });
  await s.req('GET', v3('/account/whoami'), { token: 'forged', expect: 401 });
  await s.req('GET', v3('/capabilities'), { token: a, expect: 200 });

  // Rooms: a public one with an alias, a private one with an invite, one trusted.
  const created = await s.req('POST', v3('/createRoom'), {
    token: a,
    body: { preset: 'public_chat', name: 'Lobby', topic: 'Welcome', room_alias_name: 'lobby',
      visibility: 'public' },
    expect: 200,
  });
  const roomId: string = created.body?.room_id ?? '!missing:test.local';
  const priv = await s.req('POST', v3('/createRoom'), {
    token: a, body: { preset: 'private_chat', name: 'Secret', invite: [bobId] }, expect: 200,
  });
  const privId: string = priv.body?.room_id ?? '!missing2:test.local';
  await s.req('POST', v3('/createRoom'),
    { token: a, body: { preset: 'trusted_private_chat', is_direct: true }, expect: 200 });
  await s.req('POST', v3('/createRoom'),
    { token: a, body: { room_version: '999' }, expect: 400 });
  await s.req('POST', v3('/createRoom'),
    { token: a, body: { room_alias_name: 'lobby' }, expect: 400 });

  const alias = enc('#lobby:test.local');
  await s.req('GET', v3(`/directory/room/${alias}`), { expect: 200 });
  await s.req('POST', v3(`/join/${alias}`), { token: b, body: {}, expect: 200 });
  await s.req('POST', v3(`/rooms/${enc(privId)}/join`), { token: b, body: {}, expect: 200 });
  await s.req('POST', v3(`/join/${enc('#nowhere:test.local')}`), { token: b, body: {},
    expect: 404 });

  // Messages and state.
  const room = enc(roomId);
  const sent = await s.req('PUT', v3(`/rooms/${room}/send/m.room.message/t1`), {
    token: a, body: { msgtype: 'm.text', body: 'hello' }, expect: 200,
  });
  const eventId: string = sent.body?.event_id ?? '$missing';
  await s.req('PUT', v3(`/rooms/${room}/send/m.room.message/t2`),
    { token: b, body: { msgtype: 'm.text', body: 'hi' }, expect: 200 });
  await s.req('PUT', v3(`/rooms/${room}/state/m.room.topic/`),
    { token: a, body: { topic: 'New topic' }, expect: 200 });
  await s.req('PUT', v3(`/rooms/${room}/state/m.room.power_levels/`),
    { token: b, body: { users: { [bobId]: 100 } }, expect: 403 });
  await s.req('GET', v3(`/rooms/${room}/state/m.room.topic/`), { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/state/m.room.topic`), { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/state/m.room.member/${enc(bobId)}`),
    { token: a, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/state/m.room.avatar/`), { token: a, expect: 404 });
  await s.req('GET', v3(`/rooms/${room}/state`), { token: a, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/event/${enc(eventId)}`), { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/event/${enc('$nope')}`), { token: b, expect: 404 });
  const doomed = await s.req('PUT', v3(`/rooms/${room}/send/m.room.message/t3`),
    { token: a, body: { msgtype: 'm.text', body: 'oops' }, expect: 200 });
  const doomedId: string = doomed.body?.event_id ?? '$x';
  await s.req('PUT', v3(`/rooms/${room}/redact/${enc(doomedId)}/r1`),
    { token: a, body: { reason: 'typo' }, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/event/${enc(doomedId)}`), { token: b, expect: 200 });
  // A room nobody is in: each endpoint answers as its own definition (or Common error codes).
  const nowhere = enc('!unknown:test.local');
  await s.req('GET', v3(`/rooms/${nowhere}/state`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/state/m.room.topic/`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/messages?dir=b`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/members`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/joined_members`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/event/${enc(eventId)}`), { token: a });
  await s.req('GET', v3(`/rooms/${nowhere}/context/${enc(eventId)}`), { token: a });
  await s.req('PUT', v3(`/rooms/${nowhere}/send/m.room.message/u1`),
    { token: a, body: { msgtype: 'm.text', body: 'x' } });
  await s.req('PUT', v3(`/rooms/${nowhere}/state/m.room.topic/`),
    { token: a, body: { topic: 'x' } });
  await s.req('POST', v3(`/rooms/${nowhere}/join`), { token: a, body: {} });
  await s.req('POST', v3(`/rooms/${nowhere}/leave`), { token: a, body: {} });

  // Reading history.
  const back = await s.req('GET', v3(`/rooms/${room}/messages?dir=b&limit=3`),
    { token: b, expect: 200 });
  if (typeof back.body?.end === 'string') {
    await s.req('GET', v3(`/rooms/${room}/messages?dir=b&from=${enc(back.body.end)}`),
      { token: b, expect: 200 });
  }
  await s.req('GET', v3(`/rooms/${room}/messages?dir=f&limit=50`), { token: b, expect: 200 });
  const lazy = enc(JSON.stringify({ lazy_load_members: true, types: ['m.room.message'] }));
  await s.req('GET', v3(`/rooms/${room}/messages?dir=b&filter=${lazy}`),
    { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/messages?dir=sideways`), { token: b, expect: 400 });
  await s.req('GET', v3(`/rooms/${room}/context/${enc(eventId)}?limit=4`),
    { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/members`), { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/members?membership=join`), { token: b, expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/joined_members`), { token: b, expect: 200 });
  await s.req('GET', v3('/joined_rooms'), { token: b, expect: 200 });

  // Sync: initial, with a stored filter, incremental, and with a bad since.
  const filter = await s.req('POST', v3(`/user/${enc(bobId)}/filter`), {
    token: b, body: { room: { timeline: { limit: 5 } }, presence: { types: [] } }, expect: 200,
  });
  const filterId: string = filter.body?.filter_id ?? '0';
  await s.req('GET', v3(`/user/${enc(bobId)}/filter/${enc(filterId)}`), { token: b, expect: 200 });
  await s.req('GET', v3(`/user/${enc(bobId)}/filter/nope`), { token: b, expect: 404 });
  const initial = await s.req('GET', v3('/sync?timeout=0'), { token: b, expect: 200 });
  await s.req('GET', v3(`/sync?timeout=0&filter=${enc(filterId)}`), { token: b, expect: 200 });
  await s.req('GET', v3(`/sync?timeout=0&full_state=true&filter=${enc('{"room":{}}')}`),
    { token: b, expect: 200 });

  // Ephemeral and per-user data between the two syncs, so the incremental one carries it.
  await s.req('PUT', v3(`/rooms/${room}/typing/${enc(bobId)}`),
    { token: b, body: { typing: true, timeout: 10000 }, expect: 200 });
  await s.req('POST', v3(`/rooms/${room}/receipt/m.read/${enc(eventId)}`),
    { token: b, body: {}, expect: 200 });
  await s.req('POST', v3(`/rooms/${room}/read_markers`),
    { token: b, body: { 'm.fully_read': eventId, 'm.read': eventId }, expect: 200 });
  await s.req('PUT', v3(`/user/${enc(bobId)}/account_data/org.example.settings`),
    { token: b, body: { theme: 'dark' }, expect: 200 });
  await s.req('GET', v3(`/user/${enc(bobId)}/account_data/org.example.settings`),
    { token: b, expect: 200 });
  await s.req('GET', v3(`/user/${enc(bobId)}/account_data/org.example.none`),
    { token: b, expect: 404 });
  await s.req('PUT', v3(`/user/${enc(bobId)}/rooms/${room}/account_data/org.example.pin`),
    { token: b, body: { pinned: true }, expect: 200 });
  await s.req('GET', v3(`/user/${enc(bobId)}/rooms/${room}/account_data/org.example.pin`),
    { token: b, expect: 200 });
  await s.req('PUT', v3(`/user/${enc(aliceId)}/account_data/org.example.x`),
    { token: b, body: {}, expect: 403 });
  await s.req('PUT', v3(`/rooms/${room}/send/m.room.message/t4`),
    { token: a, body: { msgtype: 'm.text', body: 'after the first sync' }, expect: 200 });
  const since = initial.body?.next_batch;
  if (typeof since === 'string') {
    await s.req('GET', v3(`/sync?timeout=0&since=${enc(since)}`), { token: b, expect: 200 });
    await s.req('GET', v3(`/sync?timeout=0&since=${enc(since)}`), { token: a, expect: 200 });
  }

  // Profile.
  await s.req('PUT', v3(`/profile/${enc(aliceId)}/displayname`),
    { token: a, body: { displayname: 'Alice' }, expect: 200 });
  await s.req('PUT', v3(`/profile/${enc(aliceId)}/avatar_url`),
    { token: a, body: { avatar_url: 'mxc://test.local/abc' }, expect: 200 });
  await s.req('GET', v3(`/profile/${enc(aliceId)}`), { token: b, expect: 200 });
  await s.req('GET', v3(`/profile/${enc(aliceId)}/displayname`), { token: b, expect: 200 });
  await s.req('GET', v3(`/profile/${enc(aliceId)}/avatar_url`), { token: b, expect: 200 });
  await s.req('PUT', v3(`/profile/${enc(aliceId)}/displayname`),
    { token: b, body: { displayname: 'Mallory' }, expect: 403 });
  await s.req('GET', v3(`/profile/${enc('@ghost:test.local')}`), { token: b, expect: 404 });

  // Directory and the public room list.
  const alias2 = enc('#hall:test.local');
  await s.req('PUT', v3(`/directory/room/${alias2}`),
    { token: a, body: { room_id: roomId }, expect: 200 });
  await s.req('GET', v3(`/directory/room/${alias2}`), { expect: 200 });
  await s.req('GET', v3(`/rooms/${room}/aliases`), { token: a, expect: 200 });
  await s.req('DELETE', v3(`/directory/room/${alias2}`), { token: a, expect: 200 });
  await s.req('GET', v3(`/directory/room/${alias2}`), { expect: 404 });
  await s.req('GET', v3(`/directory/list/room/${room}`), { expect: 200 });
  await s.req('PUT', v3(`/directory/list/room/${enc(privId)}`),
    { token: a, body: { visibility: 'private' }, expect: 200 });
  await s.req('GET', v3('/publicRooms?limit=10'), { token: b, expect: 200 });
  await s.req('POST', v3('/publicRooms'),
    { token: b, body: { limit: 10, filter: { generic_search_term: 'Lob' } }, expect: 200 });

  // Push rules.
  await s.req('GET', v3('/pushrules/'), { token: a, expect: 200 });
  await s.req('GET', v3('/pushrules/global/'), { token: a, expect: 200 });
  const rule = v3('/pushrules/global/content/cake');
  await s.req('PUT', rule,
    { token: a, body: { pattern: 'cake*', actions: ['notify'] }, expect: 200 });
  await s.req('GET', rule, { token: a, expect: 200 });
  await s.req('PUT', `${rule}/enabled`, { token: a, body: { enabled: false }, expect: 200 });
  await s.req('GET', `${rule}/enabled`, { token: a, expect: 200 });
  await s.req('PUT', `${rule}/actions`, { token: a, body: { actions: [] }, expect: 200 });
  await s.req('GET', `${rule}/actions`, { token: a, expect: 200 });
  await s.req('DELETE', rule, { token: a, expect: 200 });
  await s.req('GET', rule, { token: a, expect: 404 });

  // Devices.
  await s.req('GET', v3('/devices'), { token: a, expect: 200 });
  await s.req('GET', v3(`/devices/${enc(alice.device_id)}`), { token: a, expect: 200 });
  await s.req('PUT', v3(`/devices/${enc(alice.device_id)}`),
    { token: a, body: { display_name: 'Laptop' }, expect: 200 });
  await s.req('GET', v3('/devices/NOSUCHDEVICE'), { token: a, expect: 404 });
  const del = await s.req('DELETE', v3(`/devices/${enc(alice2.device_id)}`),
    { token: a, body: {}, expect: 401 });
  await s.req('DELETE', v3(`/devices/${enc(alice2.device_id)}`), {
    token: a,
    body: { auth: { type: 'm.login.password', session: del.body?.session,
      identifier: { type: 'm.id.user', user: aliceId }, password: 'pw-alice' } },
    expect: 200,
  });
  await s.req('POST', v3('/delete_devices'), { token: a, body: { devices: [] } });

  // End-to-end keys: signed device keys and a one-time key, then query, claim, changes.
  const deviceKey = createSigningKey(randomBytes(32), bob.device_id.replace(/\W/g, '_'));
  const deviceKeys = signJson({
    user_id: bobId, device_id: bob.device_id,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${bob.device_id}`]: 'Y3VydmUyNTUxOWtleWN1cnZlMjU1MTlrZXljdXJ2ZQ',
      [`ed25519:${bob.device_id}`]: deviceKey.publicKeyBase64 },
  }, bobId, { ...deviceKey, keyId: `ed25519:${bob.device_id}` });
  const otk = signJson({ key: 'b3RrYjN0a2IzdGtiM3RrYjN0a2IzdGtiM3RrYjN0aw' }, bobId,
    { ...deviceKey, keyId: `ed25519:${bob.device_id}` });
  await s.req('POST', v3('/keys/upload'), {
    token: b,
    body: { device_keys: deviceKeys, one_time_keys: { 'signed_curve25519:AAAAAQ': otk } },
    expect: 200,
  });
  await s.req('POST', v3('/keys/query'),
    { token: a, body: { device_keys: { [bobId]: [] } }, expect: 200 });
  await s.req('POST', v3('/keys/claim'), {
    token: a,
    body: { one_time_keys: { [bobId]: { [bob.device_id]: 'signed_curve25519' } } },
    expect: 200,
  });
  if (typeof since === 'string') {
    const now = await s.req('GET', v3('/sync?timeout=0'), { token: a, expect: 200 });
    const to = typeof now.body?.next_batch === 'string' ? now.body.next_batch : since;
    await s.req('GET', v3(`/keys/changes?from=${enc(since)}&to=${enc(to)}`),
      { token: a, expect: 200 });
  }
  await s.req('PUT', v3('/sendToDevice/org.example.ping/d1'), {
    token: a, body: { messages: { [bobId]: { [bob.device_id]: { hello: 'there' } } } },
    expect: 200,
  });
  // A sync that carries the to-device message and the one-time key counts.
  const e2ee = await s.req('GET', v3('/sync?timeout=0'), { token: b, expect: 200 });
  if (!e2ee.body?.to_device?.events?.length) {
    s.note(`GET ${v3('/sync')}`, 'the to-device message sent to bob is not in his sync');
  }
  await s.req('POST', v3('/user_directory/search'),
    { token: b, body: { search_term: 'ali', limit: 5 }, expect: 200 });

  // Membership changes: invite, kick, ban, unban, leave, forget.
  const carol = await register('carol');
  const carolId = carol.user_id ?? '@carol:test.local';
  await s.req('POST', v3(`/rooms/${enc(privId)}/invite`),
    { token: a, body: { user_id: carolId }, expect: 200 });
  const carolSync = await s.req('GET', v3('/sync?timeout=0'), { token: carol.access_token,
    expect: 200 });
  if (!carolSync.body?.rooms?.invite?.[privId]) {
    s.note(`GET ${v3('/sync')}`, 'an invited user\'s sync has no rooms.invite entry');
  }
  await s.req('POST', v3(`/rooms/${enc(privId)}/kick`),
    { token: a, body: { user_id: carolId, reason: 'wrong room' }, expect: 200 });
  await s.req('POST', v3(`/rooms/${room}/ban`),
    { token: a, body: { user_id: carolId }, expect: 200 });
  await s.req('POST', v3(`/rooms/${room}/unban`),
    { token: a, body: { user_id: carolId }, expect: 200 });
  await s.req('POST', v3(`/rooms/${room}/kick`),
    { token: b, body: { user_id: aliceId }, expect: 403 });
  const beforeLeave = await s.req('GET', v3('/sync?timeout=0'), { token: b, expect: 200 });
  await s.req('POST', v3(`/rooms/${enc(privId)}/leave`), { token: b, body: {}, expect: 200 });
  const leftSync = await s.req('GET',
    v3(`/sync?timeout=0&since=${enc(beforeLeave.body?.next_batch ?? '')}`),
    { token: b, expect: 200 });
  if (!leftSync.body?.rooms?.leave?.[privId]) {
    s.note(`GET ${v3('/sync')}`, 'an incremental sync after leaving has no rooms.leave entry');
  }
  await s.req('POST', v3(`/rooms/${enc(privId)}/forget`), { token: b, body: {}, expect: 200 });

  // Bad requests and unknown endpoints.
  await s.req('PUT', v3(`/rooms/${room}/send/m.room.message/t5`),
    { token: a, rawBody: '{not json', expect: 400 });
  await s.req('POST', v3('/createRoom'), { token: a, body: { name: 7 }, expect: 400 });
  await s.req('GET', v3('/no/such/endpoint'), { token: a, expect: 404 });
  await s.req('DELETE', v3('/account/whoami'), { token: a, expect: 405 });

  // Logging out: the token stops working.
  await s.req('POST', v3('/logout'), { token: b, body: {}, expect: 200 });
  await s.req('GET', v3('/account/whoami'), { token: b, expect: 401 });
  await s.req('POST', v3('/logout/all'), { token: a, body: {}, expect: 200 });

  t.ok(s.calls > 100, `${s.calls} responses checked across ${s.endpoints.length} endpoints`);
  for (const endpoint of s.endpoints) {
    t.same(s.failures.get(endpoint) ?? [], [], `${endpoint} answers as the spec says`);
  }
  const report = [...s.failures].map(([k, v]) => `${k}\n  ${v.join('\n  ')}`).join('\n');
  if (report) t.comment(`schema and status failures:\n${report}`);
});
