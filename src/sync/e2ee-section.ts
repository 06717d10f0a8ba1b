import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { StoredEvent } from '../storage/level/events.js';
import { e2eKeyStore } from '../storage/level/e2e-keys.js';
import { ToDeviceStore } from '../storage/level/to-device.js';

/** The end-to-end encryption parts of a /sync response for one device. */
export interface E2eeSection {
  to_device: { events: Array<Record<string, unknown>> };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** Users joined to any room the user is joined to, the user included. */
export async function usersSharingRooms(hs: Homeserver, userId: string): Promise<Set<string>> {
  const users = new Set<string>([userId]);
  for (const membership of await hs.events.memberships(userId)) {
    if (membership.membership !== 'join') continue;
    const room = await hs.rooms.getRoom(membership.room_id);
    for (const member of room?.joined ?? []) users.add(member);
  }
  return users;
}

/**
 * One-time key counts per algorithm. signed_curve25519 is always present, 0 when none are
 * left, so clients that only read that algorithm know to upload more.
 */
export async function oneTimeKeyCounts(hs: Homeserver, userId: string, deviceId: string):
  Promise<Record<string, number>> {
  const counts = await e2eKeyStore(hs.db).oneTimeKeyCounts(userId, deviceId);
  return { signed_curve25519: 0, ...counts };
}

/**
 * Users whose device lists the client should refetch, and those it no longer shares a room
 * with, between two stream positions (end-to-end encryption module, "Tracking the device
 * list for a user"): key or device changes of users sharing a room, users who joined a
 * shared room, and everyone in a room the user joined.
 */
export async function deviceListChanges(hs: Homeserver, userId: string, since: number,
  upTo: number): Promise<{ changed: string[]; left: string[] }> {
  const changed = new Set<string>();
  // Key changes wake everyone sharing a room with the changed user, so none happened for
  // this user's contacts unless they were woken.
  const keyChanges = hs.notifier.userChangedSince(userId, since)
    ? await e2eKeyStore(hs.db).changedUsers(since, upTo) : [];
  for (const user of keyChanges) changed.add(user);

  const departed = new Set<string>();
  // Rooms with no wake-up since the token cannot have changed anything. The recent change
  // log names them when it reaches back that far (a membership change is an event of its
  // room, so rooms left in the window are among them); else every membership is checked.
  const byRoom = await hs.events.membershipsByRoom(userId);
  const changedRooms = hs.notifier.roomsChangedSince(since);
  const memberships = changedRooms
    ? [...changedRooms].flatMap((roomId) => byRoom.get(roomId) ?? []) : [...byRoom.values()];
  for (const membership of memberships) {
    const isJoin = membership.membership === 'join';
    if (isJoin ? !hs.notifier.roomChangedSince(membership.room_id, since)
      : !(membership.pos > since && membership.pos <= upTo)) continue;
    const room = await hs.rooms.getRoom(membership.room_id);
    if (!room) continue;
    if (!isJoin) {
      // The user left this room in the window: its members may no longer share a room.
      for (const member of room.joined) departed.add(member);
      continue;
    }
    for (const event of await membershipEventsBetween(hs, room, since, upTo)) {
      if (!event || event.pdu.type !== 'm.room.member') continue;
      const target = event.pdu.state_key!;
      if (event.pdu.content.membership === 'join') {
        if (target === userId) for (const member of room.joined) changed.add(member);
        else changed.add(target);
      } else {
        departed.add(target);
      }
    }
  }

  if (changed.size === 0 && departed.size === 0) return { changed: [], left: [] };
  // Only now, when there is something to check against it, is the set of contacts built.
  const sharing = await usersSharingRooms(hs, userId);
  const left = [...departed].filter((user) => !sharing.has(user) && user !== userId);
  return { changed: [...changed].filter((user) => sharing.has(user)), left };
}

/** Member events of a room in (since, upTo]: from memory when recent enough, else disk. */
async function membershipEventsBetween(hs: Homeserver, room: LoadedRoom, since: number,
  upTo: number): Promise<Array<StoredEvent | undefined>> {
  const isMember = (e: StoredEvent) => e.pdu.type === 'm.room.member';
  if (since >= room.recentFloor) {
    return room.recent.filter((e) => e.pos > since && e.pos <= upTo && isMember(e));
  }
  const rows = await hs.events.timeline(room.roomId, { from: since, to: upTo + 1 });
  return (await hs.events.getEvents(rows.map((row) => row.event_id)))
    .filter((e) => e !== undefined && isMember(e));
}

/**
 * The e2ee parts of /sync for one device. `since` is the client's stream position (0 on an
 * initial sync), `upTo` the new one. To-device messages at or below `since` have been
 * acknowledged by this very request and are deleted (end-to-end encryption module,
 * "Send-to-Device messaging": deleted once the client syncs with a later token).
 */
export async function e2eeSyncSection(hs: Homeserver, userId: string, deviceId: string,
  since: number, upTo: number): Promise<E2eeSection> {
  const keys = e2eKeyStore(hs.db);
  const inbox = new ToDeviceStore(hs.db);

  // To-device messages wake their recipient; without a wake-up there is nothing new, and
  // acknowledged ones can wait for the next sync that has something to deliver.
  const inboxChanged = since === 0 || hs.notifier.userChangedSince(userId, since);
  if (since > 0 && inboxChanged) {
    const acknowledged = await inbox.acknowledgedOps(userId, deviceId, since);
    if (acknowledged.length > 0) await hs.db.write(acknowledged);
  }
  const messages = inboxChanged ? await inbox.between(userId, deviceId, since, upTo) : [];

  // An initial sync has no "since" to compare against: clients query every key then.
  const deviceLists = since > 0 ? await deviceListChanges(hs, userId, since, upTo)
    : { changed: [], left: [] };

  const [counts, fallbackTypes] = await Promise.all([
    oneTimeKeyCounts(hs, userId, deviceId), keys.unusedFallbackKeyTypes(userId, deviceId),
  ]);
  return {
    to_device: { events: messages.map((message) => ({ ...message })) },
    device_lists: deviceLists,
    device_one_time_keys_count: counts,
    device_unused_fallback_key_types: fallbackTypes,
  };
}
