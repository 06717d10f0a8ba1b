import { decodeBase64 } from '../crypto/base64.js';
import { canonicalJson } from '../crypto/canonical-json.js';
import { verifyJsonSignature } from '../crypto/json-signing.js';
import { MatrixError } from '../http/errors.js';
import type { KeyObject } from '../storage/level/e2e-keys.js';
import type { Json } from './validate.js';

/** The spec's error for a bad key signature (cross-signing module). */
export function invalidSignature(message: string): MatrixError {
  return new MatrixError('M_INVALID_SIGNATURE', message);
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equal as canonical JSON; values that have no canonical form compare as plain JSON. */
export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}

/** The signed part of a key object: what its signatures cover. */
export function signedPart(key: KeyObject): KeyObject {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = key;
  return rest;
}

/** The Ed25519 public key a key object lists under `keyId` ("ed25519:..."), decoded. */
function ed25519Key(key: KeyObject | undefined, keyId: string): Uint8Array | undefined {
  const keys = key?.keys;
  if (!isObject(keys) || !keyId.startsWith('ed25519:')) return undefined;
  const value = keys[keyId];
  if (typeof value !== 'string') return undefined;
  try {
    return decodeBase64(value);
  } catch {
    return undefined;
  }
}

/** The single key ID ("ed25519:<public key>") of a cross-signing key. */
export function crossSigningKeyId(key: KeyObject): string {
  return Object.keys(key.keys as Json)[0]!;
}

/** The public key of a cross-signing key, which is also its ID in /keys/signatures/upload. */
export function crossSigningPublicKey(key: KeyObject): string {
  return crossSigningKeyId(key).slice('ed25519:'.length);
}

/** Whether `key` carries a valid signature by `signer` with the key `signerKeyId` of `by`. */
export function signedBy(key: KeyObject, signer: string, by: KeyObject | undefined,
  signerKeyId: string): boolean {
  const publicKey = ed25519Key(by, signerKeyId);
  return publicKey !== undefined && verifyJsonSignature(key, signer, signerKeyId, publicKey);
}

/** `signatures` of a key object, or an empty map when it has none. */
export function signaturesOf(key: KeyObject): Record<string, Record<string, string>> {
  const signatures = key.signatures;
  if (!isObject(signatures)) return {};
  const out: Record<string, Record<string, string>> = {};
  for (const [signer, byKey] of Object.entries(signatures)) {
    if (!isObject(byKey)) continue;
    for (const [keyId, signature] of Object.entries(byKey)) {
      if (typeof signature === 'string') (out[signer] ??= {})[keyId] = signature;
    }
  }
  return out;
}

/** A copy of `key` with extra signatures merged into its own. */
export function withSignatures(key: KeyObject,
  extra: Record<string, Record<string, string>>): KeyObject {
  if (key.signatures === undefined && Object.keys(extra).length === 0) return { ...key };
  const merged = signaturesOf(key);
  for (const [signer, byKey] of Object.entries(extra)) {
    merged[signer] = { ...merged[signer], ...byKey };
  }
  return { ...key, signatures: merged };
}
