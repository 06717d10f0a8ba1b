import { createHash } from 'node:crypto';
import { canonicalJson } from '../crypto/canonical-json.js';
import { encodeUnpaddedBase64, encodeUnpaddedBase64Url } from '../crypto/base64.js';
import type { SigningKey } from '../crypto/signing-key.js';
import type { PDU, PDUFields } from './event.js';
import { redactEvent } from './redaction.js';
import type { RoomVersion } from './room-versions.js';

/** The largest PDU the spec allows, in bytes of its canonical JSON. */
export const MAX_PDU_BYTES = 65_536;

export interface ServerIdentity {
  serverName: string;
  key: SigningKey;
}

/** What a caller gives to make an event; the envelope is filled in by the factory. */
export interface EventDraft {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  state_key?: string;
  /** The event a redaction targets (placed top-level or in content as the version says). */
  redacts?: string;
}


export class EventTooLargeError extends Error {}

/**
 * Completes, hashes and signs a PDU and computes its event ID, per the server-server API
 * ("Signing events": content hash first, then sign the redacted form; event IDs of room
 * version 4+ are the URL-safe reference hash). The signed bytes and the reference hash are
 * the same canonical JSON, so it is built once.
 */
export function finishEvent(
  fields: PDUFields,
  version: RoomVersion,
  identity: ServerIdentity,
): { pdu: PDU; eventId: string } {
  const unhashedJson = canonicalJson(fields);
  const fieldsBytes = Buffer.byteLength(unhashedJson, 'utf8');
  // Refuse a plainly oversized event before paying for its signature.
  if (fieldsBytes > MAX_PDU_BYTES) {
    throw new EventTooLargeError(`event is larger than ${MAX_PDU_BYTES} bytes`);
  }
  const contentHash = createHash('sha256').update(unhashedJson).digest();
  const hashed = { ...fields, hashes: { sha256: encodeUnpaddedBase64(contentHash) } };

  // Signed over the redacted event without signatures or unsigned; `hashed` has neither.
  const signedBytes = Buffer.from(canonicalJson(redactEvent(hashed as PDU, version)), 'utf8');
  const signature = identity.key.sign(signedBytes);
  const pdu = { ...hashed, signatures: {
    [identity.serverName]: { [identity.key.keyId]: encodeUnpaddedBase64(signature) },
  } } as PDU;

  const referenceHash = createHash('sha256').update(signedBytes).digest();
  const eventId = '$' + encodeUnpaddedBase64Url(referenceHash);

  // Exactly: the canonical PDU is the fields plus `"hashes":{..},"signatures":{..}`.
  const envelope = JSON.stringify({ hashes: pdu.hashes, signatures: pdu.signatures });
  if (fieldsBytes + envelope.length > MAX_PDU_BYTES) {
    throw new EventTooLargeError(`event is larger than ${MAX_PDU_BYTES} bytes`);
  }
  return { pdu, eventId };
}

/** v12: the room ID is the create event's reference hash with a '!' sigil. */
export function roomIdFromCreateEventId(createEventId: string): string {
  return '!' + createEventId.slice(1);
}
