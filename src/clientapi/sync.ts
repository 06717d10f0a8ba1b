import { e2eeSyncSection } from '../sync/e2ee-section.js';
import { loadFilter, matchesRoom } from '../sync/filter.js';
import type { RoomSet } from '../sync/notifier.js';
import {
  invitedRoom, joinedRoom, leftRoom, type SyncRequest,
} from '../sync/sync-rooms.js';
import { formatSyncToken, parseSyncToken } from '../sync/tokens.js';
import type { Homeserver } from '../homeserver.js';
import type { AccountDataRecord } from '../storage/level/account-data.js';
import type { MembershipRecord } from '../storage/level/events.js';
import { pushRulesFor } from './push-rules.js';
import type { ClientApi } from './context.js';
import { queryInteger } from './validate.js';

type Json = Record<string, unknown>;
type Memberships = ReadonlyMap<string, MembershipRecord>;

/** Long-polls are capped so a proxy or a client timeout does not cut them first. */
const MAX_TIMEOUT_MS = 60_000;

/** Rooms assembled at once: enough to keep LevelDB's threads busy, few enough to stay fair. */
const ROOMS_AT_ONCE = 8;

/** `fn` over `items`, at most `limit` at a time, results in the order of `items`. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number,
  fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Whether a joined room can have anything new for this sync (events, receipts, typing). */
function roomMayHaveNews(sync: SyncRequest, roomId: string, perRoom: Map<string, Json[]>):
  boolean {
  const since = sync.since ?? 0;
  return sync.hs.notifier.roomChangedSince(roomId, since)
    || sync.hs.notifier.userChangedSince(sync.user.userId, since)
    || perRoom.has(roomId)
    || sync.hs.typing.changedSince(roomId, sync.typingSince ?? 0);
}

/** The rooms of a live membership cache the user is joined to. */
function joinedRooms(memberships: Memberships): RoomSet {
  return { has: (roomId) => memberships.get(roomId)?.membership === 'join' };
}

/**
 * The only rooms an incremental sync needs to look at: those with an event, receipt or
 * typing change after the token. A membership change is an event of its room, so it is
 * among them. Undefined when every room must be checked instead: the change logs do not
 * reach back to the token, or something was addressed to the user (a private read receipt
 * wakes only its user and does not say in which room).
 */
function roomsChangedFor(hs: Homeserver, userId: string, since: number, typingSince: number):
  Set<string> | undefined {
  if (hs.notifier.userChangedSince(userId, since)) return undefined;
  const rooms = hs.notifier.roomsChangedSince(since);
  const typing = hs.typing.roomsChangedSince(typingSince);
  if (!rooms || !typing) return undefined;
  for (const roomId of typing) rooms.add(roomId);
  return rooms;
}

/**
 * True when something for this user happened after the token: an event in one of their
 * rooms, a change addressed to them, or typing in one of their rooms. Changes elsewhere on
 * the server do not end a long-poll.
 */
function pendingChanges(hs: Homeserver, userId: string, since: number, typingSince: number,
  memberships: Memberships): boolean {
  if (hs.notifier.userChangedSince(userId, since)) return true;
  const joined = joinedRooms(memberships);
  const changed = roomsChangedFor(hs, userId, since, typingSince);
  if (changed) {
    for (const roomId of changed) if (joined.has(roomId)) return true;
    return false;
  }
  for (const record of memberships.values()) {
    if (record.membership === 'join' && (hs.notifier.roomChangedSince(record.room_id, since)
      || hs.typing.changedSince(record.room_id, typingSince))) return true;
  }
  return false;
}

export function mountSync(api: ClientApi): void {
  const { hs } = api;

  // GET /sync
  api.authed('GET', '/sync', async (req) => {
    const filter = await loadFilter(hs.filters, req.user.userId, req.query.filter);
    const token = req.query.since ? parseSyncToken(req.query.since) : undefined;
    const fullState = req.query.full_state === 'true';
    const timeout = Math.min(queryInteger(req.query.timeout, 'timeout') ?? 0, MAX_TIMEOUT_MS);
    const userId = req.user.userId;

    // The live cache: it follows membership changes made while the request waits.
    const memberships = await hs.events.membershipsByRoom(userId);
    if (token && !fullState && timeout > 0
      && !pendingChanges(hs, userId, token.pos, token.typing, memberships)) {
      const abort = new AbortController();
      req.raw.raw.once('close', () => abort.abort());
      await hs.notifier.wait(userId, joinedRooms(memberships), timeout, abort.signal);
    }

    const sync: SyncRequest = {
      hs, user: req.user, since: token?.pos, typingSince: token?.typing,
      upTo: hs.stream.durable, fullState, filter, now: Date.now(),
    };
    const since = sync.since ?? 0;
    // Read at once with upTo. With a token, only the rooms that changed after it are read
    // (a hub's owner is in a thousand device rooms, a handful of which change per sync);
    // the rest would all be skipped below anyway.
    const changedRooms = token && !fullState
      ? roomsChangedFor(hs, userId, token.pos, token.typing) : undefined;
    const records = changedRooms
      ? [...changedRooms].flatMap((roomId) => memberships.get(roomId) ?? [])
      : [...memberships.values()];
    // Account data writes wake their user: without one since the token there is none.
    const accountData = sync.since === undefined ? await hs.accountData.all(userId)
      : hs.notifier.userChangedSince(userId, since)
        ? await hs.accountData.changedSince(userId, since) : [];
    const global: Json[] = [];
    const perRoom = new Map<string, Json[]>();
    for (const record of accountData.filter((r: AccountDataRecord) => r.pos <= sync.upTo)) {
      const event = { type: record.type, content: record.content };
      if (record.room_id === '') global.push(event);
      else perRoom.set(record.room_id, [...(perRoom.get(record.room_id) ?? []), event]);
    }
    if (sync.since === undefined && !global.some((e) => e.type === 'm.push_rules')) {
      global.push({ type: 'm.push_rules', content: await pushRulesFor(hs, userId) });
    }

    // Rooms are assembled a few at a time, so one room's disk reads overlap another's work
    // (an initial sync reads every room's timeline); entries keep the membership order.
    type Section = 'join' | 'invite' | 'knock' | 'leave';
    const entries = await mapConcurrently(records, ROOMS_AT_ONCE,
      async (record): Promise<[Section, Json | undefined] | undefined> => {
        if (record.pos > sync.upTo || !matchesRoom(filter.room, record.room_id)) return;
        const changed = sync.since === undefined || record.pos > sync.since;
        // A joined room nothing happened in since the token is skipped without loading it,
        // and so is any other membership older than the token (none of them is sent then).
        if (record.membership !== 'join' && !changed) return;
        if (record.membership === 'join' && !changed && !fullState
          && !roomMayHaveNews(sync, record.room_id, perRoom)) return;
        const room = await hs.rooms.getRoom(record.room_id);
        if (!room) return;
        if (record.membership === 'join') {
          return ['join', await joinedRoom(sync, room, record, perRoom.get(room.roomId) ?? [])];
        } else if (record.membership === 'invite' && changed) {
          return ['invite', invitedRoom(sync, room)];
        } else if (record.membership === 'knock' && changed) {
          return ['knock', invitedRoom(sync, room)];
        } else if ((record.membership === 'leave' || record.membership === 'ban') && changed
          && (sync.since !== undefined || filter.room?.include_leave)) {
          return ['leave', await leftRoom(sync, room, record)];
        }
      });
    const rooms: Record<Section, Json> = { join: {}, invite: {}, knock: {}, leave: {} };
    entries.forEach((entry, i) => {
      if (entry?.[1]) rooms[entry[0]][records[i]!.room_id] = entry[1];
    });

    const e2ee = await e2eeSyncSection(hs, userId, req.user.deviceId, since, sync.upTo);
    return {
      next_batch: formatSyncToken({ pos: sync.upTo, typing: hs.typing.serial }),
      rooms,
      account_data: { events: global },
      presence: { events: [] },
      to_device: e2ee.to_device,
      device_lists: e2ee.device_lists,
      device_one_time_keys_count: e2ee.device_one_time_keys_count,
      device_unused_fallback_key_types: e2ee.device_unused_fallback_key_types,
    };
  });
}
