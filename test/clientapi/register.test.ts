import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { call, startTestServer } from '../helpers/server.js';

const SECRET = 'test-shared-secret-0123456789';
const ROOT = new URL('../../', import.meta.url).pathname;

function mac(nonce: string, user: string, password: string, admin: boolean, secret = SECRET) {
  return createHmac('sha1', secret)
    .update([nonce, user, password, admin ? 'admin' : 'notadmin'].join('\u0000')).digest('hex');
}

t.test('the shared-secret route registers a user only with a fresh nonce and the right HMAC',
  async (t) => {
    const server = await startTestServer(t);
    const route = '/_synapse/admin/v1/register';
    const nonce = (await call(server, 'GET', route)).body.nonce as string;
    t.match(nonce, /^[0-9a-f]{32}$/);

    const wrong = await call(server, 'POST', route, { body: { nonce, username: 'op',
      password: 'pass-word-1', admin: false, mac: mac(nonce, 'op', 'pass-word-1', false, 'x') } });
    t.equal(wrong.status, 403, 'a wrong HMAC is refused');
    const reused = await call(server, 'POST', route, { body: { nonce, username: 'op',
      password: 'pass-word-1', admin: false, mac: mac(nonce, 'op', 'pass-word-1', false) } });
    t.equal(reused.status, 403, 'a nonce works once, even after a failed try');

    const fresh = (await call(server, 'GET', route)).body.nonce as string;
    const ok = await call(server, 'POST', route, { body: { nonce: fresh, username: 'op',
      password: 'pass-word-1', admin: true, mac: mac(fresh, 'op', 'pass-word-1', true) } });
    t.equal(ok.status, 200);
    t.equal(ok.body.user_id, '@op:test.local');
    const whoami = await call(server, 'GET', 'account/whoami', { token: ok.body.access_token });
    t.equal(whoami.body.user_id, '@op:test.local', 'the returned token works');
    t.equal((await server.hs.accounts.getUser('@op:test.local'))?.admin, true);
  });

t.test('the route is closed when no shared secret is configured', async (t) => {
  const server = await startTestServer(t, {
    registration: { enabled: false, shared_secret: null },
  });
  const res = await call(server, 'GET', '/_synapse/admin/v1/register');
  t.equal(res.status, 403);
  t.equal(res.body.errcode, 'M_FORBIDDEN');
  const reg = await call(server, 'POST', 'register', { body: { username: 'x', password: 'y' } });
  t.equal(reg.body.errcode, 'M_FORBIDDEN', 'open registration is off by default');
});

t.test('scripts/add-user adds a user without opening registration', async (t) => {
  const dir = t.testdir({});
  writeFileSync(`${dir}/config.yaml`, `server_name: cli.test\ndata_dir: ${dir}/data\n`);
  const run = (args: string[]) => spawnSync(process.execPath,
    [...process.execArgv, `${ROOT}scripts/add-user.ts`, ...args, '--config', `${dir}/config.yaml`],
    { cwd: ROOT, encoding: 'utf8' });
  const first = run(['carol', '--password', 'long-enough-pw']);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /created @carol:cli\.test/);
  const again = run(['carol', '--password', 'long-enough-pw']);
  t.equal(again.status, 1, 'an existing user is refused');
  t.match(again.stderr, /already taken/);

  const server = await startTestServer(t, { server_name: 'cli.test' }, `${dir}/data`);
  const login = await call(server, 'POST', 'login', { body: { type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'carol' }, password: 'long-enough-pw' } });
  t.equal(login.status, 200, 'the new user logs in');
});
