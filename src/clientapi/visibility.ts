import { forbidden } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';

/**
 * How much of a room's timeline a user may read: everything up to `upTo` (a stream
 * position; Infinity while joined). A user who left or was banned reads up to that moment.
 * World-readable rooms are open to every user.
 */
export async function readableUpTo(hs: Homeserver, room: LoadedRoom, userId: string):
  Promise<number> {
  const membership = hs.rooms.membership(room, userId);
  if (membership === 'join') return Infinity;
  const visibility = hs.rooms.stateEvent(room, 'm.room.history_visibility')?.pdu.content
    ?.history_visibility;
  if (visibility === 'world_readable') return Infinity;
  if (membership === 'leave' || membership === 'ban') {
    const record = await hs.events.getMembership(userId, room.roomId);
    if (record) return record.pos;
  }
  throw forbidden('You are not allowed to read this room');
}
