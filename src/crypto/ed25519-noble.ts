// @noble/ed25519 behind the same Ed25519 interface as node:crypto: the portable
// implementation, and an independent cross-check of the native one in tests.

import { createHash } from 'node:crypto';
import * as noble from '@noble/ed25519';
import { checkSeed, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, type Ed25519 } from './ed25519.js';

// noble's synchronous API needs a SHA-512 to be plugged in (v3 ships without one). This
// sets it on the shared noble module, which is harmless: any SHA-512 gives the same bytes.
// noble's types want a Uint8Array over a plain ArrayBuffer, hence the 64-byte copy.
noble.hashes.sha512 = (message) => new Uint8Array(createHash('sha512').update(message).digest());

export const nobleEd25519: Ed25519 = {
  name: '@noble/ed25519',

  publicKeyFromSeed(seed) {
    checkSeed(seed);
    return noble.getPublicKey(seed);
  },

  sign(seed, message) {
    checkSeed(seed);
    return noble.sign(message, seed);
  },

  verify(publicKey, message, signature) {
    if (publicKey.length !== PUBLIC_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) {
      return false;
    }
    try {
      // zip215: false selects RFC 8032 verification, the rules OpenSSL and libsodium
      // (which most homeservers use) follow, rather than the more permissive ZIP-215.
      return noble.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};
