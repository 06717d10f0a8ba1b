/**
 * Authorization rules for m.room.power_levels events: rule 10 in v12, rule 9 in v6-v11.
 * Comments cite the v12 numbering; AuthError reasons render the room version's own numbering.
 */
import { reject, type AuthContext } from './auth-context.js';
import { isValidUserId } from './auth-identifiers.js';
import { parsePowerLevel, roomCreators, userPowerLevel } from './power-levels.js';

const LEVEL_KEYS = [
  'users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite',
] as const;
const MAP_KEYS = ['events', 'notifications'] as const;

type Levels = Record<string, unknown>;

function isObject(value: unknown): value is Levels {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns when the event is allowed; throws AuthError otherwise. */
export function checkPowerLevelsEvent(ctx: AuthContext): void {
  const { event, state, version, create } = ctx;
  const content = event.content ?? {};

  if (version.integerPowerLevels) {
    // 10.1 (v10+) If any of users_default, events_default, state_default, ban, redact, kick,
    // or invite are present and not an integer, reject.
    for (const key of LEVEL_KEYS) {
      if (content[key] !== undefined && parsePowerLevel(content[key], version) === undefined) {
        reject(ctx, '10.1', `${key} is not an integer`);
      }
    }
    // 10.2 (v10+) If events or notifications are present and not an object with integer
    // values, reject.
    for (const key of MAP_KEYS) {
      if (content[key] !== undefined && !isLevelMap(content[key], ctx)) {
        reject(ctx, '10.2', `${key} is not an object of integers`);
      }
    }
  }

  // 10.3 If users is not an object with valid user ID keys and integer (before v10, or
  // integer string) values, reject.
  const users = content.users;
  if (users !== undefined) {
    if (!isLevelMap(users, ctx)) reject(ctx, '10.3', 'users is not an object of integers');
    const bad = Object.keys(users).find((id) => !isValidUserId(id));
    if (bad !== undefined) reject(ctx, '10.3', `users has an invalid user ID ${bad}`);
  }

  // 10.4 (v12) If users contains a creator (create sender or additional_creators), reject.
  if (version.privilegedCreators && isObject(users)) {
    const creator = roomCreators(create, version).find((id) => Object.hasOwn(users, id));
    if (creator !== undefined) reject(ctx, '10.4', `creator ${creator} cannot be in users`);
  }

  // 10.5 If there is no previous m.room.power_levels event in the room, allow.
  const previous = state('m.room.power_levels', '')?.content;
  if (!previous) return;

  const senderLevel = userPowerLevel(event.sender, state, version);
  const level = (value: unknown, rule: string, what: string): number | undefined => {
    if (value === undefined) return undefined;
    // Current values are read as leniently as power-levels.ts reads them everywhere else.
    const parsed = parsePowerLevel(value, what.startsWith('current') ? undefined : version);
    // Before v10 only `users` is validated up front; any other value must still be an
    // integer (or integer string) for the comparisons below to mean anything.
    if (parsed === undefined) reject(ctx, rule, `${what} is not an integer`);
    return parsed;
  };

  // 10.6 For each of users_default, events_default, state_default, ban, redact, kick and
  // invite that was added, changed or removed:
  for (const key of LEVEL_KEYS) {
    const before = level(previous[key], '10.6', `current ${key}`);
    const after = level(content[key], '10.6', key);
    if (before === after) continue;
    // 10.6.1 If the current value is higher than the sender's power level, reject.
    if (before !== undefined && before > senderLevel) {
      reject(ctx, '10.6.1', `current ${key} is above the sender's power level`);
    }
    // 10.6.2 If the new value is higher than the sender's power level, reject.
    if (after !== undefined && after > senderLevel) {
      reject(ctx, '10.6.2', `new ${key} is above the sender's power level`);
    }
  }

  for (const map of MAP_KEYS) {
    const beforeMap = isObject(previous[map]) ? previous[map] : {};
    const afterMap = isObject(content[map]) ? content[map] : {};
    for (const key of new Set([...Object.keys(beforeMap), ...Object.keys(afterMap)])) {
      const before = level(beforeMap[key], '10.7', `current ${map}.${key}`);
      const after = level(afterMap[key], '10.8', `${map}.${key}`);
      if (before === after) continue;
      // 10.7.1 For an entry changed or removed: if the current value is greater than the
      // sender's power level, reject.
      if (before !== undefined && before > senderLevel) {
        reject(ctx, '10.7.1', `current ${map}.${key} is above the sender's power level`);
      }
      // 10.8.1 For an entry added or changed: if the new value is greater than the sender's
      // power level, reject.
      if (after !== undefined && after > senderLevel) {
        reject(ctx, '10.8.1', `new ${map}.${key} is above the sender's power level`);
      }
    }
  }

  const beforeUsers = isObject(previous.users) ? previous.users : {};
  const afterUsers = isObject(users) ? users : {};
  for (const id of new Set([...Object.keys(beforeUsers), ...Object.keys(afterUsers)])) {
    const before = level(beforeUsers[id], '10.9', `current users.${id}`);
    const after = level(afterUsers[id], '10.10', `users.${id}`);
    if (before === after) continue;
    // 10.9.1 For an entry changed or removed, other than the sender's own: if the current
    // value is greater than or equal to the sender's power level, reject.
    if (id !== event.sender && before !== undefined && before >= senderLevel) {
      reject(ctx, '10.9.1', `cannot change ${id}, whose level is not below the sender's`);
    }
    // 10.10.1 For an entry added or changed: if the new value is greater than the sender's
    // power level, reject.
    if (after !== undefined && after > senderLevel) {
      reject(ctx, '10.10.1', `cannot raise ${id} above the sender's power level`);
    }
  }

  // 10.11 Otherwise, allow.
}

/** An object whose values are all power levels valid in this room version. */
function isLevelMap(value: unknown, ctx: AuthContext): value is Levels {
  if (!isObject(value)) return false;
  return Object.values(value).every((v) => parsePowerLevel(v, ctx.version) !== undefined);
}
