/**
 * The authorization rules for room versions 6 to 12 (rooms/v6 ... rooms/v12, "Authorisation
 * rules"). Comments cite the v12 numbering; v6-v11 number every rule after 1 one lower, which
 * the AuthError reasons render for the room's own version. Membership rules live in
 * auth-rules-member.ts and power level rules in auth-rules-power-levels.ts.
 *
 * Signatures and hashes are not checked here (that happens on receipt of a PDU), nor is
 * rule 3.3 (auth events that were themselves rejected), which needs storage.
 */
import { reject, type AuthContext, type AuthOptions } from './auth-context.js';
import { domainOf, isValidUserId } from './auth-identifiers.js';
import { checkMemberEvent } from './auth-rules-member.js';
import { checkPowerLevelsEvent } from './auth-rules-power-levels.js';
import type { PDU, StateLookup } from './event.js';
import { actionPowerLevel, eventPowerLevel, userPowerLevel } from './power-levels.js';
import { ROOM_VERSIONS, type RoomVersion } from './room-versions.js';

export { AuthError } from './auth-error.js';
export type { AuthOptions } from './auth-context.js';

/**
 * Throws AuthError unless `event` passes the auth rules against `authState`: the state before
 * the event, normally its auth events as chosen by authEventKeys. In v12 the create event is
 * not an auth event, but `authState('m.room.create', '')` must still return it (the room ID
 * names it).
 */
export function checkEventAuth(
  event: PDU,
  authState: StateLookup,
  version: RoomVersion,
  options: AuthOptions = {},
): void {
  // 1. If type is m.room.create:
  if (event.type === 'm.room.create') return checkCreateEvent(event, version);

  const state = sameRoomLookup(event, authState, version);
  const create = state('m.room.create', '');
  if (!create) {
    // 2. (v12) The room ID must name an accepted create event.
    // 3.4 (v6-v11: 2.4) If there is no m.room.create event among the entries, reject.
    if (version.roomIdFromCreate) reject({ version }, '2', 'the room\'s create event is unknown');
    reject({ version }, '3.4', 'no m.room.create event among the auth events');
  }
  const ctx: AuthContext = { event, state, version, options, create };
  if (version.roomIdFromCreate) checkRoomIdNamesCreate(ctx);

  // 4. If the create event has m.federate set to false and the sender's domain differs from
  // the create event sender's domain, reject.
  if (create.content?.['m.federate'] === false
    && domainOf(event.sender) !== domainOf(create.sender)) {
    reject(ctx, '4', 'the room does not federate with the sender\'s server');
  }

  // 5. If type is m.room.member: allow or reject by the membership rules.
  if (event.type === 'm.room.member') return checkMemberEvent(ctx);

  // 6. If the sender's current membership state is not join, reject.
  const membership = state('m.room.member', event.sender)?.content?.membership;
  if (membership !== 'join') reject(ctx, '6', 'sender is not joined to the room');

  // 7. If type is m.room.third_party_invite: allow if and only if the sender's power level
  // is at least the invite level.
  const senderLevel = userPowerLevel(event.sender, state, version);
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= actionPowerLevel('invite', state)) return;
    reject(ctx, '7.1', 'sender does not have the invite power level');
  }

  // 8. If the event type's required power level is greater than the sender's, reject.
  const required = eventPowerLevel(event.type, event.state_key !== undefined, state);
  if (required > senderLevel) {
    reject(ctx, '8', `sending ${event.type} needs power level ${required}`);
  }

  // 9. If the event has a state_key that starts with @ and does not match the sender, reject.
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    reject(ctx, '9', 'state_key starting with @ must be the sender');
  }

  // 10. If type is m.room.power_levels: allow or reject by the power level rules.
  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(ctx);

  // 11. Otherwise, allow.
}

function checkCreateEvent(event: PDU, version: RoomVersion): void {
  const ctx = { version };

  // 1.1 If it has any prev_events, reject.
  if (event.prev_events.length > 0) reject(ctx, '1.1', 'create event has prev_events');

  // 1.2 (v12) If the event has a room_id, reject: the room ID is derived from the event.
  // 1.2 (v6-v11) If the domain of the room_id does not match the sender's domain, reject.
  if (version.roomIdFromCreate) {
    if (event.room_id !== undefined) reject(ctx, '1.2', 'create event must not have a room_id');
  } else if (!event.room_id || domainOf(event.room_id) !== domainOf(event.sender)) {
    reject(ctx, '1.2', 'room ID and sender are on different servers');
  }

  // 1.3 If content.room_version is present and is not a recognised version, reject.
  const roomVersion = event.content?.room_version;
  if (roomVersion !== undefined
    && (typeof roomVersion !== 'string' || !ROOM_VERSIONS.has(roomVersion))) {
    reject(ctx, '1.3', `unrecognised room version ${JSON.stringify(roomVersion)}`);
  }

  // 1.4 (v6-v10) If content has no creator property, reject.
  if (!version.implicitCreator && event.content?.creator === undefined) {
    reject(ctx, '1.4', 'create event has no creator');
  }

  // 1.4 (v12) If additional_creators is present and is not an array of valid user IDs,
  // reject.
  const additional = event.content?.additional_creators;
  if (version.privilegedCreators && additional !== undefined
    && !(Array.isArray(additional) && additional.every(isValidUserId))) {
    reject(ctx, '1.4', 'additional_creators must be an array of valid user IDs');
  }

  // 1.5 Otherwise, allow.
}

/**
 * 2. (v12) If the room_id is not the event ID of the create event with sigil `!`, reject.
 * The event ID is the create event's reference hash, which the caller computes; it is
 * compared when known (options or the create event's `event_id`).
 */
function checkRoomIdNamesCreate(ctx: AuthContext): void {
  const roomId = ctx.event.room_id;
  if (typeof roomId !== 'string' || !roomId.startsWith('!') || roomId.includes(':')) {
    reject(ctx, '2', 'room ID is not derived from a create event');
  }
  const createId = ctx.options.createEventId
    ?? (typeof ctx.create.event_id === 'string' ? ctx.create.event_id : undefined);
  if (createId !== undefined && roomId !== `!${createId.slice(1)}`) {
    reject(ctx, '2', 'room ID does not match the create event');
  }
}

/**
 * 3.5 (v6-v11: 2.5) If any auth event has a room_id which does not match that of the event,
 * reject. Enforced on each lookup; the v12 create event has no room_id by design.
 */
function sameRoomLookup(event: PDU, authState: StateLookup, version: RoomVersion): StateLookup {
  return (type, key) => {
    const found = authState(type, key);
    const exempt = version.roomIdFromCreate && type === 'm.room.create';
    if (found && !exempt && found.room_id !== event.room_id) {
      reject({ version }, '3.5', `auth event ${type} belongs to another room`);
    }
    return found;
  };
}
