import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import t from 'tap';

import {
  createSigningKey,
  decodeBase64,
  generateSigningKey,
  loadOrCreateSigningKey,
  nativeEd25519,
  nobleEd25519,
  SIGNING_KEY_FILE,
} from '../../src/crypto/index.js';

t.test('createSigningKey derives the key ID and public key', async (t) => {
  const seed = new Uint8Array(32).fill(7);
  const key = createSigningKey(seed, 'abc_1');
  t.equal(key.keyId, 'ed25519:abc_1');
  t.equal(key.version, 'abc_1');
  t.same(key.publicKey, nobleEd25519.publicKeyFromSeed(seed));
  t.same(decodeBase64(key.publicKeyBase64), key.publicKey);
  t.notMatch(key.publicKeyBase64, /=/, 'public key is unpadded');
  const message = Buffer.from('m');
  t.ok(nobleEd25519.verify(key.publicKey, message, key.sign(message)));

  seed.fill(9);
  t.same(key.seed, new Uint8Array(32).fill(7), 'the key keeps its own copy of the seed');
});

t.test('createSigningKey refuses bad seeds and versions', async (t) => {
  t.throws(() => createSigningKey(new Uint8Array(31), '1'), /32 bytes/);
  t.throws(() => createSigningKey(new Uint8Array(32), ''), /version/);
  t.throws(() => createSigningKey(new Uint8Array(32), 'a:b'), /version/);
});

t.test('generateSigningKey makes distinct keys with short alphanumeric versions', async (t) => {
  const a = generateSigningKey();
  const b = generateSigningKey(nobleEd25519);
  t.match(a.version, /^a_[a-zA-Z0-9_]{4,6}$/);
  t.match(b.keyId, /^ed25519:a_[a-zA-Z0-9_]{4,6}$/);
  t.notSame(a.seed, b.seed);
  t.equal(a.seed.length, 32);
});

t.test('the key file is created on first start and read back later', async (t) => {
  const dir = join(t.testdir(), 'data', 'nested');
  const first = await loadOrCreateSigningKey(dir);
  const path = join(dir, SIGNING_KEY_FILE);

  const text = await readFile(path, 'utf8');
  t.match(text, /^ed25519 a_[a-zA-Z0-9_]+ [A-Za-z0-9+/]{43}\n$/);
  t.equal(text, `ed25519 ${first.version} ${Buffer.from(first.seed).toString('base64')
    .replace(/=+$/, '')}\n`);
  if (process.platform !== 'win32') {
    t.equal((await stat(path)).mode & 0o777, 0o600, 'only the owner can read the seed');
  }
  t.same(await readdir(dir), [SIGNING_KEY_FILE], 'no temporary file is left behind');

  const second = await loadOrCreateSigningKey(dir, nobleEd25519);
  t.equal(second.keyId, first.keyId);
  t.same(second.seed, first.seed);
  t.same(second.publicKey, first.publicKey);
  t.equal(await readFile(path, 'utf8'), text, 'the file is not rewritten');
});

t.test('a key file written by hand in the usual format is loaded', async (t) => {
  const dir = t.testdir({
    [SIGNING_KEY_FILE]: 'ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n',
  });
  const key = await loadOrCreateSigningKey(dir);
  t.equal(key.keyId, 'ed25519:1');
  t.same(key.publicKey,
    nativeEd25519.publicKeyFromSeed(decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')));
});

t.test('a malformed key file is rejected with the file and the problem named', async (t) => {
  const seed = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';
  const cases: Array<[string, RegExp]> = [
    ['', /exactly one line.*found 0/],
    [`ed25519 1 ${seed}\ned25519 2 ${seed}\n`, /exactly one line.*found 2/],
    [`ed25519 ${seed}\n`, /3 space-separated fields.*found 2/],
    [`rsa 1 ${seed}\n`, /unsupported key algorithm "rsa"/],
    [`ed25519 a:b ${seed}\n`, /key version "a:b"/],
    ['ed25519 1 not*base64\n', /not valid base64/],
    ['ed25519 1 Zm9vYmFy\n', /32 bytes, got 6/],
  ];
  for (const [contents, problem] of cases) {
    const dir = t.testdir();
    const path = join(dir, SIGNING_KEY_FILE);
    await writeFile(path, contents);
    await t.rejects(loadOrCreateSigningKey(dir), { message: problem }, JSON.stringify(contents));
    await t.rejects(loadOrCreateSigningKey(dir), { message: new RegExp('^' + escape(path)) });
    t.equal(await readFile(path, 'utf8'), contents, 'a bad file is never overwritten');
  }
});

t.test('an unreadable data directory is reported, not replaced', async (t) => {
  // A file where the directory should be: reading `<file>/signing.key` fails with ENOTDIR.
  const dir = t.testdir({ notadir: 'x' });
  await t.rejects(loadOrCreateSigningKey(join(dir, 'notadir')), { code: 'ENOTDIR' });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
