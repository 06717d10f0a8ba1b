// Signing JSON and checking a signature: appendices "Signing Details" and "Checking for a
// Signature". Events are signed the same way after redaction (server-server API,
// "Signing Events"); redaction itself belongs to src/rooms.

import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';
import { nativeEd25519, type Ed25519 } from './ed25519.js';
import type { SigningKey } from './signing-key.js';

/** `signatures[entity][keyId] = unpadded base64 signature`. */
export type Signatures = Record<string, Record<string, string>>;

/**
 * Returns a copy of `obj` signed by `signerName` with `key`. The signature covers the
 * canonical JSON of the object without `signatures` and `unsigned`; existing signatures
 * (also from other entities) are kept, and `unsigned` is carried over untouched.
 * The input is not modified.
 * @throws CanonicalJsonError when the object cannot be encoded as canonical JSON.
 * @throws TypeError when an existing `signatures` member is not a JSON object.
 */
export function signJson<T extends object>(
  obj: T,
  signerName: string,
  key: SigningKey,
): T & { signatures: Signatures } {
  const { signatures, unsigned, ...signed } = obj as Record<string, unknown>;

  const bytes = Buffer.from(canonicalJson(signed), 'utf8');
  const signature = encodeUnpaddedBase64(key.sign(bytes));

  const merged = copySignatures(signatures);
  merged[signerName] = { ...merged[signerName], [key.keyId]: signature };

  const result: Record<string, unknown> = { ...signed, signatures: merged };
  if (unsigned !== undefined) result.unsigned = unsigned;
  return result as T & { signatures: Signatures };
}

/**
 * Whether `obj` carries a valid signature by `signerName` under `keyId`, checked with
 * `publicKey`. Steps of "Checking for a Signature": a missing entry, an algorithm other
 * than ed25519, undecodable base64 or a bad signature all give false. So does an object
 * that has no canonical JSON form (a float, say): no correct signer could have signed it.
 */
export function verifyJsonSignature(
  obj: object,
  signerName: string,
  keyId: string,
  publicKey: Uint8Array,
  impl: Ed25519 = nativeEd25519,
): boolean {
  const { signatures, unsigned: _unsigned, ...signed } = obj as Record<string, unknown>;

  // Steps 1 and 2: the entity's entry, for an algorithm we understand.
  if (!keyId.startsWith('ed25519:')) return false;
  const encoded = lookUpSignature(signatures, signerName, keyId);
  if (encoded === undefined) return false;

  // Step 4: decode.
  let signature: Uint8Array;
  try {
    signature = decodeBase64(encoded);
  } catch {
    return false;
  }

  // Steps 5 to 7: encode the rest canonically and check.
  let json: string;
  try {
    json = canonicalJson(signed);
  } catch (err) {
    if (err instanceof CanonicalJsonError) return false;
    throw err;
  }
  return impl.verify(publicKey, Buffer.from(json, 'utf8'), signature);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copySignatures(signatures: unknown): Signatures {
  if (signatures === undefined) return {};
  if (!isJsonObject(signatures)) throw new TypeError('"signatures" must be a JSON object');
  const copy: Signatures = {};
  for (const [entity, byKey] of Object.entries(signatures)) {
    if (!isJsonObject(byKey)) {
      throw new TypeError(`"signatures.${entity}" must be a JSON object`);
    }
    copy[entity] = { ...(byKey as Record<string, string>) };
  }
  return copy;
}

function lookUpSignature(signatures: unknown, entity: string, keyId: string): string | undefined {
  if (!isJsonObject(signatures)) return undefined;
  const byKey = Object.hasOwn(signatures, entity) ? signatures[entity] : undefined;
  if (!isJsonObject(byKey) || !Object.hasOwn(byKey, keyId)) return undefined;
  const value = byKey[keyId];
  return typeof value === 'string' ? value : undefined;
}
