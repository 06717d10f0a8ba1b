import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { hashPassword } from '../../src/accounts/passwords.js';
import { ConfigError } from '../../src/config/load.js';
import { DeviceAuth, isLoopback } from '../../src/mqtt/device-auth.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { filterCovers, topicMatches } from '../../src/mqtt/topic-filter.js';
import { captureLog, client, startEmbedded, tempDir } from './helpers.js';

t.test('topic filters match as MQTT 3.1.1 section 4.7 says', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true], ['a/+', 'a/b', true], ['a/+', 'a/b/c', false],
    ['a/#', 'a', true], ['a/#', 'a/b/c', true], ['#', 'x/y', true], ['+/+', '/x', true],
    ['#', '$SYS/x', false], ['+/x', '$SYS/x', false], ['$SYS/#', '$SYS/x', true],
    ['a/b', 'a/c', false], ['a/+/c', 'a//c', true],
  ];
  for (const [filter, topic, expected] of cases) {
    t.equal(topicMatches(filter, topic), expected, `${filter} vs ${topic}`);
  }
});

t.test('an ACL filter covers a subscription only if it covers all it can match', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['dev/#', 'dev/a/b', true], ['dev/#', 'dev/+/b', true], ['dev/#', 'dev/#', true],
    ['dev/+', 'dev/#', false], ['dev/+', 'dev/+', true], ['dev/a', 'dev/+', false],
    ['dev/#', '#', false], ['#', '$SYS/#', false], ['+/x', 'a/x', true],
  ];
  for (const [allowed, requested, expected] of cases) {
    t.equal(filterCovers(allowed, requested), expected, `${allowed} covers ${requested}`);
  }
});

t.test('loopback is 127.0.0.0/8, ::1 and IPv4-mapped 127.x', async (t) => {
  for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['192.0.2.7', '::ffff:192.0.2.7', '2001:db8::1', undefined, '']) {
    t.notOk(isLoopback(a), String(a));
  }
});

t.test('anonymous clients: loopback only without users, refused with users', async (t) => {
  const open = new DeviceAuth([], false);
  t.ok((await open.authenticate(undefined, undefined, '127.0.0.1')).ok);
  t.notOk((await open.authenticate(undefined, undefined, '192.0.2.7')).ok,
    'a network address needs credentials');
  t.ok((await new DeviceAuth([], true).authenticate(undefined, undefined, '192.0.2.7')).ok,
    'allow_anonymous opens it');

  const hash = await hashPassword('pw');
  const locked = new DeviceAuth([{ username: 'u', password_hash: hash }], false);
  t.notOk((await locked.authenticate(undefined, undefined, '127.0.0.1')).ok,
    'with users, not even loopback is anonymous');
  const allowed = new DeviceAuth([{ username: 'u', password_hash: hash }], true);
  t.ok((await allowed.authenticate(undefined, undefined, '192.0.2.7')).ok);
});

t.test('device credentials and ACLs on a real broker', async (t) => {
  const users = [{
    username: 'plug', password_hash: await hashPassword('s3cret'),
    publish: ['tasmota/%u/#'], subscribe: ['cmnd/%u/+'],
  }];
  const { broker, url, lines } = await startEmbedded(t, { users });
  const seen: string[] = [];
  await broker.subscribe('#', async (m) => {
    seen.push(m.topic);
  });

  await t.rejects(client(t, url, { username: 'plug', password: 'wrong' }),
    /Bad username or password/, 'a wrong password is refused');
  await t.rejects(client(t, url, { username: 'nobody', password: 's3cret' }),
    /Bad username or password/, 'an unknown user is refused');
  await t.rejects(client(t, url), /Not authorized/, 'anonymous is refused when users exist');
  t.notOk(JSON.stringify(lines).includes('s3cret'), 'no password in the log');

  const plug = await client(t, url, { username: 'plug', password: 's3cret' });
  await plug.publishAsync('tasmota/plug/SENSOR', '{}', { qos: 1 });
  t.same(seen, ['tasmota/plug/SENSOR'], 'a publish inside the ACL goes through');

  t.same((await plug.subscribeAsync('cmnd/plug/POWER', { qos: 1 })).map((g) => g.qos), [1]);
  // MQTT.js rejects a SUBACK holding a failure (0x80) and keeps the packet on the error.
  const refused = await plug.subscribeAsync({ 'cmnd/#': { qos: 1 },
    'cmnd/other/POWER': { qos: 1 } }).catch((err: { packet?: { granted: number[] } }) => err);
  t.same((refused as { packet?: { granted: number[] } }).packet?.granted, [128, 128],
    'subscriptions outside the ACL fail');

  const closed = new Promise<void>((resolve) => plug.once('close', () => resolve()));
  plug.publish('tasmota/other/SENSOR', '{}', { qos: 1 });
  await closed;
  t.same(seen, ['tasmota/plug/SENSOR'], 'a publish outside the ACL is dropped');
  t.ok(lines.some((l) => l.msg === 'mqtt publish denied' && l.topic === 'tasmota/other/SENSOR'));

  const again = await client(t, url, { username: 'plug', password: 's3cret' });
  t.ok(again.connected, 'a known password reconnects (served from the verified cache)');
});

function makeCert(dir: string): boolean {
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    return existsSync(join(dir, 'cert.pem'));
  } catch {
    return false;
  }
}

t.test('MQTT over TLS with the configured certificate', async (t) => {
  const dir = tempDir(t);
  if (!makeCert(dir)) {
    if (process.env.CI === 'true') {
      t.fail('openssl is required under CI=true (it makes the test certificate)');
      return;
    }
    t.plan(0, 'openssl is not installed: no test certificate, so TLS is not tested');
    return;
  }
  const cert = join(dir, 'cert.pem');
  const { broker } = await startEmbedded(t, { tls: { port: 0, cert, key: join(dir, 'key.pem') } });
  const seen: string[] = [];
  await broker.subscribe('secure/#', async (m) => {
    seen.push(m.topic);
  });
  const port = broker.describe().tls_port as number;
  const { readFileSync } = await import('node:fs');
  const c = await client(t, `mqtts://127.0.0.1:${port}`, { ca: readFileSync(cert),
    rejectUnauthorized: true });
  await c.publishAsync('secure/1', 'x', { qos: 1 });
  t.same(seen, ['secure/1']);
});

t.test('a missing TLS file is named by its config key', async (t) => {
  const dir = tempDir(t);
  const broker = new EmbeddedBroker({ mode: 'embedded', host: '127.0.0.1', port: 0,
    tls: { cert: join(dir, 'absent.pem'), key: join(dir, 'absent-key.pem') } }, dir,
  captureLog().log);
  t.teardown(() => broker.close());
  const err = await broker.start().catch((e: unknown) => e);
  t.ok(err instanceof ConfigError);
  t.equal((err as ConfigError).field, 'mqtt.tls.cert');
  t.match((err as Error).message, /ENOENT/);
});
