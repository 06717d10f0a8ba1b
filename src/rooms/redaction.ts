/**
 * The redaction algorithm (rooms/v6 "Redactions", rooms/v8, rooms/v9, rooms/v11): strips an
 * event down to the keys that carry protocol meaning, so that it still hashes, signs and
 * authorises the same way after its sender's content is gone. `unsigned` is in no version's
 * list, so it is removed; top-level `redacts` (v6-v10) is not in the list either.
 */
import type { PDU } from './event.js';
import type { RoomVersion } from './room-versions.js';

/** Top-level keys kept by v6-v10. The v11 list drops origin, membership and prev_state. */
const TOP_LEVEL_V6 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts',
  'membership',
];
const TOP_LEVEL_V11 = TOP_LEVEL_V6.filter(
  (key) => key !== 'origin' && key !== 'membership' && key !== 'prev_state',
);

const POWER_LEVELS_V6 = [
  'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default',
];

type ContentKeys = Readonly<Record<string, readonly string[]>>;

/** Content keys kept per event type (v6-redactions). */
const CONTENT_V6: ContentKeys = {
  'm.room.member': ['membership'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule'],
  'm.room.power_levels': POWER_LEVELS_V6,
  'm.room.history_visibility': ['history_visibility'],
};

/** v8 keeps the join rules' allow list (restricted rooms). */
const CONTENT_V8: ContentKeys = { ...CONTENT_V6, 'm.room.join_rules': ['join_rule', 'allow'] };

/** v9 also keeps join_authorised_via_users_server on members. */
const CONTENT_V9: ContentKeys = {
  ...CONTENT_V8,
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
};

/**
 * v11 keeps invite in power levels and redacts in redactions. The create event keeps all of
 * its content and a member's third_party_invite keeps its signed key; both are handled in
 * redactContent.
 */
const CONTENT_V11: ContentKeys = {
  ...CONTENT_V9,
  'm.room.power_levels': [...POWER_LEVELS_V6, 'invite'],
  'm.room.redaction': ['redacts'],
};

const CONTENT_BY_ALGORITHM: Readonly<Record<RoomVersion['redaction'], ContentKeys>> = {
  v6: CONTENT_V6,
  v8: CONTENT_V8,
  v9: CONTENT_V9,
  v11: CONTENT_V11,
};

/** Returns a new, redacted copy of `event`; the input is not modified. */
export function redactEvent(event: PDU, version: RoomVersion): PDU {
  return redact(event, version, structuredClone);
}

/**
 * The redacted form for hashing and signing only: it shares its nested values with `event`
 * instead of copying them (copying was a visible share of building every event), so it must
 * be serialized and dropped, never changed or kept.
 */
export function redactedView(event: PDU, version: RoomVersion): PDU {
  return redact(event, version, (value) => value);
}

function redact(event: PDU, version: RoomVersion, copy: <T>(value: T) => T): PDU {
  const topLevel = version.redaction === 'v11' ? TOP_LEVEL_V11 : TOP_LEVEL_V6;
  const redacted: Record<string, unknown> = {};
  for (const key of topLevel) {
    // content is rebuilt below; primitives need no copy.
    if (key === 'content' || !Object.hasOwn(event, key)) continue;
    const value = event[key];
    redacted[key] = typeof value === 'object' && value !== null ? copy(value) : value;
  }
  redacted.content = redactContent(event.type, event.content ?? {}, version, copy);
  return redacted as PDU;
}

function redactContent(
  type: string,
  content: Record<string, any>,
  version: RoomVersion,
  copy: <T>(value: T) => T,
): Record<string, any> {
  const v11 = version.redaction === 'v11';
  if (v11 && type === 'm.room.create') return copy(content);

  const table = CONTENT_BY_ALGORITHM[version.redaction];
  const kept: Record<string, any> = {};
  for (const key of table[type] ?? []) {
    if (Object.hasOwn(content, key)) kept[key] = copy(content[key]);
  }

  // v11: a member event keeps the signed key of third_party_invite, and nothing else of it.
  const invite = content.third_party_invite;
  if (v11 && type === 'm.room.member' && isObject(invite) && Object.hasOwn(invite, 'signed')) {
    kept.third_party_invite = { signed: copy(invite.signed) };
  }
  return kept;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
