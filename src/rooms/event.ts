/**
 * The persistent data unit (PDU) shape shared by room versions 6 to 12, and the keys used to
 * address room state. Room versions differ in which fields they require; this type is the union.
 */
/** The fields of a PDU that its sender sets: everything but hashes and signatures. */
export interface PDUFields {
  /** Absent on v12 create events: their room ID is derived from their own reference hash. */
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: Record<string, any>;
  origin_server_ts: number;
  depth: number;
  prev_events: string[];
  auth_events: string[];
  /** Top-level in room versions 6 to 10; from v11 it lives in `content.redacts`. */
  redacts?: string;
}

export interface PDU extends PDUFields {
  hashes: { sha256: string; [k: string]: string };
  signatures: Record<string, Record<string, string>>;
  unsigned?: Record<string, any>;
  [extra: string]: unknown;
}

/** A state map key: event type, NUL, state key. NUL cannot appear in either part. */
export type StateKey = `${string}\u0000${string}`;

export function stateKey(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}

/** Looks up the state (normally the event's auth events) by type and state key. */
export type StateLookup = (type: string, stateKey: string) => PDU | undefined;
