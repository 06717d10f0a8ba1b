import { badJson, forbidden, invalidParam, MatrixError, notFound } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import { eventPowerLevel } from '../rooms/power-levels.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { AuthedRequest, ClientApi, ClientRequest } from './context.js';
import {
  bodyObject, checkRoomId, optInteger, optObject, optString, queryInteger, reqString, type Json,
} from './validate.js';

const DEFAULT_LIMIT = 100;

/** Only this server's aliases can be created or resolved here (no federation yet). */
function checkLocalAlias(hs: Homeserver, alias: string): string {
  const colon = alias.indexOf(':');
  if (!alias.startsWith('#') || colon < 2 || alias.length > 255) {
    throw invalidParam('Room alias invalid');
  }
  if (alias.slice(colon + 1) !== hs.config.server_name) {
    throw invalidParam(`Room alias must end with ':${hs.config.server_name}'`);
  }
  return alias;
}

/**
 * Whether a user may manage a room's directory entries: a joined member with the power to
 * send m.room.canonical_alias, or a server admin.
 */
async function canManage(hs: Homeserver, room: LoadedRoom, userId: string): Promise<boolean> {
  if ((await hs.accounts.getUser(userId))?.admin) return true;
  if (hs.rooms.membership(room, userId) !== 'join') return false;
  const needed = eventPowerLevel('m.room.canonical_alias', true, hs.rooms.lookup(room));
  return hs.rooms.powerLevel(room, userId) >= needed;
}

/** One room as the published room directory describes it ("PublishedRoomsChunk"). */
function describeRoom(hs: Homeserver, room: LoadedRoom): Json {
  const content = (type: string) => hs.rooms.stateEvent(room, type)?.pdu.content;
  const text = (type: string, key: string) => {
    const value = content(type)?.[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const chunk: Json = {
    room_id: room.roomId,
    num_joined_members: room.joined.size,
    world_readable: content('m.room.history_visibility')?.history_visibility === 'world_readable',
    guest_can_join: content('m.room.guest_access')?.guest_access === 'can_join',
  };
  const optional: Array<[string, string | undefined]> = [
    ['name', text('m.room.name', 'name')],
    ['topic', text('m.room.topic', 'topic')],
    ['canonical_alias', text('m.room.canonical_alias', 'alias')],
    ['avatar_url', text('m.room.avatar', 'url')],
    ['join_rule', text('m.room.join_rules', 'join_rule')],
    ['room_type', text('m.room.create', 'type')],
  ];
  for (const [key, value] of optional) if (value !== undefined) chunk[key] = value;
  return chunk;
}

interface ListOptions { limit?: number; since?: string; term?: string; roomTypes?: unknown[] }

/** Offsets as opaque-looking tokens; a directory this small needs nothing stabler. */
function parseSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const match = /^o(\d+)$/.exec(since);
  if (!match) throw invalidParam("'since' is not a valid pagination token");
  return Number(match[1]);
}

async function listPublicRooms(hs: Homeserver, options: ListOptions): Promise<Json> {
  const rooms: Json[] = [];
  for (const roomId of await hs.directory.publishedRooms()) {
    const room = await hs.rooms.getRoom(roomId);
    if (room) rooms.push(describeRoom(hs, room));
  }
  const term = options.term?.toLowerCase();
  const matching = rooms.filter((r) => {
    if (options.roomTypes && !options.roomTypes.includes(r.room_type ?? null)) return false;
    if (!term) return true;
    return ['name', 'topic', 'canonical_alias'].some((k) =>
      typeof r[k] === 'string' && (r[k] as string).toLowerCase().includes(term));
  });
  // Largest rooms first, as the spec recommends; room ID breaks ties so pages are stable.
  matching.sort((a, b) => (b.num_joined_members as number) - (a.num_joined_members as number)
    || String(a.room_id).localeCompare(String(b.room_id)));
  const start = Math.min(parseSince(options.since), matching.length);
  const limit = options.limit && options.limit > 0 ? options.limit : DEFAULT_LIMIT;
  const out: Json = {
    chunk: matching.slice(start, start + limit),
    total_room_count_estimate: matching.length,
  };
  if (start + limit < matching.length) out.next_batch = `o${start + limit}`;
  if (start > 0) out.prev_batch = `o${Math.max(0, start - limit)}`;
  return out;
}

function checkServer(hs: Homeserver, server: string | undefined): void {
  if (server !== undefined && server !== '' && server !== hs.config.server_name) {
    throw invalidParam(
      'Listing the room directory of another server is not supported (no federation yet)');
  }
}

export function mountDirectory(api: ClientApi): void {
  const { hs } = api;
  /** Aliases being created right now, so two racing PUTs cannot both succeed. */
  const creating = new Set<string>();

  // PUT /directory/room/{roomAlias}
  api.authed('PUT', '/directory/room/:roomAlias', async (req) => {
    const alias = checkLocalAlias(hs, req.params.roomAlias!);
    const roomId = checkRoomId(reqString(bodyObject(req.body), 'room_id'));
    const room = await hs.rooms.getRoom(roomId);
    if (!room) throw notFound(`Room ${roomId} not found`);
    if (hs.rooms.membership(room, req.user.userId) !== 'join') {
      throw forbidden('You must be joined to the room to give it an alias');
    }
    if (creating.has(alias) || await hs.directory.getAlias(alias)) {
      throw new MatrixError('M_UNKNOWN', `Room alias ${alias} already exists.`, {}, 409);
    }
    creating.add(alias);
    try {
      await hs.db.write(hs.directory.putAliasOps(alias, { room_id: roomId,
        creator: req.user.userId }));
    } finally {
      creating.delete(alias);
    }
    req.raw.log.info({ alias, room_id: roomId, user_id: req.user.userId }, 'alias created');
    return {};
  });

  // GET /directory/room/{roomAlias}
  api.open('GET', '/directory/room/:roomAlias', async (req) => {
    const alias = req.params.roomAlias!;
    if (!alias.startsWith('#') || !alias.includes(':')) {
      throw invalidParam('Room alias invalid');
    }
    const record = await hs.directory.getAlias(alias);
    if (!record) throw notFound(`Room alias ${alias} not found.`);
    return { room_id: record.room_id, servers: [hs.config.server_name] };
  });

  // DELETE /directory/room/{roomAlias}
  api.authed('DELETE', '/directory/room/:roomAlias', async (req) => {
    const alias = req.params.roomAlias!;
    const record = await hs.directory.getAlias(alias);
    if (!record) throw notFound(`Room alias ${alias} not found.`);
    const room = await hs.rooms.getRoom(record.room_id);
    const allowed = record.creator === req.user.userId
      || (room !== undefined && await canManage(hs, room, req.user.userId));
    if (!allowed) throw forbidden('You may not delete this alias');
    await hs.db.write(hs.directory.deleteAliasOps(alias, record.room_id));
    req.raw.log.info({ alias, room_id: record.room_id, user_id: req.user.userId }, 'alias deleted');
    return {};
  });

  // GET /rooms/{roomId}/aliases
  api.authed('GET', '/rooms/:roomId/aliases', async (req) => {
    const roomId = checkRoomId(req.params.roomId!);
    const room = await hs.rooms.getRoom(roomId);
    const readable = room !== undefined && (hs.rooms.membership(room, req.user.userId) === 'join'
      || hs.rooms.stateEvent(room, 'm.room.history_visibility')?.pdu.content
        .history_visibility === 'world_readable');
    if (!readable) throw forbidden('You are not a member of the room.');
    return { aliases: await hs.directory.roomAliases(roomId) };
  });

  // GET /directory/list/room/{roomId}
  api.open('GET', '/directory/list/room/:roomId', async (req) => {
    const roomId = checkRoomId(req.params.roomId!);
    if (!(await hs.rooms.getRoom(roomId))) throw notFound('Room not found');
    return { visibility: await hs.directory.isPublished(roomId) ? 'public' : 'private' };
  });

  // PUT /directory/list/room/{roomId}
  api.authed('PUT', '/directory/list/room/:roomId', async (req) => {
    const roomId = checkRoomId(req.params.roomId!);
    const visibility = optString(bodyObject(req.body), 'visibility') ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') {
      throw invalidParam("'visibility' must be 'public' or 'private'");
    }
    const room = await hs.rooms.getRoom(roomId);
    if (!room) throw notFound('Room not found');
    if (!(await canManage(hs, room, req.user.userId))) {
      throw forbidden('You need the power to change the canonical alias to publish this room');
    }
    await hs.db.write([hs.directory.publishOp(roomId, visibility === 'public')]);
    req.raw.log.info({ room_id: roomId, visibility }, 'room directory visibility changed');
    return {};
  });

  // GET /publicRooms
  api.open('GET', '/publicRooms', async (req: ClientRequest) => {
    checkServer(hs, req.query.server);
    return listPublicRooms(hs, { limit: queryInteger(req.query.limit, 'limit'),
      since: req.query.since });
  });

  // POST /publicRooms
  api.authed('POST', '/publicRooms', async (req: AuthedRequest) => {
    checkServer(hs, req.query.server);
    const body = bodyObject(req.body);
    const filter = optObject(body, 'filter') ?? {};
    const roomTypes = filter.room_types;
    if (roomTypes !== undefined && roomTypes !== null && (!Array.isArray(roomTypes)
      || roomTypes.some((t) => t !== null && typeof t !== 'string'))) {
      throw badJson("'filter.room_types' must be an array of strings or null");
    }
    const term = filter.generic_search_term;
    if (term !== undefined && term !== null && typeof term !== 'string') {
      throw badJson("'filter.generic_search_term' must be a string");
    }
    return listPublicRooms(hs, {
      limit: optInteger(body, 'limit'), since: optString(body, 'since'),
      term: term ?? undefined, roomTypes: roomTypes ?? undefined,
    });
  });
}
