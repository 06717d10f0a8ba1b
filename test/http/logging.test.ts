import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';

t.test('no token or password reaches a log line, even at trace level', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-log-'));
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const config = loadConfig({ env: {}, overrides: {
    server_name: 'log.test', data_dir: dir, listen: { client: { host: '127.0.0.1', port: 0 } },
    registration: { enabled: true, shared_secret: null }, log: { level: 'trace' },
    bridge: { enabled: false },
  } });
  const server = await startServer(config, createLogger('trace', sink));
  t.teardown(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const base = `${server.clientUrl}/_matrix/client/v3`;
  const password = 'hunter2-but-longer';
  const post = (path: string, body: unknown) => fetch(base + path, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/register', { username: 'alice', password, auth: { type: 'm.login.dummy' } });
  const login = await (await post('/login', { type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'alice' }, password })).json() as any;
  const token = login.access_token as string;
  t.ok(token, 'logged in');
  await fetch(`${base}/account/whoami?access_token=${token}`);
  await fetch(`${base}/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
  await post('/login', { type: 'm.login.password', user: 'alice', password: 'wrong-password' });
  await fetch(`${base}/sync?access_token=not-a-real-token`);

  const log = lines.join('');
  t.ok(log.length > 0, 'the server logged at trace level');
  t.notOk(log.includes(token), 'the access token is not logged');
  t.notOk(log.includes(password), 'the password is not logged');
  t.notOk(log.includes('wrong-password'), 'a wrong password is not logged either');
  t.notOk(log.includes('not-a-real-token'), 'a bad token is not logged');
  t.match(log, /access_token=<redacted>/, 'URLs are logged with the token blanked');
});
