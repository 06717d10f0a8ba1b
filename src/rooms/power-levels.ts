/**
 * Reading power levels from room state. Used by the auth rules and by the client API, so the
 * defaults live in one place (client-server API, `m.room.power_levels`; room version 12 notes
 * on creators).
 */
import type { PDU, StateLookup } from './event.js';
import type { RoomVersion } from './room-versions.js';

export type PowerAction = 'invite' | 'kick' | 'ban' | 'redact';

/** Defaults that apply when a key is missing from an existing power levels event. */
const ACTION_DEFAULTS: Readonly<Record<PowerAction, number>> = {
  invite: 0,
  kick: 50,
  ban: 50,
  redact: 50,
};
const STATE_DEFAULT = 50;
const NOTIFICATION_DEFAULT = 50;
/** Room versions 1-11: with no power levels event, the creator has this level. */
const CREATOR_DEFAULT = 100;

/** Optional sign, digits, surrounded by optional whitespace (v1-stringy-power-levels). */
const STRINGY_INT = /^\s*[+-]?\d+\s*$/;

/**
 * Parses one power level value. Before v10 an integer may be written as a string
 * ("100", " +050 "); from v10 only JSON integers are valid. Values outside the canonical JSON
 * integer range are invalid either way. Returns undefined for anything else.
 */
export function parsePowerLevel(value: unknown, version?: RoomVersion): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || version?.integerPowerLevels) return undefined;
  if (!STRINGY_INT.test(value)) return undefined;
  const parsed = Number(value.trim());
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

function powerLevelsContent(state: StateLookup): Record<string, any> | undefined {
  const content = state('m.room.power_levels', '')?.content;
  return content && typeof content === 'object' ? content : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a level from existing state. State has already passed auth, so a malformed value can
 * only come from a server that did not enforce the rules; it falls back to the default.
 */
function readLevel(value: unknown, fallback: number): number {
  return parsePowerLevel(value) ?? fallback;
}

/** The users the create event names as creators: v12 uses sender + additional_creators. */
export function roomCreators(create: PDU | undefined, version: RoomVersion): string[] {
  if (!create) return [];
  if (version.privilegedCreators) {
    const extra = create.content?.additional_creators;
    const more = Array.isArray(extra) ? extra.filter((u) => typeof u === 'string') : [];
    return [create.sender, ...more];
  }
  if (version.implicitCreator) return [create.sender];
  const creator = create.content?.creator;
  return typeof creator === 'string' ? [creator] : [];
}

/**
 * The user's power level. In v12 creators are above every finite level (Infinity). Before
 * v12, with no power levels event, the creator has 100 and everyone else 0.
 */
export function userPowerLevel(userId: string, state: StateLookup, version: RoomVersion): number {
  const creators = roomCreators(state('m.room.create', ''), version);
  if (version.privilegedCreators && creators.includes(userId)) return Infinity;

  const content = powerLevelsContent(state);
  if (!content) return creators.includes(userId) ? CREATOR_DEFAULT : 0;

  const usersDefault = readLevel(content.users_default, 0);
  const users = isObject(content.users) ? content.users : {};
  return Object.hasOwn(users, userId) ? readLevel(users[userId], usersDefault) : usersDefault;
}

/**
 * The level needed to send an event of this type. With no power levels event at all both
 * state_default and events_default are 0.
 */
export function eventPowerLevel(type: string, isState: boolean, state: StateLookup): number {
  const content = powerLevelsContent(state);
  if (!content) return 0;

  const events = isObject(content.events) ? content.events : {};
  const fallback = isState
    ? readLevel(content.state_default, STATE_DEFAULT)
    : readLevel(content.events_default, 0);
  return Object.hasOwn(events, type) ? readLevel(events[type], fallback) : fallback;
}

/** The level needed to invite, kick, ban or redact others' events. */
export function actionPowerLevel(action: PowerAction, state: StateLookup): number {
  return readLevel(powerLevelsContent(state)?.[action], ACTION_DEFAULTS[action]);
}

/** The level needed to trigger a notification of this kind, e.g. `room` for @room. */
export function notificationPowerLevel(key: string, state: StateLookup): number {
  const notifications = powerLevelsContent(state)?.notifications;
  const value = isObject(notifications) ? notifications[key] : undefined;
  return readLevel(value, NOTIFICATION_DEFAULT);
}
