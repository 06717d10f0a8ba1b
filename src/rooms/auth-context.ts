/**
 * What every auth rule needs to see, plus the mapping from rule numbers to the numbering of
 * the room version at hand. Rules are written against the v12 numbering (the superset); older
 * versions lack some rules, so later numbers shift down.
 */
import { AuthError } from './auth-error.js';
import type { PDU, StateLookup } from './event.js';
import type { RoomVersion } from './room-versions.js';

/** Checks that need keys or signatures the auth rules do not hold themselves. */
export interface AuthOptions {
  /**
   * ID of the room's create event, for "the only previous event is an m.room.create".
   * Defaults to the create event's `event_id` field, or (v12) to the room ID with `$`.
   */
  createEventId?: string;
  /**
   * Whether any signature in a third-party invite's `signed` object verifies with this
   * public key (unpadded base64 ed25519). Without it, no third-party invite can be allowed.
   */
  verifyThirdPartyInvite?: (signed: Record<string, any>, publicKey: string) => boolean;
  /**
   * Whether the event is validly signed by this server (v8+ `join_authorised_via_users_server`
   * rule). Without it the rule is skipped: signatures are checked on receipt of a PDU.
   */
  isSignedBy?: (event: PDU, serverName: string) => boolean;
}

export interface AuthContext {
  event: PDU;
  /** The auth state, with rule 2.5 (same room_id) enforced on every lookup. */
  state: StateLookup;
  version: RoomVersion;
  options: AuthOptions;
  create: PDU;
}

/** Renders a v12 rule number in the numbering of `version`. */
export function ruleNumber(version: RoomVersion, v12Rule: string): string {
  const parts = v12Rule.split('.').map(Number);
  const [top, sub] = parts;
  if (!version.roomIdFromCreate && top !== undefined && top >= 3) parts[0] = top - 1;
  if (top === 5 && sub !== undefined) {
    // v6/v7 lack 5.2 (join_authorised_via_users_server) and 5.3.5 (restricted); v6 lacks
    // 5.7 (knock).
    const sub2 = parts[2];
    if (!version.restrictedJoin && sub >= 3) parts[1] = sub - 1;
    if (!version.knock && sub >= 8) parts[1] = sub - 2;
    if (!version.restrictedJoin && sub === 3 && sub2 !== undefined && sub2 >= 6) {
      parts[2] = sub2 - 1;
    }
  }
  if (top === 10 && sub !== undefined) {
    let n = sub;
    if (!version.privilegedCreators && n >= 5) n -= 1;
    if (!version.integerPowerLevels && n >= 3) n -= 2;
    parts[1] = n;
  }
  return parts.join('.');
}

/** Throws an AuthError citing the rule (v12 numbering, rendered for the room's version). */
export function reject(ctx: Pick<AuthContext, 'version'>, v12Rule: string, why: string): never {
  throw new AuthError(`auth rule ${ruleNumber(ctx.version, v12Rule)}: ${why}`);
}

/** A user's current membership, or undefined when they have no member event. */
export function membershipOf(state: StateLookup, userId: string): string | undefined {
  const membership = state('m.room.member', userId)?.content?.membership;
  return typeof membership === 'string' ? membership : undefined;
}

export function joinRuleOf(state: StateLookup): string | undefined {
  const rule = state('m.room.join_rules', '')?.content?.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}
