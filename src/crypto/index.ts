// The crypto core: canonical JSON, base64, Ed25519, signing keys, JSON signatures and
// event hashes. Other modules import from here rather than from the files.

export { decodeBase64, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.js';
export { CanonicalJsonError, canonicalJson, compareCodePoints } from './canonical-json.js';
export { nativeEd25519, type Ed25519 } from './ed25519.js';
export { nobleEd25519 } from './ed25519-noble.js';
export {
  addContentHash,
  computeContentHash,
  computeReferenceHash,
  eventIdFromReferenceHash,
  sha256,
} from './hashes.js';
export { signJson, verifyJsonSignature, type Signatures } from './json-signing.js';
export {
  createSigningKey,
  formatSigningKeyFile,
  generateSigningKey,
  loadOrCreateSigningKey,
  parseSigningKeyFile,
  SIGNING_KEY_FILE,
  type SigningKey,
} from './signing-key.js';
