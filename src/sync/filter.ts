import { badJson, MatrixError } from '../http/errors.js';

/** Client-server API "Filtering": EventFilter. */
export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

/** RoomEventFilter: an EventFilter plus the room-scoped options /sync honours. */
export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  contains_url?: boolean;
  unread_thread_notifications?: boolean;
}

export interface RoomFilter {
  rooms?: string[];
  not_rooms?: string[];
  include_leave?: boolean;
  timeline?: RoomEventFilter;
  state?: RoomEventFilter;
  ephemeral?: RoomEventFilter;
  account_data?: RoomEventFilter;
}

/** A parsed, checked sync filter; every part is optional and absent means "no filtering". */
export interface SyncFilter {
  event_fields?: string[];
  event_format?: 'client' | 'federation';
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: RoomFilter;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(obj: Json, key: string, path: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw badJson(`'${path}' must be an array of strings`);
  }
  return value as string[];
}

function boolean(obj: Json, key: string, path: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badJson(`'${path}' must be a boolean`);
  return value;
}

function object(obj: Json, key: string, path: string): Json | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badJson(`'${path}' must be an object`);
  return value;
}

function parseEventFilter(obj: Json, path: string): EventFilter {
  const out: EventFilter = {};
  if (obj.limit !== undefined && obj.limit !== null) {
    // The spec: "must be an integer greater than 0".
    if (typeof obj.limit !== 'number' || !Number.isSafeInteger(obj.limit) || obj.limit < 1) {
      throw badJson(`'${path}.limit' must be an integer greater than 0`);
    }
    out.limit = obj.limit;
  }
  for (const key of ['types', 'not_types', 'senders', 'not_senders'] as const) {
    const list = stringArray(obj, key, `${path}.${key}`);
    if (list) out[key] = list;
  }
  return out;
}

/** Checks a RoomEventFilter: the `filter` of /messages and /context, or part of a sync filter. */
export function parseRoomEventFilter(obj: Json, path: string): RoomEventFilter {
  const out: RoomEventFilter = parseEventFilter(obj, path);
  for (const key of ['rooms', 'not_rooms'] as const) {
    const list = stringArray(obj, key, `${path}.${key}`);
    if (list) out[key] = list;
  }
  for (const key of ['lazy_load_members', 'include_redundant_members', 'contains_url',
    'unread_thread_notifications'] as const) {
    const flag = boolean(obj, key, `${path}.${key}`);
    if (flag !== undefined) out[key] = flag;
  }
  return out;
}

function parseRoomFilter(obj: Json): RoomFilter {
  const out: RoomFilter = {};
  for (const key of ['rooms', 'not_rooms'] as const) {
    const list = stringArray(obj, key, `room.${key}`);
    if (list) out[key] = list;
  }
  const includeLeave = boolean(obj, 'include_leave', 'room.include_leave');
  if (includeLeave !== undefined) out.include_leave = includeLeave;
  for (const key of ['timeline', 'state', 'ephemeral', 'account_data'] as const) {
    const part = object(obj, key, `room.${key}`);
    if (part) out[key] = parseRoomEventFilter(part, `room.${key}`);
  }
  return out;
}

/**
 * Checks a filter definition (client-server API, "Filtering") and returns it in typed form.
 * Throws M_BAD_JSON naming the first field of the wrong shape; unknown keys are ignored.
 */
export function parseFilter(json: unknown): SyncFilter {
  if (!isObject(json)) throw badJson('Filter must be a JSON object');
  const out: SyncFilter = {};
  const fields = stringArray(json, 'event_fields', 'event_fields');
  if (fields) out.event_fields = fields;
  if (json.event_format !== undefined && json.event_format !== null) {
    if (json.event_format !== 'client' && json.event_format !== 'federation') {
      throw badJson("'event_format' must be 'client' or 'federation'");
    }
    out.event_format = json.event_format;
  }
  for (const key of ['presence', 'account_data'] as const) {
    const part = object(json, key, key);
    if (part) out[key] = parseEventFilter(part, key);
  }
  const room = object(json, 'room', 'room');
  if (room) out.room = parseRoomFilter(room);
  return out;
}

const patterns = new Map<string, RegExp>();

/** Whether an event type matches a filter pattern, where `*` stands for any run of chars. */
export function matchesType(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    re = new RegExp('^' + body.join('.*') + '$', 's');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(type);
}

/**
 * Whether an event of `type` from `sender` passes an event filter: `not_*` lists win over
 * the allow lists, and an absent list allows everything. `sender` may be undefined for data
 * that has none (account data), in which case sender lists are not applied.
 */
export function matchesEventFilter(filter: EventFilter | undefined, type: string,
  sender?: string): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((p) => matchesType(p, type))) return false;
  if (filter.types && !filter.types.some((p) => matchesType(p, type))) return false;
  if (sender !== undefined) {
    if (filter.not_senders?.includes(sender)) return false;
    if (filter.senders && !filter.senders.includes(sender)) return false;
  }
  return true;
}

/** Whether a room passes a filter's `rooms` / `not_rooms` lists (`not_rooms` wins). */
export function matchesRoom(filter: { rooms?: string[]; not_rooms?: string[] } | undefined,
  roomId: string): boolean {
  if (!filter) return true;
  if (filter.not_rooms?.includes(roomId)) return false;
  if (filter.rooms && !filter.rooms.includes(roomId)) return false;
  return true;
}

/**
 * The filter a /sync (or /messages) request names: inline JSON when the parameter starts
 * with '{' (that is why filter IDs never do), otherwise an ID uploaded by the same user.
 */
export async function loadFilter(
  store: { get(userId: string, filterId: string): Promise<Json | undefined> },
  userId: string, param: string | undefined,
): Promise<SyncFilter> {
  if (param === undefined || param === '') return {};
  if (param.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(param);
    } catch {
      throw new MatrixError('M_NOT_JSON', "'filter' is not valid JSON");
    }
    return parseFilter(json);
  }
  const stored = await store.get(userId, param);
  if (!stored) throw new MatrixError('M_INVALID_PARAM', `No filter with ID ${param}`);
  return parseFilter(stored);
}
