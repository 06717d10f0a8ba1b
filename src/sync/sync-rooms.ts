import type { Requester } from '../clientapi/context.js';
import { toClientEvent, toStrippedState } from '../clientapi/client-event.js';
import { readablePosition, visibleEvents } from '../clientapi/visibility.js';
import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { MembershipRecord, StoredEvent } from '../storage/level/events.js';
import { matchesEventFilter, type SyncFilter } from './filter.js';
import { formatPageToken } from './tokens.js';

type Json = Record<string, unknown>;

/** What one /sync call is assembling: who asks, from where, up to where. */
export interface SyncRequest {
  hs: Homeserver;
  user: Requester;
  since: number | undefined;
  typingSince: number | undefined;
  upTo: number;
  fullState: boolean;
  filter: SyncFilter;
  now: number;
}

/** Types shown to an invitee before joining (client-server API, "Stripped state"). */
const INVITE_STATE = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar',
  'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

function timelineLimit(filter: SyncFilter): number {
  const limit = filter.room?.timeline?.limit;
  return typeof limit === 'number' && limit >= 0 ? Math.min(limit, 500) : 10;
}

/**
 * The timeline of one room between two stream positions: the latest `limit` events after
 * `since` (or from the start), with `limited` when older ones were left out. In a room that
 * used `joined` or `invited` history visibility, events the user may not see are left out
 * afterwards (the timeline is then shorter than its limit).
 */
async function loadTimeline(req: SyncRequest, room: LoadedRoom, since: number | undefined,
  upTo: number) {
  const timeline = await latestEvents(req, room, since, upTo);
  const visible = await visibleEvents(req.hs, room, req.user.userId);
  if (visible) timeline.events = timeline.events.filter(visible);
  return timeline;
}

async function latestEvents(req: SyncRequest, room: LoadedRoom, since: number | undefined,
  upTo: number) {
  const limit = timelineLimit(req.filter);
  if ((since ?? 0) >= room.recentFloor) return recentTimeline(req, room, since ?? 0, upTo, limit);
  // The window in memory holds every event above recentFloor: when more than `limit` of
  // them pass, the latest `limit` are the answer and older ones were left out either way.
  const inMemory = recentTimeline(req, room, since ?? 0, upTo, limit);
  if (limit > 0 && inMemory.limited) return inMemory;
  const filter = req.filter.room?.timeline ?? {};
  const wanted: StoredEvent[] = [];
  // Whether a row older than the oldest wanted event was seen: then `limited` is known.
  let olderSeen = false;
  let cursor = upTo + 1;
  while (wanted.length < limit) {
    const rows = await req.hs.events.timeline(room.roomId,
      { from: since, to: cursor, backwards: true, limit: limit * 2 });
    if (rows.length === 0) break;
    // Rows are small; events are loaded only as many as can still be wanted, the rest of the
    // page only if some did not pass the filter (an initial /sync of a thousand rooms read
    // twice the events it sent).
    let next = 0;
    while (next < rows.length && wanted.length < limit) {
      const take = next === 0 ? limit - wanted.length : rows.length - next;
      const page = rows.slice(next, next + take);
      next += page.length;
      for (const event of await req.hs.events.getEvents(page.map((r) => r.event_id))) {
        if (wanted.length === limit) { olderSeen = true; break; }
        if (event && matchesEventFilter(filter, event.pdu.type, event.pdu.sender)) {
          wanted.push(event);
        }
      }
    }
    if (wanted.length === limit && next < rows.length) olderSeen = true;
    cursor = rows[rows.length - 1]!.pos;
    if (rows.length < limit * 2) break;
  }
  // Limited when the timeline is full and anything (of any type) in the window is older.
  let limited = false;
  const lowest = wanted[wanted.length - 1];
  if (lowest && wanted.length === limit) {
    limited = olderSeen || (await req.hs.events.timeline(room.roomId,
      { from: since, to: lowest.pos, backwards: true, limit: 1 })).length > 0;
  }
  wanted.reverse();
  const first = wanted[0];
  return {
    events: wanted,
    limited,
    prev_batch: formatPageToken(first ? first.pos - 1 : upTo),
  };
}

/** The same answer as the disk path, from the room's in-memory recent events. */
function recentTimeline(req: SyncRequest, room: LoadedRoom, since: number, upTo: number,
  limit: number) {
  const filter = req.filter.room?.timeline ?? {};
  const matching = room.recent.filter((e) => e.pos > since && e.pos <= upTo
    && matchesEventFilter(filter, e.pdu.type, e.pdu.sender));
  const events = limit === 0 ? [] : matching.slice(-limit);
  const first = events[0];
  return {
    events,
    limited: matching.length > events.length,
    prev_batch: formatPageToken(first ? first.pos - 1 : upTo),
  };
}

function stateFilterAllows(req: SyncRequest, event: StoredEvent, timelineSenders: Set<string>) {
  const filter = req.filter.room?.state ?? {};
  if (!matchesEventFilter(filter, event.pdu.type, event.pdu.sender)) return false;
  if (filter.lazy_load_members && event.pdu.type === 'm.room.member') {
    return event.pdu.state_key === req.user.userId || timelineSenders.has(event.pdu.state_key!);
  }
  return true;
}

/** m.typing and m.receipt events for a joined room. */
async function ephemeral(req: SyncRequest, roomId: string, initial: boolean): Promise<Json[]> {
  const out: Json[] = [];
  const typingChanged = initial || req.typingSince === undefined
    || req.hs.typing.changedSince(roomId, req.typingSince);
  if (typingChanged) {
    const users = req.hs.typing.typing(roomId);
    if (users.length > 0 || !initial) out.push({ type: 'm.typing', content: { user_ids: users } });
  }
  // Receipts wake their room (private ones only their user): without a wake-up since the
  // token there are none to read.
  const since = initial ? 0 : req.since ?? 0;
  const receipts = initial || req.hs.notifier.roomChangedSince(roomId, since)
    || req.hs.notifier.userChangedSince(req.user.userId, since)
    ? await req.hs.receipts.changedSince(roomId, since) : [];
  const content: Record<string, Record<string, Record<string, Json>>> = {};
  for (const receipt of receipts) {
    if (receipt.pos > req.upTo) continue;
    if (receipt.receipt_type === 'm.read.private' && receipt.user_id !== req.user.userId) continue;
    const byType = (content[receipt.event_id] ??= {});
    const byUser = (byType[receipt.receipt_type] ??= {});
    byUser[receipt.user_id] = receipt.thread_id
      ? { ts: receipt.ts, thread_id: receipt.thread_id } : { ts: receipt.ts };
  }
  if (Object.keys(content).length > 0) out.push({ type: 'm.receipt', content });
  return out;
}

function summary(req: SyncRequest, room: LoadedRoom): Json {
  let invited = 0;
  const heroes: string[] = [];
  for (const event of room.state.values()) {
    if (event.pdu.type !== 'm.room.member') continue;
    const membership = event.pdu.content.membership;
    if (membership === 'invite') invited += 1;
    if ((membership === 'join' || membership === 'invite')
      && event.pdu.state_key !== req.user.userId
      && heroes.length < 5) heroes.push(event.pdu.state_key!);
  }
  return { 'm.heroes': heroes, 'm.joined_member_count': room.joined.size,
    'm.invited_member_count': invited };
}

/** The `join` entry of one room, or undefined when nothing changed in it. */
export async function joinedRoom(req: SyncRequest, room: LoadedRoom, record: MembershipRecord,
  accountData: Json[]): Promise<Json | undefined> {
  const initial = req.since === undefined || req.fullState || record.pos > req.since;
  const timeline = await loadTimeline(req, room, initial ? undefined : req.since, req.upTo);
  const eph = await ephemeral(req, room.roomId, initial);
  if (!initial && timeline.events.length === 0 && eph.length === 0 && accountData.length === 0) {
    return undefined;
  }
  const inTimeline = new Set(timeline.events.map((e) => e.event_id));
  const senders = new Set(timeline.events.map((e) => e.pdu.sender));
  const firstPos = timeline.events[0]?.pos ?? req.upTo + 1;
  // State up to the timeline's start: all of it for a fresh view, else what changed since
  // (only a gap, a limited timeline, can hide a state change).
  const state: StoredEvent[] = [];
  if (initial || timeline.limited) {
    for (const e of room.state.values()) {
      if (!inTimeline.has(e.event_id) && e.pos < firstPos && (initial || e.pos > req.since!)
        && stateFilterAllows(req, e, senders)) state.push(e);
    }
  }
  return {
    summary: initial || timeline.events.some((e) => e.pdu.type === 'm.room.member')
      ? summary(req, room) : {},
    state: { events: state.map((e) => toClientEvent(e, req.user, req.now, false)) },
    timeline: {
      events: timeline.events.map((e) => toClientEvent(e, req.user, req.now, false)),
      limited: timeline.limited,
      prev_batch: timeline.prev_batch,
    },
    ephemeral: { events: eph },
    account_data: { events: accountData },
    unread_notifications: { highlight_count: 0, notification_count: 0 },
  };
}

export function invitedRoom(req: SyncRequest, room: LoadedRoom): Json {
  const events: Json[] = [];
  for (const type of INVITE_STATE) {
    const event = req.hs.rooms.stateEvent(room, type);
    if (event) events.push(toStrippedState(event));
  }
  const member = req.hs.rooms.stateEvent(room, 'm.room.member', req.user.userId);
  if (member) {
    const inviter = req.hs.rooms.stateEvent(room, 'm.room.member', member.pdu.sender);
    if (inviter) events.push(toStrippedState(inviter));
    events.push(toStrippedState(member));
  }
  const key = member?.pdu.content.membership === 'knock' ? 'knock_state' : 'invite_state';
  return { [key]: { events } };
}

/**
 * The `leave` entry: the timeline up to the moment the user left. A user who never joined (an
 * invite rejected or withdrawn) gets an empty timeline: the room's history was never theirs.
 */
export async function leftRoom(req: SyncRequest, room: LoadedRoom, record: MembershipRecord):
  Promise<Json> {
  const upTo = Math.min(record.pos,
    await readablePosition(req.hs, room, req.user.userId) ?? -1);
  const timeline = upTo < 0 ? { events: [], limited: false, prev_batch: undefined }
    : await loadTimeline(req, room, req.since, upTo);
  return {
    state: { events: [] },
    timeline: {
      events: timeline.events.map((e) => toClientEvent(e, req.user, req.now, false)),
      limited: timeline.limited,
      prev_batch: timeline.prev_batch,
    },
    account_data: { events: [] },
  };
}

