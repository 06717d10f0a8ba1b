// Ed25519, the only signing algorithm Matrix defines (appendices, "Signing Details").
// Two interchangeable implementations: node:crypto (OpenSSL) for speed, here, and
// @noble/ed25519 (pure JS, audited) as an independent second opinion and fallback, in
// ed25519-noble.ts so that the server does not load it unless asked to.

import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';

export interface Ed25519 {
  readonly name: string;
  /** The 32-byte public key for a 32-byte RFC 8032 seed. */
  publicKeyFromSeed(seed: Uint8Array): Uint8Array;
  /** A 64-byte signature. Ed25519 is deterministic: same seed and message, same bytes. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** False, never an exception, for a wrong signature or malformed key or signature. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export const SEED_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

// DER headers that wrap a raw key into the structures OpenSSL imports (RFC 8410):
// PKCS#8 OneAsymmetricKey holding the seed, and SubjectPublicKeyInfo holding the point.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A tiny bounded cache: importing a key costs far more than signing with it, and a server
 * signs with one key and verifies with the keys of the servers it talks to. Map keeps
 * insertion order, so dropping the first entry drops the oldest.
 */
class KeyCache {
  private readonly entries = new Map<string, KeyObject>();

  constructor(private readonly limit: number) {}

  get(raw: Uint8Array, build: (raw: Uint8Array) => KeyObject): KeyObject {
    const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    let key = this.entries.get(id);
    if (key === undefined) {
      key = build(raw);
      if (this.entries.size >= this.limit) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
      this.entries.set(id, key);
    }
    return key;
  }
}

const privateKeys = new KeyCache(16);
const publicKeys = new KeyCache(1024);

function importSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

function importPublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

export function checkSeed(seed: Uint8Array): void {
  if (seed.length !== SEED_LENGTH) {
    throw new RangeError(`ed25519 seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
  }
}

function toUint8Array(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export const nativeEd25519: Ed25519 = {
  name: 'node:crypto',

  publicKeyFromSeed(seed) {
    checkSeed(seed);
    const spki = createPublicKey(privateKeys.get(seed, importSeed))
      .export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },

  sign(seed, message) {
    checkSeed(seed);
    // Ed25519 hashes internally, so the digest algorithm argument must be null.
    return toUint8Array(cryptoSign(null, message, privateKeys.get(seed, importSeed)));
  },

  verify(publicKey, message, signature) {
    if (publicKey.length !== PUBLIC_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) {
      return false;
    }
    try {
      return cryptoVerify(null, message, publicKeys.get(publicKey, importPublicKey), signature);
    } catch {
      // A public key that is not a valid curve point fails to import.
      return false;
    }
  },
};
