import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

const enc = encodeURIComponent;

t.test('account data', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const bob = await createUser(server, 'bob');
  const base = `user/${enc(alice.userId)}`;
  const auth = { token: alice.token };
  const roomId = '!someroom:test.local';

  t.test('global data round-trips and takes a new stream position each write', async (t) => {
    let res = await call(server, 'PUT', `${base}/account_data/org.example.cfg`,
      { ...auth, body: { theme: 'dark' } });
    t.equal(res.status, 200);
    t.same(res.body, {});
    const first = await server.hs.accountData.get(alice.userId, '', 'org.example.cfg');
    res = await call(server, 'PUT', `${base}/account_data/org.example.cfg`,
      { ...auth, body: { theme: 'light' } });
    const second = await server.hs.accountData.get(alice.userId, '', 'org.example.cfg');
    t.ok(second!.pos > first!.pos);
    t.ok(server.hs.stream.durable >= second!.pos, 'the position is durable once answered');
    res = await call(server, 'GET', `${base}/account_data/org.example.cfg`, auth);
    t.same(res.body, { theme: 'light' });
    const changed = await server.hs.accountData.changedSince(alice.userId, first!.pos - 1);
    t.same(changed.map((r) => r.content), [{ theme: 'light' }],
      'the stream holds one entry per type');
  });

  t.test('room data is separate from global data', async (t) => {
    let res = await call(server, 'PUT', `${base}/rooms/${enc(roomId)}/account_data/m.tag.x`,
      { ...auth, body: { a: 1 } });
    t.equal(res.status, 200);
    res = await call(server, 'GET', `${base}/rooms/${enc(roomId)}/account_data/m.tag.x`, auth);
    t.same(res.body, { a: 1 });
    res = await call(server, 'GET', `${base}/account_data/m.tag.x`, auth);
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
  });

  t.test("another user's data is M_FORBIDDEN either way", async (t) => {
    for (const [method, path] of [
      ['PUT', `${base}/account_data/x.y`], ['GET', `${base}/account_data/org.example.cfg`],
      ['PUT', `${base}/rooms/${enc(roomId)}/account_data/x.y`],
      ['GET', `${base}/rooms/${enc(roomId)}/account_data/m.tag.x`],
    ] as const) {
      const res = await call(server, method, path,
        method === 'PUT' ? { token: bob.token, body: {} } : { token: bob.token });
      t.equal(res.status, 403, `${method} ${path}`);
      t.equal(res.body.errcode, 'M_FORBIDDEN');
    }
  });

  t.test('server-controlled types are 405 M_BAD_JSON', async (t) => {
    let res = await call(server, 'PUT', `${base}/rooms/${enc(roomId)}/account_data/m.fully_read`,
      { ...auth, body: { event_id: '$x' } });
    t.equal(res.status, 405);
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'PUT', `${base}/account_data/m.fully_read`,
      { ...auth, body: { event_id: '$x' } });
    t.equal(res.status, 405);
  });

  t.test('bodies must be objects and room IDs valid', async (t) => {
    let res = await call(server, 'PUT', `${base}/account_data/x.y`, { ...auth, body: [1, 2] });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'PUT', `${base}/account_data/x.y`, { ...auth, rawBody: '{nope' });
    t.equal(res.body.errcode, 'M_NOT_JSON');
    res = await call(server, 'PUT', `${base}/rooms/not-a-room/account_data/x.y`,
      { ...auth, body: {} });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
  });
});
