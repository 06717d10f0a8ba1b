import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const ROOT = new URL('../../', import.meta.url).pathname;

t.test('the defaults load and hold the documented values', async (t) => {
  const config = loadConfig({ env: {} });
  t.equal(config.server_name, 'localhost');
  t.equal(config.listen.client.port, 8008);
  t.equal(config.listen.client.host, '127.0.0.1');
  t.equal(config.registration.enabled, false);
  t.equal(config.registration.shared_secret, null);
  t.equal(config.rooms.default_version, '10');
  t.equal(config.log.level, 'info');
  t.ok(Object.isFrozen(config.listen.client), 'the config is frozen');
});

t.test('a user file is laid over the defaults key by key', async (t) => {
  const dir = t.testdir({
    'user.yaml': 'server_name: example.org\nlisten:\n  client:\n    port: 9000\n',
  });
  const config = loadConfig({ file: `${dir}/user.yaml`, env: {} });
  t.equal(config.server_name, 'example.org');
  t.equal(config.listen.client.port, 9000);
  t.equal(config.listen.client.host, '127.0.0.1', 'sibling keys keep their defaults');
  const fromEnv = loadConfig({ env: { SWITCHBOARD_CONFIG: `${dir}/user.yaml` } });
  t.equal(fromEnv.server_name, 'example.org', 'SWITCHBOARD_CONFIG names the file too');
});

t.test('invalid settings are refused naming the field and what was expected', async (t) => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ listen: { client: { port: 'abc' } } }, 'listen.client.port', /TCP port/],
    [{ listen: { client: { port: 70000 } } }, 'listen.client.port', /65535/],
    [{ registration: { enabled: 'yes' } }, 'registration.enabled', /true or false/],
    [{ log: { level: 'loud' } }, 'log.level', /one of/],
    [{ server_name: 'bad name!' }, 'server_name', /hostname/],
    [{ rooms: { default_version: '5' } }, 'rooms.default_version', /"6" to "12"/],
    [{ registraton: { enabled: true } }, 'registraton', /unknown setting/],
    [{ registration: { shared_secret: 'short' } }, 'registration.shared_secret', /16 characters/],
    [{ bridge: { generic_topics: [{ pattern: 'a/{device}', command_topic: 'a/{room}/set' }] } },
      'bridge.generic_topics.0.command_topic', /\{room\} is not a capture of the pattern/],
    [{ bridge: { generic_topics: [{ pattern: 'a/{device}', command_topic: 'a/+/set' }] } },
      'bridge.generic_topics.0.command_topic', /wildcards/],
    [{ bridge: { generic_topics: [{ pattern: 'a/+/{device}' }] } },
      'bridge.generic_topics.0.pattern', /wildcard/],
    [{ bridge: { generic_topics: [{ pattern: 'a/{device}', command_payload: 'xml' }] } },
      'bridge.generic_topics.0.command_payload', /expected json .* or value/],
  ];
  for (const [overrides, field, expected] of cases) {
    let error: unknown;
    try {
      loadConfig({ overrides, env: {} });
    } catch (err) {
      error = err;
    }
    t.type(error, ConfigError, `${field} is refused`);
    t.equal((error as ConfigError).field, field);
    t.match((error as ConfigError).message, expected);
    t.ok((error as ConfigError).message.startsWith(field + ': '), 'the message starts with it');
  }
});

t.test('a file that is not YAML is refused with its path', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server_name: [unclosed\n' });
  t.throws(() => loadConfig({ file: `${dir}/bad.yaml`, env: {} }), /bad\.yaml is not valid YAML/);
  t.throws(() => loadConfig({ file: `${dir}/missing.yaml`, env: {} }), /cannot read config file/);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: Record<string, string> = {}):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, `${ROOT}src/main.ts`, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('the process exits non-zero on a bad config before any listener opens', async (t) => {
  const port = await freePort();
  const dir = t.testdir({
    'bad.yaml': `listen:\n  client:\n    port: ${port}\nlog:\n  level: chatty\n`,
  });
  const result = await run(['--config', `${dir}/bad.yaml`]);
  t.equal(result.code, 2);
  t.match(result.stderr, /config error: log\.level: expected one of/);
  t.notMatch(result.stdout, /listening/, 'nothing was listening');
  const probe = await fetch(`http://127.0.0.1:${port}/`).then(() => 'open', () => 'closed');
  t.equal(probe, 'closed', 'the port was never opened');
});

t.test('on start the log names each listener and the server name', async (t) => {
  const port = await freePort();
  const dir = t.testdir({});
  await writeFile(`${dir}/ok.yaml`, [
    'server_name: start.test', `data_dir: ${dir}/data`,
    'listen:', '  client:', `    port: ${port}`,
  ].join('\n'));
  const child = spawn(process.execPath, [...process.execArgv, `${ROOT}src/main.ts`],
    { cwd: ROOT, env: { ...process.env, SWITCHBOARD_CONFIG: `${dir}/ok.yaml` } });
  t.teardown(() => { child.kill('SIGKILL'); });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no start line: ' + out)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('switchboard started')) { clearTimeout(timer); resolve(); }
    });
  });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const listener = lines.find((l) => l.listener === 'client');
  t.equal(listener.url, `http://127.0.0.1:${port}`);
  t.equal(listener.server_name, 'start.test');
  const versions = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`);
  t.equal(versions.status, 200);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it cleanly');
});
