import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { ClientApi } from './context.js';
import { bodyObject, optInteger, reqString, type Json } from './validate.js';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

interface Candidate { user_id: string; display_name?: string; avatar_url?: string }

/**
 * Rooms whose members the requester may discover (client-server API, "User directory"):
 * rooms they are joined to, rooms with a public join rule and world-readable rooms.
 */
function roomIsVisible(hs: Homeserver, room: LoadedRoom, requester: string): boolean {
  if (room.joined.has(requester)) return true;
  const content = (type: string) => hs.rooms.stateEvent(room, type)?.pdu.content;
  return content('m.room.join_rules')?.join_rule === 'public'
    || content('m.room.history_visibility')?.history_visibility === 'world_readable';
}

/** A user's profile: their global one when local, else what their member event says. */
async function profile(hs: Homeserver, userId: string, room?: LoadedRoom):
  Promise<Candidate | undefined> {
  const out: Candidate = { user_id: userId };
  let name: unknown;
  let avatar: unknown;
  if (hs.rooms.isLocalUser(userId)) {
    const user = await hs.accounts.getUser(userId);
    if (!user || user.deactivated) return undefined;
    name = user.displayname;
    avatar = user.avatar_url;
  } else if (room) {
    const member = hs.rooms.stateEvent(room, 'm.room.member', userId)?.pdu.content;
    name = member?.displayname;
    avatar = member?.avatar_url;
  }
  if (typeof name === 'string' && name !== '') out.display_name = name;
  if (typeof avatar === 'string' && avatar !== '') out.avatar_url = avatar;
  return out;
}

/** Lower is better: exact ID, then a word starting with the term, then a substring. */
function rank(candidate: Candidate, term: string): number | undefined {
  const id = candidate.user_id.toLowerCase();
  const name = candidate.display_name?.toLowerCase() ?? '';
  if (id === term) return 0;
  const words = [...name.split(/\s+/), id.slice(1)];
  if (words.some((w) => w.startsWith(term))) return 1;
  if (id.includes(term) || name.includes(term)) return 2;
  return undefined;
}

export function mountUserDirectory(api: ClientApi): void {
  const { hs } = api;

  // POST /user_directory/search
  api.authed('POST', '/user_directory/search', async (req) => {
    const body = bodyObject(req.body);
    const raw = reqString(body, 'search_term').trim();
    const term = raw.toLowerCase();
    const limit = Math.min(Math.max(optInteger(body, 'limit') ?? DEFAULT_LIMIT, 0), MAX_LIMIT);
    const requester = req.user.userId;

    const found = new Map<string, Candidate>();
    for (const roomId of await hs.events.listRoomIds()) {
      const room = await hs.rooms.getRoom(roomId);
      if (!room || !roomIsVisible(hs, room, requester)) continue;
      for (const userId of room.joined) {
        if (found.has(userId)) continue;
        const candidate = await profile(hs, userId, room);
        if (candidate) found.set(userId, candidate);
      }
    }
    // Like Synapse by default: a local user is also found by their exact user ID.
    if (raw.startsWith('@') && hs.rooms.isLocalUser(raw) && !found.has(raw)) {
      const candidate = await profile(hs, raw);
      if (candidate) found.set(raw, candidate);
    }

    const ranked = [...found.values()]
      .map((c) => ({ c, r: rank(c, term) }))
      .filter((x): x is { c: Candidate; r: number } => x.r !== undefined)
      .sort((a, b) => a.r - b.r
        || Number(b.c.display_name !== undefined) - Number(a.c.display_name !== undefined)
        || a.c.user_id.localeCompare(b.c.user_id));
    const results: Json[] = ranked.slice(0, limit).map((x) => ({ ...x.c }));
    return { results, limited: ranked.length > limit };
  });
}
