/**
 * Auth events selection (server-server API, "Auth events selection") and the auth rules'
 * checks on the `auth_events` list itself (rule 2 in v6-v11, rule 3 in v12).
 */
import { AuthError } from './auth-error.js';
import { stateKey, type PDU, type StateKey } from './event.js';
import type { RoomVersion } from './room-versions.js';

type SelectionInput = Pick<PDU, 'type' | 'sender' | 'state_key' | 'content'>;

/** The (type, state_key) pairs of the state events that authorise this event. */
export function authEventKeys(
  event: SelectionInput,
  version: RoomVersion,
): Array<[type: string, stateKey: string]> {
  // The create event is the root of the room: its auth_events are empty.
  if (event.type === 'm.room.create' && event.state_key === '') return [];

  const keys = new Map<StateKey, [string, string]>();
  const add = (type: string, key: string): void => {
    keys.set(stateKey(type, key), [type, key]);
  };

  // v12 names the create event by the room ID instead: it MUST NOT be selected.
  if (!version.roomIdFromCreate) add('m.room.create', '');
  add('m.room.power_levels', '');
  add('m.room.member', event.sender);

  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    const membership = event.content?.membership;
    add('m.room.member', event.state_key);

    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      add('m.room.join_rules', '');
    }
    const token = event.content?.third_party_invite?.signed?.token;
    if (membership === 'invite' && typeof token === 'string') {
      add('m.room.third_party_invite', token);
    }
    const via = event.content?.join_authorised_via_users_server;
    if (membership === 'join' && version.restrictedJoin && typeof via === 'string') {
      add('m.room.member', via);
    }
  }
  return [...keys.values()];
}

/**
 * Rule 2 (v6-v11) / rule 3 (v12), "Considering the event's auth_events", for the resolved
 * auth events of a non-create event. Sub-rule 3 (entries that were themselves rejected) needs
 * storage and is the caller's job.
 */
export function checkAuthEventSelection(
  event: PDU,
  authEvents: readonly PDU[],
  version: RoomVersion,
): void {
  const allowed = new Set(authEventKeys(event, version).map(([t, k]) => stateKey(t, k)));
  const seen = new Set<StateKey>();

  for (const authEvent of authEvents) {
    if (typeof authEvent.state_key !== 'string') {
      throw new AuthError(`auth event of type ${authEvent.type} is not a state event`);
    }
    const key = stateKey(authEvent.type, authEvent.state_key);

    // 2.1 If there are duplicate entries for a given type and state_key pair, reject.
    if (seen.has(key)) {
      throw new AuthError(`duplicate auth event ${authEvent.type} "${authEvent.state_key}"`);
    }
    seen.add(key);

    // 2.2 If there are entries whose type and state_key don't match the selection, reject.
    if (!allowed.has(key)) {
      throw new AuthError(`auth event ${authEvent.type} "${authEvent.state_key}" not selectable`);
    }

    // 2.5 If any auth event has a room_id which does not match the event's, reject.
    if (authEvent.room_id !== event.room_id) {
      throw new AuthError(`auth event ${authEvent.type} belongs to another room`);
    }
  }

  // 2.4 If there is no m.room.create event among the entries, reject (not in v12).
  if (!version.roomIdFromCreate && !seen.has(stateKey('m.room.create', ''))) {
    throw new AuthError('no m.room.create event among the auth events');
  }
}
