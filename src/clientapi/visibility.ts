import { forbidden } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { StoredEvent } from '../storage/level/events.js';

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
  const upTo = await readablePosition(hs, room, userId);
  if (upTo === undefined) throw forbidden('You are not allowed to read this room');
  return upTo;
}

/** The same as `readableUpTo`, with undefined for a room the user may not read at all. */
export async function readablePosition(hs: Homeserver, room: LoadedRoom, userId: string):
  Promise<number | undefined> {
  if (hs.rooms.membership(room, userId) === 'join') return Infinity;
  const visibility = hs.rooms.stateEvent(room, 'm.room.history_visibility')?.pdu.content
    ?.history_visibility;
  if (visibility === 'world_readable') return Infinity;
  // Newest first, back to their last join: the change after that join ended their stay.
  const memberships = await history(hs, hs.rooms.stateEvent(room, 'm.room.member', userId),
    (e) => String(e.pdu.content.membership), (value) => value === 'join');
  const lastJoin = memberships.findIndex((c) => c.value === 'join');
  return lastJoin > 0 ? memberships[lastJoin - 1]!.pos : undefined;
}

/** One value a state key held from `pos` on; lists of them are newest first. */
interface Change {
  value: string;
  pos: number;
}

/**
 * The values a state entry held over time, newest first, from its current event back through
 * the events each one replaced; only back to the first value `until` accepts, when given.
 */
async function history(hs: Homeserver, current: StoredEvent | undefined,
  read: (event: StoredEvent) => string, until?: (value: string) => boolean):
  Promise<Change[]> {
  const changes: Change[] = [];
  for (let event = current; event;) {
    const value = read(event);
    changes.push({ value, pos: event.pos });
    if (until?.(value)) break;
    event = event.replaces_state ? await hs.events.getEvent(event.replaces_state) : undefined;
  }
  return changes;
}

const SETTINGS = new Set(['world_readable', 'shared', 'invited', 'joined']);

/** A history_visibility value; one not understood counts as `shared`, as the spec says. */
function setting(content: Record<string, unknown> | undefined): string {
  const value = content?.history_visibility;
  return typeof value === 'string' && SETTINGS.has(value) ? value : 'shared';
}

/** The room's history_visibility over time, kept until the setting changes again. */
const settingsByRoom =
  new WeakMap<LoadedRoom, { eventId: string | undefined; changes: Change[] }>();

async function settingHistory(hs: Homeserver, room: LoadedRoom): Promise<Change[]> {
  const current = hs.rooms.stateEvent(room, 'm.room.history_visibility');
  const known = settingsByRoom.get(room);
  if (known && known.eventId === current?.event_id) return known.changes;
  const changes = await history(hs, current, (e) => setting(e.pdu.content));
  settingsByRoom.set(room, { eventId: current?.event_id, changes });
  return changes;
}

/** The value in force just before `pos`: set by the newest change older than it. */
function before(changes: Change[], pos: number, otherwise: string): string {
  for (const change of changes) if (change.pos < pos) return change.value;
  return otherwise;
}

/**
 * Which events of the room the user may see, by the spec's history visibility rules
 * ("Server behaviour" of the Room History Visibility module), judged on the state just
 * before each event: world_readable then, joined then, `shared` then and joined at some
 * point after, or invited then under `invited`. A history_visibility event is visible if
 * the setting before or after it allows it, and so is the user's own membership event if
 * their membership before or after allows it.
 *
 * Null when the room never used `joined` or `invited`: then whatever `readableUpTo` allows is
 * exactly what these rules allow, and no event needs a check of its own.
 */
export async function visibleEvents(hs: Homeserver, room: LoadedRoom, userId: string):
  Promise<((event: StoredEvent) => boolean) | null> {
  const settings = await settingHistory(hs, room);
  if (!settings.some((c) => c.value === 'joined' || c.value === 'invited')) return null;
  const memberships = await history(hs, hs.rooms.stateEvent(room, 'm.room.member', userId),
    (e) => String(e.pdu.content.membership));
  const allowed = (visibility: string, membership: string, pos: number): boolean =>
    visibility === 'world_readable' || membership === 'join'
    || (visibility === 'shared' && memberships.some((c) => c.value === 'join' && c.pos > pos))
    || (visibility === 'invited' && membership === 'invite');
  return (event) => {
    const visibility = before(settings, event.pos, 'shared');
    const membership = before(memberships, event.pos, 'leave');
    if (allowed(visibility, membership, event.pos)) return true;
    const { type, state_key: key, content } = event.pdu;
    if (type === 'm.room.history_visibility' && key === '') {
      return allowed(setting(content), membership, event.pos);
    }
    if (type === 'm.room.member' && key === userId) {
      return allowed(visibility, String(content.membership), event.pos);
    }
    return false;
  };
}
