import { MatrixError, notFound } from '../http/errors.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { StoredEvent } from '../storage/level/events.js';
import {
  matchesEventFilter, parseRoomEventFilter, type RoomEventFilter,
} from '../sync/filter.js';
import { formatPageToken, parseStreamToken } from '../sync/tokens.js';
import { toClientEvent } from './client-event.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { queryInteger, type Json } from './validate.js';
import { readableUpTo, visibleEvents } from './visibility.js';

/** Timeline events one /messages or /context page reads at most (see page()). */
const MAX_SCANNED = 2000;

function parseFilterParam(value: string | undefined): RoomEventFilter {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new MatrixError('M_INVALID_PARAM', "'filter' is not valid JSON");
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MatrixError('M_INVALID_PARAM', "'filter' must be a JSON object");
  }
  return parseRoomEventFilter(parsed as Json, 'filter');
}

const passes = (filter: RoomEventFilter, event: StoredEvent) =>
  matchesEventFilter(filter, event.pdu.type, event.pdu.sender);

/** Member events of the senders in `events` (lazy-loading members). */
function senderMembers(api: ClientApi, room: LoadedRoom, events: StoredEvent[]): Json[] {
  const senders = new Set(events.map((e) => e.pdu.sender));
  const out: Json[] = [];
  for (const sender of senders) {
    const member = api.hs.rooms.stateEvent(room, 'm.room.member', sender);
    if (member) out.push(toClientEvent(member));
  }
  return out;
}

export function mountRoomRead(api: ClientApi): void {
  const { hs } = api;
  const { rooms } = hs;

  /**
   * Pages through a room's timeline from stream position `from` (exclusive going forwards,
   * inclusive going backwards), skipping filtered events, until `limit` events are found.
   */
  async function page(room: LoadedRoom, from: number, backwards: boolean, limit: number,
    bound: number | undefined, filter: RoomEventFilter, upTo: number,
    visible: ((event: StoredEvent) => boolean) | null) {
    const found: StoredEvent[] = [];
    let cursor = from;
    let exhausted = false;
    // Events a filter or history visibility hides still cost a read: past this many, the page
    // ends early with a token to go on from, rather than walk a whole long history at once.
    let budget = Math.max(MAX_SCANNED, limit * 4);
    while (found.length < limit && budget > 0) {
      const ids = backwards
        ? await hs.events.timeline(room.roomId, { to: Math.min(cursor, upTo) + 1,
          from: bound, backwards: true, limit: limit * 2 })
        : await hs.events.timeline(room.roomId, { from: cursor,
          to: bound !== undefined ? Math.min(bound + 1, upTo + 1) : (upTo === Infinity ? undefined
            : upTo + 1), limit: limit * 2 });
      if (ids.length === 0) { exhausted = true; break; }
      const events = await hs.events.getEvents(ids.map((r) => r.event_id));
      budget -= events.length;
      for (const event of events) {
        if (!event) continue;
        cursor = backwards ? event.pos - 1 : event.pos;
        if (passes(filter, event) && (!visible || visible(event))) found.push(event);
        if (found.length >= limit) break;
      }
      if (ids.length < limit * 2 && found.length < limit) { exhausted = true; break; }
    }
    return { events: found, next: cursor, exhausted };
  }

  // GET /rooms/{roomId}/messages
  api.authed('GET', '/rooms/:roomId/messages', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    const upTo = await readableUpTo(hs, room, req.user.userId);
    const visible = await visibleEvents(hs, room, req.user.userId);
    const dir = req.query.dir ?? 'b';
    if (dir !== 'b' && dir !== 'f') {
      throw new MatrixError('M_INVALID_PARAM', "'dir' must be b or f");
    }
    const limit = Math.min(queryInteger(req.query.limit, 'limit') ?? 10, 1000);
    const filter = parseFilterParam(req.query.filter);
    const backwards = dir === 'b';
    const from = req.query.from ? parseStreamToken(req.query.from)
      : (backwards ? hs.stream.durable : 0);
    const to = req.query.to ? parseStreamToken(req.query.to) : undefined;

    const result = limit === 0 ? { events: [], next: from, exhausted: false }
      : await page(room, from, backwards, limit, to, filter, upTo, visible);
    const response: Json = {
      start: formatPageToken(from),
      chunk: result.events.map((e) => toClientEvent(e, req.user)),
    };
    if (!result.exhausted) response.end = formatPageToken(result.next);
    if (filter.lazy_load_members) response.state = senderMembers(api, room, result.events);
    return response;
  });

  // GET /rooms/{roomId}/context/{eventId}
  api.authed('GET', '/rooms/:roomId/context/:eventId', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    const upTo = await readableUpTo(hs, room, req.user.userId);
    const visible = await visibleEvents(hs, room, req.user.userId);
    const event = await hs.events.getEvent(req.params.eventId!);
    if (!event || event.room_id !== room.roomId || event.pos > upTo
      || (visible && !visible(event))) {
      throw notFound('Event not found.');
    }
    const limit = Math.min(queryInteger(req.query.limit, 'limit') ?? 10, 1000);
    const filter = parseFilterParam(req.query.filter);
    const beforeCount = Math.floor(limit / 2);
    const before = await page(room, event.pos - 1, true, beforeCount, undefined, filter, upTo,
      visible);
    const after = await page(room, event.pos, false, limit - beforeCount, undefined, filter, upTo,
      visible);
    const stateMap = await hs.rooms.stateIdsAt(event);
    const stateEvents = (await hs.events.getEvents([...stateMap.values()]))
      .filter((e): e is StoredEvent => e !== undefined);
    const state = filter.lazy_load_members
      ? stateEvents.filter((e) => e.pdu.type !== 'm.room.member'
        || [event, ...before.events, ...after.events].some((x) => x.pdu.sender === e.pdu.state_key))
      : stateEvents;
    return {
      event: toClientEvent(event, req.user),
      events_before: before.events.map((e) => toClientEvent(e, req.user)),
      events_after: after.events.map((e) => toClientEvent(e, req.user)),
      start: formatPageToken(before.next),
      end: formatPageToken(after.next),
      state: state.map((e) => toClientEvent(e, req.user)),
    };
  });

  function memberFilter(req: AuthedRequest, event: StoredEvent): boolean {
    const membership = event.pdu.content.membership;
    if (req.query.membership && membership !== req.query.membership) return false;
    if (req.query.not_membership && membership === req.query.not_membership) return false;
    return true;
  }

  // GET /rooms/{roomId}/members
  api.authed('GET', '/rooms/:roomId/members', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    await readableUpTo(hs, room, req.user.userId);
    const chunk = [...room.state.values()]
      .filter((e) => e.pdu.type === 'm.room.member' && memberFilter(req, e))
      .map((e) => toClientEvent(e, req.user));
    return { chunk };
  });

  // GET /rooms/{roomId}/joined_members
  api.authed('GET', '/rooms/:roomId/joined_members', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    await readableUpTo(hs, room, req.user.userId);
    const joined: Record<string, Json> = {};
    for (const userId of room.joined) {
      const content = rooms.stateEvent(room, 'm.room.member', userId)?.pdu.content ?? {};
      const entry: Json = {};
      if (typeof content.displayname === 'string') entry.display_name = content.displayname;
      if (typeof content.avatar_url === 'string') entry.avatar_url = content.avatar_url;
      joined[userId] = entry;
    }
    return { joined };
  });

  // GET /rooms/{roomId}/state
  api.authed('GET', '/rooms/:roomId/state', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    const upTo = await readableUpTo(hs, room, req.user.userId);
    return [...room.state.values()].filter((e) => e.pos <= upTo)
      .map((e) => toClientEvent(e, req.user));
  });

  // GET /joined_rooms
  api.authed('GET', '/joined_rooms', async (req) => {
    const memberships = await hs.events.memberships(req.user.userId);
    return {
      joined_rooms: memberships.filter((m) => m.membership === 'join').map((m) => m.room_id),
    };
  });
}
