import { randomBytes, randomInt } from 'node:crypto';

import t from 'tap';

import {
  decodeBase64,
  encodeUnpaddedBase64,
  encodeUnpaddedBase64Url,
} from '../../src/crypto/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('the unpadded examples of the spec appendix', async (t) => {
  // appendices.md "Unpadded Base64".
  const examples: Array<[string, string]> = [
    ['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of examples) {
    t.equal(encodeUnpaddedBase64(utf8(plain)), encoded, `encode "${plain}"`);
    t.same(decodeBase64(encoded), utf8(plain), `decode "${encoded}"`);
  }
});

t.test('random bytes round-trip through both alphabets', async (t) => {
  let ok = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = new Uint8Array(randomBytes(randomInt(0, 70)));
    const std = encodeUnpaddedBase64(bytes);
    const url = encodeUnpaddedBase64Url(bytes);
    const fine =
      !std.includes('=') && !url.includes('=') &&
      /^[A-Za-z0-9+/]*$/.test(std) && /^[A-Za-z0-9_-]*$/.test(url) &&
      Buffer.compare(decodeBase64(std), bytes) === 0 &&
      Buffer.compare(decodeBase64(url), bytes) === 0 &&
      Buffer.compare(decodeBase64(Buffer.from(bytes).toString('base64')), bytes) === 0;
    if (fine) ok++;
    else t.fail(`round trip failed for ${Buffer.from(bytes).toString('hex')}`);
  }
  t.equal(ok, 300);
});

t.test('the URL-safe alphabet uses "-" and "_" for 62 and 63', async (t) => {
  const bytes = Uint8Array.of(0xfb, 0xff, 0xbf);
  t.equal(encodeUnpaddedBase64(bytes), '+/+/');
  t.equal(encodeUnpaddedBase64Url(bytes), '-_-_');
  t.same(decodeBase64('-_-_'), bytes);
});

t.test('padded input is accepted, padding in the wrong place is not', async (t) => {
  t.same(decodeBase64('Zg=='), utf8('f'));
  t.same(decodeBase64('Zm8='), utf8('fo'));
  t.throws(() => decodeBase64('Zg='), /padding/);
  t.throws(() => decodeBase64('Zg=a'), /padding/);
  t.throws(() => decodeBase64('Z==='), /padding/);
});

t.test('invalid characters and impossible lengths are rejected', async (t) => {
  for (const bad of ['Zm9v!', 'Zm 9v', 'Zm9v\n', 'é', 'Z']) {
    t.throws(() => decodeBase64(bad), /invalid base64/, JSON.stringify(bad));
  }
});

t.test('encoding reads a subarray at its own offset', async (t) => {
  const whole = utf8('xxfooyy');
  t.equal(encodeUnpaddedBase64(whole.subarray(2, 5)), 'Zm9v');
});
