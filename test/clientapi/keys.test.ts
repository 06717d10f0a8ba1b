import t from 'tap';
import { signJson } from '../../src/crypto/index.js';
import { e2eeSyncSection } from '../../src/sync/e2ee-section.js';
import { call, createUser, startTestServer } from '../helpers/server.js';
import {
  crossSigningKey, crossSigningPair, crossSigningSet, deviceKeys, deviceSigningKey, oneTimeKey,
  sharedRoom, syncToken,
} from './e2ee-helpers.js';

const PASSWORD = 'correct horse battery';

t.test('device keys and one-time keys go up, are queried and claimed by another user',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    await call(server, 'PUT', `devices/${alice.deviceId}`, { token: alice.token,
      body: { display_name: 'Alice phone' } });
    const key = deviceSigningKey(alice.deviceId);
    const keys = deviceKeys(alice, key);

    const uploaded = await call(server, 'POST', 'keys/upload', { token: alice.token, body: {
      device_keys: keys,
      one_time_keys: {
        'signed_curve25519:AAAAAQ': oneTimeKey(alice, key, 1),
        'signed_curve25519:AAAAAg': oneTimeKey(alice, key, 2),
      },
    } });
    t.equal(uploaded.status, 200);
    t.same(uploaded.body, { one_time_key_counts: { signed_curve25519: 2 } });

    const queried = await call(server, 'POST', 'keys/query', { token: bob.token, body: {
      device_keys: { [alice.userId]: [], '@nobody:test.local': [], '@carol:elsewhere': [] },
    } });
    t.equal(queried.status, 200);
    t.same(queried.body.device_keys, { [alice.userId]: { [alice.deviceId]: {
      ...keys, unsigned: { device_display_name: 'Alice phone' },
    } } }, 'alice device is listed with its name; unknown and remote users are left out');
    t.same(queried.body.failures, {});

    const named = await call(server, 'POST', 'keys/query', { token: bob.token, body: {
      device_keys: { [alice.userId]: ['NOSUCHDEVICE'] } } });
    t.same(named.body.device_keys, { [alice.userId]: {} }, 'only the devices asked for');

    const claim = { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } };
    const first = await call(server, 'POST', 'keys/claim', { token: bob.token, body: claim });
    t.equal(first.status, 200);
    t.same(first.body.failures, {});
    const firstKeys = first.body.one_time_keys[alice.userId][alice.deviceId];
    const uploadedKeys: Record<string, unknown> = {
      'signed_curve25519:AAAAAQ': oneTimeKey(alice, key, 1),
      'signed_curve25519:AAAAAg': oneTimeKey(alice, key, 2),
    };
    t.equal(Object.keys(firstKeys).length, 1, 'one key is handed out');
    const firstId = Object.keys(firstKeys)[0]!;
    t.same(firstKeys[firstId], uploadedKeys[firstId], 'as it was uploaded');
    const second = await call(server, 'POST', 'keys/claim', { token: bob.token, body: claim });
    const secondKeys = second.body.one_time_keys[alice.userId][alice.deviceId];
    t.not(Object.keys(secondKeys)[0], Object.keys(firstKeys)[0], 'a key is never handed out twice');
    const third = await call(server, 'POST', 'keys/claim', { token: bob.token, body: claim });
    t.same(third.body.one_time_keys, {}, 'nothing left to claim');

    const counts = await call(server, 'POST', 'keys/upload', { token: alice.token, body: {} });
    t.same(counts.body, { one_time_key_counts: { signed_curve25519: 0 } });
  });

t.test('the keys endpoints answer under /unstable too', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const res = await call(server, 'POST', '/_matrix/client/unstable/keys/query',
    { token: alice.token, body: { device_keys: { [alice.userId]: [] } } });
  t.equal(res.status, 200);
  t.same(res.body.device_keys, { [alice.userId]: {} });
});

t.test('device keys naming another user or device are refused', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const res = await call(server, 'POST', 'keys/upload', { token: alice.token,
    body: { device_keys: deviceKeys(bob) } });
  t.equal(res.status, 400);
  t.equal(res.body.errcode, 'M_INVALID_PARAM');
});

t.test('a one-time key ID cannot be reused for a different key', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const upload = (key: string) => call(server, 'POST', 'keys/upload', { token: alice.token,
    body: { one_time_keys: { 'signed_curve25519:AAAAAQ': { key } } } });
  t.equal((await upload('one')).status, 200);
  t.equal((await upload('one')).status, 200, 'the same key again is a harmless retry');
  const clash = await upload('two');
  t.equal(clash.status, 400);
  t.equal(clash.body.errcode, 'M_BAD_JSON');
});

t.test('the fallback key is handed out, and marked used, once one-time keys run out',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    const up = await call(server, 'POST', 'keys/upload', { token: alice.token, body: {
      one_time_keys: { 'signed_curve25519:OTK1': { key: 'otk' } },
      // The unstable MSC2732 name is still accepted.
      'org.matrix.msc2732.fallback_keys': {
        'signed_curve25519:FB1': { key: 'fallback', fallback: true } },
    } });
    t.equal(up.status, 200);
    const section = () => e2eeSyncSection(server.hs, alice.userId, alice.deviceId, 0,
      server.hs.stream.durable);
    t.same((await section()).device_unused_fallback_key_types, ['signed_curve25519']);

    const claim = { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } };
    const claimed = async () => (await call(server, 'POST', 'keys/claim',
      { token: bob.token, body: claim })).body.one_time_keys[alice.userId][alice.deviceId];
    t.same(await claimed(), { 'signed_curve25519:OTK1': { key: 'otk' } });
    t.same(await claimed(), { 'signed_curve25519:FB1': { key: 'fallback', fallback: true } });
    t.same(await claimed(), { 'signed_curve25519:FB1': { key: 'fallback', fallback: true } },
      'the fallback key stays');
    t.same((await section()).device_unused_fallback_key_types, [], 'and is reported used');

    await call(server, 'POST', 'keys/upload', { token: alice.token, body: {
      fallback_keys: { 'signed_curve25519:FB2': { key: 'fresh', fallback: true } } } });
    t.same((await section()).device_unused_fallback_key_types, ['signed_curve25519'],
      'a new fallback key replaces the used one');
    t.same(await claimed(), { 'signed_curve25519:FB2': { key: 'fresh', fallback: true } });
  });

t.test('cross-signing keys: first upload is free, replacing them needs the password',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    const first = crossSigningSet(alice.userId);
    const upload = (body: Record<string, unknown>) => call(server, 'POST',
      'keys/device_signing/upload', { token: alice.token, body });

    t.equal((await upload(first.body)).status, 200, 'no master key yet: no UIA (spec v1.11)');
    t.equal((await upload(first.body)).status, 200, 'the same keys again: no UIA');

    const second = crossSigningSet(alice.userId);
    const challenge = await upload(second.body);
    t.equal(challenge.status, 401);
    t.same(challenge.body.flows, [{ stages: ['m.login.password'] }]);
    t.type(challenge.body.session, 'string');
    t.notOk(challenge.body.errcode, 'a first challenge carries no error');

    const identifier = { type: 'm.id.user', user: 'alice' };
    const wrong = await upload({ ...second.body, auth: { type: 'm.login.password', identifier,
      password: 'wrong', session: challenge.body.session } });
    t.equal(wrong.status, 401);
    t.equal(wrong.body.errcode, 'M_FORBIDDEN');
    t.same(wrong.body.flows, [{ stages: ['m.login.password'] }]);

    const ok = await upload({ ...second.body, auth: { type: 'm.login.password', identifier,
      password: PASSWORD, session: challenge.body.session } });
    t.equal(ok.status, 200);

    const asOwner = await call(server, 'POST', 'keys/query', { token: alice.token,
      body: { device_keys: { [alice.userId]: [] } } });
    t.same(asOwner.body.master_keys[alice.userId], second.body.master_key);
    t.same(asOwner.body.self_signing_keys[alice.userId], second.body.self_signing_key);
    t.same(asOwner.body.user_signing_keys[alice.userId], second.body.user_signing_key);
    const asOther = await call(server, 'POST', 'keys/query', { token: bob.token,
      body: { device_keys: { [alice.userId]: [] } } });
    t.same(asOther.body.master_keys[alice.userId], second.body.master_key);
    t.same(asOther.body.user_signing_keys, {}, 'the user-signing key is shown to its owner only');

    // Clients that remember the password send auth with the first request, without a session.
    const third = crossSigningSet(alice.userId);
    const direct = await upload({ ...third.body, auth: { type: 'm.login.password', identifier,
      password: PASSWORD } });
    t.equal(direct.status, 200);
  });

t.test('a self-signing key not signed by the master key is refused', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const master = crossSigningPair();
  const selfSigning = crossSigningPair();
  const res = await call(server, 'POST', 'keys/device_signing/upload', { token: alice.token,
    body: { master_key: crossSigningKey(alice.userId, 'master', master),
      self_signing_key: crossSigningKey(alice.userId, 'self_signing', selfSigning,
        crossSigningPair()) } });
  t.equal(res.status, 400);
  t.equal(res.body.errcode, 'M_INVALID_SIGNATURE');
});

t.test('uploaded signatures show in /keys/query; bad ones are reported as failures',
  async (t) => {
    const server = await startTestServer(t);
    const alice = await createUser(server, 'alice');
    const bob = await createUser(server, 'bob');
    const aliceKeys = deviceKeys(alice);
    await call(server, 'POST', 'keys/upload', { token: alice.token,
      body: { device_keys: aliceKeys } });
    const aliceCs = crossSigningSet(alice.userId);
    const bobCs = crossSigningSet(bob.userId);
    await call(server, 'POST', 'keys/device_signing/upload', { token: alice.token,
      body: aliceCs.body });
    await call(server, 'POST', 'keys/device_signing/upload', { token: bob.token,
      body: bobCs.body });

    const { signatures: _s, ...bare } = aliceKeys;
    const deviceSigned = signJson(bare, alice.userId, aliceCs.selfSigning);
    const bobMasterSigned = signJson(bobCs.body.master_key, alice.userId, aliceCs.userSigning);
    const forged = signJson(bobCs.body.master_key, alice.userId,
      { ...crossSigningPair(), keyId: aliceCs.userSigning.keyId });
    const res = await call(server, 'POST', 'keys/signatures/upload', { token: alice.token, body: {
      [alice.userId]: { [alice.deviceId]: deviceSigned },
      [bob.userId]: { [bobCs.master.publicKeyBase64]: bobMasterSigned },
    } });
    t.equal(res.status, 200);
    t.same(res.body, { failures: {} });

    const bad = await call(server, 'POST', 'keys/signatures/upload', { token: alice.token, body: {
      [bob.userId]: { [bobCs.master.publicKeyBase64]: forged, UNKNOWN: { keys: {} } },
    } });
    t.equal(bad.body.failures[bob.userId][bobCs.master.publicKeyBase64].errcode,
      'M_INVALID_SIGNATURE');
    t.equal(bad.body.failures[bob.userId].UNKNOWN.errcode, 'M_NOT_FOUND');

    const seenByBob = await call(server, 'POST', 'keys/query', { token: bob.token,
      body: { device_keys: { [alice.userId]: [], [bob.userId]: [] } } });
    const device = seenByBob.body.device_keys[alice.userId][alice.deviceId];
    t.equal(device.signatures[alice.userId][aliceCs.selfSigning.keyId],
      deviceSigned.signatures[alice.userId][aliceCs.selfSigning.keyId],
      'the self-signing signature is merged into the device keys');
    t.equal(device.signatures[alice.userId][`ed25519:${alice.deviceId}`],
      aliceKeys.signatures[alice.userId][`ed25519:${alice.deviceId}`], 'beside its own');
    t.same(seenByBob.body.master_keys[bob.userId], bobCs.body.master_key,
      "alice's user-signing signature is not shown to bob");

    const seenByAlice = await call(server, 'POST', 'keys/query', { token: alice.token,
      body: { device_keys: { [bob.userId]: [] } } });
    t.equal(seenByAlice.body.master_keys[bob.userId].signatures[alice.userId]
      [aliceCs.userSigning.keyId], bobMasterSigned.signatures[alice.userId]
      [aliceCs.userSigning.keyId], 'but is shown to alice');
  });

t.test('/keys/changes lists users sharing a room whose keys changed', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const carol = await createUser(server, 'carol');
  await sharedRoom(server, alice, [bob]);
  const from = syncToken(server);

  await call(server, 'POST', 'keys/upload', { token: bob.token,
    body: { device_keys: deviceKeys(bob) } });
  await call(server, 'POST', 'keys/upload', { token: carol.token,
    body: { device_keys: deviceKeys(carol) } });
  const to = syncToken(server);

  const res = await call(server, 'GET', `keys/changes?from=${from}&to=${to}`,
    { token: alice.token });
  t.equal(res.status, 200);
  t.same(res.body, { changed: [bob.userId], left: [] }, 'carol shares no room with alice');
  const none = await call(server, 'GET', `keys/changes?from=${to}&to=${to}`,
    { token: alice.token });
  t.same(none.body, { changed: [], left: [] });
  const missing = await call(server, 'GET', 'keys/changes', { token: alice.token });
  t.equal(missing.status, 400);
});

t.test('there is no room key backup', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const res = await call(server, 'GET', 'room_keys/version', { token: alice.token });
  t.equal(res.status, 404);
  t.equal(res.body.errcode, 'M_NOT_FOUND');
});
