import type { StoredEvent } from '../storage/level/events.js';
import type { Requester } from './context.js';

export type ClientEvent = Record<string, unknown>;

/**
 * An event as clients see it (client-server API, "ClientEvent"): the PDU's public fields,
 * with unsigned age, prev_content for state, transaction_id for the sending device and
 * redacted_because for redacted events.
 */
export function toClientEvent(event: StoredEvent, viewer?: Requester, now = Date.now(),
  withRoomId = true): ClientEvent {
  const pdu = event.pdu;
  const unsigned: Record<string, unknown> = { age: Math.max(0, now - pdu.origin_server_ts) };
  const out: ClientEvent = {
    event_id: event.event_id,
    type: pdu.type,
    content: pdu.content,
    sender: pdu.sender,
    origin_server_ts: pdu.origin_server_ts,
    unsigned,
  };
  if (withRoomId) out.room_id = event.room_id;
  if (pdu.state_key !== undefined) {
    out.state_key = pdu.state_key;
    if (event.prev_content) {
      unsigned.prev_content = event.prev_content;
      unsigned.prev_sender = event.prev_sender;
      unsigned.replaces_state = event.replaces_state;
    }
  }
  const redacts = pdu.redacts
    ?? (pdu.type === 'm.room.redaction' ? pdu.content.redacts : undefined);
  if (typeof redacts === 'string') out.redacts = redacts;
  if (event.redacted_because) unsigned.redacted_because = event.redacted_because;
  if (viewer && event.txn && pdu.sender === viewer.userId
    && event.txn.device_id === viewer.deviceId) {
    unsigned.transaction_id = event.txn.txn_id;
  }
  return out;
}

/** Stripped state (type, state_key, content, sender) shown with invites and knocks. */
export function toStrippedState(event: StoredEvent): ClientEvent {
  return {
    type: event.pdu.type,
    state_key: event.pdu.state_key,
    content: event.pdu.content,
    sender: event.pdu.sender,
  };
}
