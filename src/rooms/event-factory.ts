import { createHash } from 'node:crypto';
import { canonicalJson } from '../crypto/canonical-json.js';
import { encodeUnpaddedBase64, encodeUnpaddedBase64Url } from '../crypto/base64.js';
import type { SigningKey } from '../crypto/signing-key.js';
import type { PDU, PDUFields } from './event.js';
import { redactedView } from './redaction.js';
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

/** An event with its hashes and ID, whose signature is still to be made. */
export interface PreparedEvent {
  /** The PDU; its `signatures` object is empty until `addSignature`. */
  pdu: PDU;
  eventId: string;
  /** The bytes to sign: the canonical JSON of the redacted event without signatures. */
  signedBytes: Uint8Array;
}

/** The base64 length of every Ed25519 signature (64 bytes, unpadded). */
const SIGNATURE_BASE64_LENGTH = 86;
/** The base64 length of every SHA-256 content hash (32 bytes, unpadded). */
const SHA256_BASE64_LENGTH = 43;

/**
 * Completes and hashes a PDU and computes its event ID, per the server-server API ("Signing
 * events": content hash first, then the signature over the redacted form; event IDs of room
 * version 4+ are the URL-safe reference hash). The reference hash covers the same bytes as
 * the signature and not the signature itself, so the ID is known before signing and the
 * signature can be made later (batched, off the main thread) as long as it is added before
 * anyone else sees the event. The signed bytes are built once for both.
 */
export function prepareEvent(fields: PDUFields, version: RoomVersion, identity: ServerIdentity):
  PreparedEvent {
  const unhashedJson = canonicalJson(fields);
  const fieldsBytes = Buffer.byteLength(unhashedJson, 'utf8');
  // Refuse a plainly oversized event before paying for its hashes and signature.
  if (fieldsBytes > MAX_PDU_BYTES) {
    throw new EventTooLargeError(`event is larger than ${MAX_PDU_BYTES} bytes`);
  }
  const contentHash = encodeUnpaddedBase64(createHash('sha256').update(unhashedJson).digest());
  // Object.assign, not `{ ...fields, hashes, signatures }`: with Node 20's V8 that literal
  // gave every PDU a hidden class of its own (~360 bytes each), not one per field layout.
  const pdu = Object.assign({}, fields,
    { hashes: { sha256: contentHash }, signatures: {} }) as PDU;

  // Signed over the redacted event without signatures or unsigned.
  const { signatures: _, ...unsigned } = redactedView(pdu, version);
  const signedBytes = Buffer.from(canonicalJson(unsigned), 'utf8');
  const referenceHash = createHash('sha256').update(signedBytes).digest();
  const eventId = '$' + encodeUnpaddedBase64Url(referenceHash);

  // Exactly: the canonical PDU is the fields plus `"hashes":{..},"signatures":{..}`, and
  // every content hash and signature has the same length.
  if (fieldsBytes + envelopeBytes(identity) > MAX_PDU_BYTES) {
    throw new EventTooLargeError(`event is larger than ${MAX_PDU_BYTES} bytes`);
  }
  return { pdu, eventId, signedBytes };
}

const envelopeSizes = new WeakMap<ServerIdentity, number>();

/**
 * The bytes `hashes` and this server's `signatures` add to an event's canonical JSON: the
 * two members and a comma each, that is this object's JSON less its braces, plus one comma.
 */
function envelopeBytes(identity: ServerIdentity): number {
  let size = envelopeSizes.get(identity);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify({
      hashes: { sha256: 'h'.repeat(SHA256_BASE64_LENGTH) },
      signatures: { [identity.serverName]: {
        [identity.key.keyId]: 's'.repeat(SIGNATURE_BASE64_LENGTH) } },
    })) - 1;
    envelopeSizes.set(identity, size);
  }
  return size;
}

/** Puts this server's signature on a prepared PDU (in place: copies share the object). */
export function addSignature(pdu: PDU, identity: ServerIdentity, signature: Uint8Array): void {
  pdu.signatures[identity.serverName] = {
    [identity.key.keyId]: encodeUnpaddedBase64(signature),
  };
}

/** Completes, hashes and signs a PDU at once, and computes its event ID. */
export function finishEvent(
  fields: PDUFields,
  version: RoomVersion,
  identity: ServerIdentity,
): { pdu: PDU; eventId: string } {
  const { pdu, eventId, signedBytes } = prepareEvent(fields, version, identity);
  addSignature(pdu, identity, identity.key.sign(signedBytes));
  return { pdu, eventId };
}

/** v12: the room ID is the create event's reference hash with a '!' sigil. */
export function roomIdFromCreateEventId(createEventId: string): string {
  return '!' + createEventId.slice(1);
}
