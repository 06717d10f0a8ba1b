import { forbidden } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';

/**
 * How much of a room's timeline a user may read: everything up to `upTo` (a stream
 * position; Infinity while joined). A user who is no longer joined reads up to the moment
 * their membership last left `join`; one who never joined reads nothing (an invite they
 * rejected, or one withdrawn, shows no history: under the spec's `shared` rule a user sees
 * events only if they joined at some point after them). World-readable rooms are open to
 * every user.
 */
export async function readableUpTo(hs: Homeserver, room: LoadedRoom, userId: string):
  Promise<number> {
  if (hs.rooms.membership(room, userId) === 'join') return Infinity;
  const visibility = hs.rooms.stateEvent(room, 'm.room.history_visibility')?.pdu.content
    ?.history_visibility;
  if (visibility === 'world_readable') return Infinity;
  const upTo = await leftJoinAt(hs, room, userId);
  if (upTo === undefined) throw forbidden('You are not allowed to read this room');
  return upTo;
}

/**
 * For a user not joined now: the stream position of the membership event that ended their
 * latest stay in the room (their leave, kick or ban), found by walking back through their
 * membership events; undefined when they never joined.
 */
export async function leftJoinAt(hs: Homeserver, room: LoadedRoom, userId: string):
  Promise<number | undefined> {
  let event = hs.rooms.stateEvent(room, 'm.room.member', userId);
  let later: number | undefined;
  while (event) {
    if (event.pdu.content.membership === 'join') return later;
    later = event.pos;
    event = event.replaces_state ? await hs.events.getEvent(event.replaces_state) : undefined;
  }
  return undefined;
}
