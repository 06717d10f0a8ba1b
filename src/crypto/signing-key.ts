// The server's own Ed25519 signing key (server-server API, "Retrieving server keys").
// On disk it is one line, `ed25519 <version> <unpadded base64 seed>`, the format other
// homeservers also use for their key files, so a key can be carried over by hand.

import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import { nativeEd25519, type Ed25519 } from './ed25519.js';

export interface SigningKey {
  /** The signing key identifier, `ed25519:<version>` (appendices, "Signing Details"). */
  keyId: string;
  version: string;
  seed: Uint8Array;
  publicKey: Uint8Array;
  publicKeyBase64: string;
  sign(message: Uint8Array): Uint8Array;
}

export const SIGNING_KEY_FILE = 'signing.key';

/** Key versions are the part of a key ID after the colon: `[a-zA-Z0-9_]+`. */
const VERSION_PATTERN = /^[a-zA-Z0-9_]+$/;
const VERSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SEED_LENGTH = 32;

export function createSigningKey(
  seed: Uint8Array,
  version: string,
  impl: Ed25519 = nativeEd25519,
): SigningKey {
  if (seed.length !== SEED_LENGTH) {
    throw new RangeError(`signing key seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
  }
  if (!VERSION_PATTERN.test(version)) {
    throw new RangeError(`signing key version ${JSON.stringify(version)} must match ` +
      '[a-zA-Z0-9_]+');
  }

  // Own copy, so a caller that reuses its buffer cannot change the key under us.
  const ownSeed = new Uint8Array(seed);
  const publicKey = impl.publicKeyFromSeed(ownSeed);
  return {
    keyId: `ed25519:${version}`,
    version,
    seed: ownSeed,
    publicKey,
    publicKeyBase64: encodeUnpaddedBase64(publicKey),
    sign: (message) => impl.sign(ownSeed, message),
  };
}

/** A fresh key with a random seed and a version such as `a_x7Qk`. */
export function generateSigningKey(impl: Ed25519 = nativeEd25519): SigningKey {
  let suffix = '';
  for (let i = 0; i < 4; i++) suffix += VERSION_ALPHABET[randomInt(VERSION_ALPHABET.length)];
  return createSigningKey(randomBytes(SEED_LENGTH), `a_${suffix}`, impl);
}

/**
 * Reads `<dataDir>/signing.key`, or creates it on first start. Creation writes a temporary
 * file, syncs it and renames it into place, so a crash never leaves a half-written key
 * behind: losing the key would make every event this server signed unverifiable.
 * @throws Error naming the file when it exists but is not a valid key file.
 */
export async function loadOrCreateSigningKey(
  dataDir: string,
  impl: Ed25519 = nativeEd25519,
): Promise<SigningKey> {
  const path = join(dataDir, SIGNING_KEY_FILE);

  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) return parseSigningKeyFile(text, path, impl);

  const key = generateSigningKey(impl);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomically(path, formatSigningKeyFile(key));
  return key;
}

export function formatSigningKeyFile(key: SigningKey): string {
  return `ed25519 ${key.version} ${encodeUnpaddedBase64(key.seed)}\n`;
}

/** Parses the one-line key file; `path` only names the file in error messages. */
export function parseSigningKeyFile(
  text: string,
  path: string,
  impl: Ed25519 = nativeEd25519,
): SigningKey {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== 1) {
    throw new Error(`${path}: expected exactly one line "ed25519 <version> <base64 seed>", ` +
      `found ${lines.length} lines`);
  }

  const fields = lines[0]!.trim().split(/\s+/);
  if (fields.length !== 3) {
    throw new Error(`${path}: expected 3 space-separated fields "ed25519 <version> ` +
      `<base64 seed>", found ${fields.length}`);
  }
  const [algorithm, version, seedBase64] = fields as [string, string, string];
  if (algorithm !== 'ed25519') {
    throw new Error(`${path}: unsupported key algorithm ${JSON.stringify(algorithm)}, ` +
      'expected "ed25519"');
  }
  if (!VERSION_PATTERN.test(version)) {
    throw new Error(`${path}: key version ${JSON.stringify(version)} must match [a-zA-Z0-9_]+`);
  }

  let seed: Uint8Array;
  try {
    seed = decodeBase64(seedBase64);
  } catch (err) {
    throw new Error(`${path}: key seed is not valid base64 (${(err as Error).message})`);
  }
  if (seed.length !== SEED_LENGTH) {
    throw new Error(`${path}: key seed must decode to ${SEED_LENGTH} bytes, got ${seed.length}`);
  }
  return createSigningKey(seed, version, impl);
}

async function writeFileAtomically(path: string, contents: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 'wx': never follow or reuse an existing file; 0600: the seed is a secret.
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** Makes the rename itself durable. Some platforms cannot open a directory; that is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only: the key file itself is already synced.
  }
}
