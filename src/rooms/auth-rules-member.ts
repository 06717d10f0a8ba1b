/**
 * Authorization rules for m.room.member events: rule 5 in v12, rule 4 in v6-v11. Comments
 * cite the v12 numbering; AuthError reasons render the room version's own numbering.
 */
import {
  joinRuleOf,
  membershipOf,
  reject,
  type AuthContext,
} from './auth-context.js';
import { domainOf } from './auth-identifiers.js';
import { actionPowerLevel, roomCreators, userPowerLevel } from './power-levels.js';

/** Returns when the event is allowed; throws AuthError otherwise. */
export function checkMemberEvent(ctx: AuthContext): void {
  const { event, version } = ctx;
  const membership = event.content?.membership;

  // 5.1 If there is no state_key property, or no membership property in content, reject.
  if (typeof event.state_key !== 'string' || typeof membership !== 'string') {
    reject(ctx, '5.1', 'member event needs a state_key and content.membership');
  }

  // 5.2 (v8+) If content has join_authorised_via_users_server, the event must be signed by
  // that user's server. Signatures are outside these rules unless the caller can check them.
  const via = event.content.join_authorised_via_users_server;
  if (version.restrictedJoin && via !== undefined && ctx.options.isSignedBy) {
    const server = typeof via === 'string' ? domainOf(via) : undefined;
    if (!server || !ctx.options.isSignedBy(event, server)) {
      reject(ctx, '5.2.1', 'event is not signed by the authorising user\'s server');
    }
  }

  switch (membership) {
    case 'join':
      return checkJoin(ctx, event.state_key);
    case 'invite':
      return checkInvite(ctx, event.state_key);
    case 'leave':
      return checkLeave(ctx, event.state_key);
    case 'ban':
      return checkBan(ctx, event.state_key);
    case 'knock':
      // 5.7 exists from v7; before that knock is an unknown membership.
      if (version.knock) return checkKnock(ctx, event.state_key);
  }
  // 5.8 Otherwise, the membership is unknown. Reject.
  reject(ctx, '5.8', `unknown membership "${membership}"`);
}

/** 5.3.1 The creator's own join straight after the create event. */
function isCreatorFirstJoin(ctx: AuthContext, target: string): boolean {
  const { event, create, version, state } = ctx;
  if (event.prev_events.length !== 1) return false;

  // v12 asks for the create event's sender only, not additional creators.
  const creator = version.privilegedCreators ? create.sender : roomCreators(create, version)[0];
  if (target !== creator) return false;

  const createId = ctx.options.createEventId
    ?? (typeof create.event_id === 'string' ? create.event_id : undefined)
    ?? (version.roomIdFromCreate && event.room_id ? `$${event.room_id.slice(1)}` : undefined);
  if (createId !== undefined) return event.prev_events[0] === createId;

  // Without the create event's ID (v6-v11 IDs need the reference hash) fall back to what the
  // auth state shows: right after the create event there is no membership, join rule or
  // power level yet, which no later point in the room's history can reproduce.
  return membershipOf(state, target) === undefined
    && state('m.room.join_rules', '') === undefined
    && state('m.room.power_levels', '') === undefined;
}

function checkJoin(ctx: AuthContext, target: string): void {
  const { event, state, version } = ctx;

  // 5.3.1 If the only previous event is an m.room.create and the state_key is the creator,
  // allow.
  if (isCreatorFirstJoin(ctx, target)) return;

  // 5.3.2 If the sender does not match state_key, reject.
  if (event.sender !== target) reject(ctx, '5.3.2', 'cannot join on behalf of another user');

  // 5.3.3 If the sender is banned, reject.
  const current = membershipOf(state, target);
  if (current === 'ban') reject(ctx, '5.3.3', 'sender is banned from the room');

  // 5.3.4 If the join_rule is invite (or, v7+, knock) then allow if membership state is
  // invite or join.
  const joinRule = joinRuleOf(state);
  const wasInvited = current === 'invite' || current === 'join';
  if (joinRule === 'invite' || (version.knock && joinRule === 'knock')) {
    if (wasInvited) return;
    reject(ctx, '5.3.7', `join rule is ${joinRule} and sender is not invited`);
  }

  // 5.3.5 (v8+) If the join_rule is restricted (or, v10+, knock_restricted):
  const restricted = (version.restrictedJoin && joinRule === 'restricted')
    || (version.knockRestricted && joinRule === 'knock_restricted');
  if (restricted) {
    // 5.3.5.1 If membership state is join or invite, allow.
    if (wasInvited) return;

    // 5.3.5.2 If join_authorised_via_users_server is not a joined user with invite power,
    // reject.
    const via = event.content.join_authorised_via_users_server;
    if (typeof via !== 'string') {
      reject(ctx, '5.3.5.2', 'restricted join needs join_authorised_via_users_server');
    }
    if (membershipOf(state, via) !== 'join') {
      reject(ctx, '5.3.5.2', 'authorising user is not joined to the room');
    }
    if (userPowerLevel(via, state, version) < actionPowerLevel('invite', state)) {
      reject(ctx, '5.3.5.2', 'authorising user may not invite');
    }

    // 5.3.5.3 Otherwise, allow.
    return;
  }

  // 5.3.6 If the join_rule is public, allow.
  if (joinRule === 'public') return;

  // 5.3.7 Otherwise, reject.
  reject(ctx, '5.3.7', `join rule ${joinRule ?? '(none)'} does not allow joining`);
}

function checkInvite(ctx: AuthContext, target: string): void {
  const { event, state, version } = ctx;
  const targetMembership = membershipOf(state, target);

  // 5.4.1 If content has a third_party_invite property:
  if (event.content.third_party_invite !== undefined) {
    return checkThirdPartyInvite(ctx, target, targetMembership);
  }

  // 5.4.2 If the sender's current membership state is not join, reject.
  if (membershipOf(state, event.sender) !== 'join') {
    reject(ctx, '5.4.2', 'sender is not joined to the room');
  }

  // 5.4.3 If target user's current membership state is join or ban, reject.
  if (targetMembership === 'join' || targetMembership === 'ban') {
    reject(ctx, '5.4.3', `invitee's membership is ${targetMembership}`);
  }

  // 5.4.4 If the sender's power level is >= the invite level, allow. 5.4.5 Otherwise, reject.
  if (userPowerLevel(event.sender, state, version) < actionPowerLevel('invite', state)) {
    reject(ctx, '5.4.5', 'sender does not have the invite power level');
  }
}

function checkThirdPartyInvite(
  ctx: AuthContext,
  target: string,
  targetMembership: string | undefined,
): void {
  const { event, state } = ctx;
  const invite = event.content.third_party_invite;

  // 5.4.1.1 If target user is banned, reject.
  if (targetMembership === 'ban') reject(ctx, '5.4.1.1', 'invitee is banned');

  // 5.4.1.2 If content.third_party_invite does not have a signed property, reject.
  const signed = invite?.signed;
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) {
    reject(ctx, '5.4.1.2', 'third_party_invite has no signed object');
  }

  // 5.4.1.3 If signed does not have mxid and token properties, reject.
  if (typeof signed.mxid !== 'string' || typeof signed.token !== 'string') {
    reject(ctx, '5.4.1.3', 'third_party_invite.signed needs mxid and token');
  }

  // 5.4.1.4 If mxid does not match state_key, reject.
  if (signed.mxid !== target) reject(ctx, '5.4.1.4', 'signed mxid does not match state_key');

  // 5.4.1.5 If there is no m.room.third_party_invite event with state_key = token, reject.
  const pending = state('m.room.third_party_invite', signed.token);
  if (!pending) reject(ctx, '5.4.1.5', 'no m.room.third_party_invite for this token');

  // 5.4.1.6 If sender does not match sender of the m.room.third_party_invite, reject.
  if (pending.sender !== event.sender) {
    reject(ctx, '5.4.1.6', 'sender did not send the third-party invite');
  }

  // 5.4.1.7 If any signature in signed matches any public key in the m.room.third_party_invite
  // event (public_key, and each entry of public_keys), allow. 5.4.1.8 Otherwise, reject.
  const keys: string[] = [];
  if (typeof pending.content.public_key === 'string') keys.push(pending.content.public_key);
  if (Array.isArray(pending.content.public_keys)) {
    for (const entry of pending.content.public_keys) {
      if (typeof entry?.public_key === 'string') keys.push(entry.public_key);
    }
  }
  const verify = ctx.options.verifyThirdPartyInvite;
  if (verify && keys.some((key) => verify(signed, key))) return;
  reject(ctx, '5.4.1.8', 'no signature in signed matches the third-party invite\'s keys');
}

function checkLeave(ctx: AuthContext, target: string): void {
  const { event, state, version } = ctx;
  const targetMembership = membershipOf(state, target);

  // 5.5.1 If the sender matches state_key, allow if and only if that user's current
  // membership state is invite, join, or (v7+) knock.
  if (event.sender === target) {
    const canLeave = targetMembership === 'invite' || targetMembership === 'join'
      || (version.knock && targetMembership === 'knock');
    if (canLeave) return;
    reject(ctx, '5.5.1', `cannot leave with membership ${targetMembership ?? '(none)'}`);
  }

  // 5.5.2 If the sender's current membership state is not join, reject.
  if (membershipOf(state, event.sender) !== 'join') {
    reject(ctx, '5.5.2', 'sender is not joined to the room');
  }

  // 5.5.3 If the target is banned and the sender's power level is below the ban level, reject.
  const senderLevel = userPowerLevel(event.sender, state, version);
  if (targetMembership === 'ban' && senderLevel < actionPowerLevel('ban', state)) {
    reject(ctx, '5.5.3', 'sender does not have the ban power level needed to unban');
  }

  // 5.5.4 If the sender's level is >= the kick level and the target's level is below the
  // sender's, allow. 5.5.5 Otherwise, reject.
  if (senderLevel < actionPowerLevel('kick', state)) {
    reject(ctx, '5.5.5', 'sender does not have the kick power level');
  }
  if (userPowerLevel(target, state, version) >= senderLevel) {
    reject(ctx, '5.5.5', 'target\'s power level is not below the sender\'s');
  }
}

function checkBan(ctx: AuthContext, target: string): void {
  const { event, state, version } = ctx;

  // 5.6.1 If the sender's current membership state is not join, reject.
  if (membershipOf(state, event.sender) !== 'join') {
    reject(ctx, '5.6.1', 'sender is not joined to the room');
  }

  // 5.6.2 If the sender's level is >= the ban level and the target's level is below the
  // sender's, allow. 5.6.3 Otherwise, reject.
  const senderLevel = userPowerLevel(event.sender, state, version);
  if (senderLevel < actionPowerLevel('ban', state)) {
    reject(ctx, '5.6.3', 'sender does not have the ban power level');
  }
  if (userPowerLevel(target, state, version) >= senderLevel) {
    reject(ctx, '5.6.3', 'target\'s power level is not below the sender\'s');
  }
}

function checkKnock(ctx: AuthContext, target: string): void {
  const { event, state, version } = ctx;

  // 5.7.1 If the join_rule is anything other than knock (or, v10+, knock_restricted), reject.
  const joinRule = joinRuleOf(state);
  if (joinRule !== 'knock' && !(version.knockRestricted && joinRule === 'knock_restricted')) {
    reject(ctx, '5.7.1', `join rule ${joinRule ?? '(none)'} does not allow knocking`);
  }

  // 5.7.2 If sender does not match state_key, reject.
  if (event.sender !== target) reject(ctx, '5.7.2', 'cannot knock on behalf of another user');

  // 5.7.3 If the sender's current membership is not ban, invite, or join, allow.
  // 5.7.4 Otherwise, reject.
  const current = membershipOf(state, target);
  if (current === 'ban' || current === 'invite' || current === 'join') {
    reject(ctx, '5.7.4', `cannot knock with membership ${current}`);
  }
}
