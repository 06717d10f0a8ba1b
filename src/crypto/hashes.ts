// Event hashes, server-server API "Signing Events": the content hash covers the whole
// event, the reference hash only what survives redaction; from room version 4 the event
// ID is the reference hash (rooms/fragments/v4-event-ids).

import { createHash } from 'node:crypto';

import { encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.js';
import { canonicalJson } from './canonical-json.js';

/** SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Uint8Array {
  const digest = typeof data === 'string'
    ? createHash('sha256').update(data, 'utf8').digest()
    : createHash('sha256').update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/**
 * "Calculating the content hash for an event": SHA-256 of the canonical JSON of the event
 * without `unsigned`, `signatures` and `hashes`, as unpadded base64.
 * @throws CanonicalJsonError when the event has no canonical JSON form.
 */
export function computeContentHash(event: Record<string, unknown>): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...covered } = event;
  return encodeUnpaddedBase64(sha256(canonicalJson(covered)));
}

/** A copy of `event` with `hashes` set to `{ sha256: <content hash> }`. */
export function addContentHash<T extends Record<string, unknown>>(
  event: T,
): T & { hashes: { sha256: string } } {
  return { ...event, hashes: { sha256: computeContentHash(event) } };
}

/**
 * "Calculating the reference hash for an event", steps 2 to 4. Step 1, redaction, is the
 * caller's job (it depends on the room version and lives in src/rooms): pass the event
 * already redacted.
 */
export function computeReferenceHash(redactedEvent: Record<string, unknown>): Uint8Array {
  const { signatures: _s, unsigned: _u, ...covered } = redactedEvent;
  return sha256(canonicalJson(covered));
}

/** Room version 4+ event ID: `$` and the reference hash in URL-safe unpadded base64. */
export function eventIdFromReferenceHash(hash: Uint8Array): string {
  return '$' + encodeUnpaddedBase64Url(hash);
}
