import type { StoredEvent } from '../storage/level/events.js';
import type { PDU } from './event.js';

/**
 * The copy of a durable event a loaded room keeps (current state, recent window). Clients and
 * the auth rules read the public fields only (client-server API "ClientEvent"); the hashes,
 * signatures, auth_events, prev_events and depth matter to the stored copy alone, and they
 * were most of a state event's memory (~600 of ~900 bytes). Built as one literal so every
 * copy of a kind shares V8's hidden class.
 */
export function slimEvent(event: StoredEvent): StoredEvent {
  const { type, room_id, sender, state_key, content, origin_server_ts, redacts } = event.pdu;
  const pdu = { type, room_id, sender, state_key, content, origin_server_ts, redacts } as
    Partial<PDU> as PDU;
  const slim: StoredEvent = {
    event_id: event.event_id, room_id: event.room_id, pdu, pos: event.pos,
    sg_before: event.sg_before, sg_after: event.sg_after,
  };
  if (event.prev_content !== undefined) {
    slim.prev_content = event.prev_content;
    slim.prev_sender = event.prev_sender;
    slim.replaces_state = event.replaces_state;
  }
  if (event.redacted_by !== undefined) {
    slim.redacted_by = event.redacted_by;
    slim.redacted_because = event.redacted_because;
  }
  if (event.txn !== undefined) slim.txn = event.txn;
  return slim;
}
