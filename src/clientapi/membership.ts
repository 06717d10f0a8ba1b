import { MatrixError, forbidden, notFound } from '../http/errors.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import { actionPowerLevel } from '../rooms/power-levels.js';
import type { ClientApi } from './context.js';
import { bodyObject, checkUserId, isRoomId, optString, reqString, type Json } from './validate.js';

export function mountMembership(api: ClientApi): void {
  const { hs } = api;
  const { rooms } = hs;

  async function resolveRoom(idOrAlias: string): Promise<string> {
    if (isRoomId(idOrAlias)) return idOrAlias;
    if (idOrAlias.startsWith('#')) {
      const alias = await hs.directory.getAlias(idOrAlias);
      if (!alias) throw notFound(`Room alias ${idOrAlias} not found`);
      return alias.room_id;
    }
    throw new MatrixError('M_INVALID_PARAM', `${idOrAlias} is neither a room ID nor an alias`);
  }

  async function profileContent(userId: string, membership: string, reason?: string) {
    const user = await hs.accounts.getUser(userId);
    const content: Json = { membership };
    if (user?.displayname) content.displayname = user.displayname;
    if (user?.avatar_url) content.avatar_url = user.avatar_url;
    if (reason !== undefined) content.reason = reason;
    return content;
  }

  /**
   * For restricted rooms (v8+), a join without an invite names a joined local user with the
   * invite power who vouches that the joiner is in one of the allowed rooms.
   */
  async function authorisingUser(room: LoadedRoom, userId: string): Promise<string | undefined> {
    const rule = rooms.stateEvent(room, 'm.room.join_rules')?.pdu.content;
    if (rule?.join_rule !== 'restricted' && rule?.join_rule !== 'knock_restricted') {
      return undefined;
    }
    if (['invite', 'join'].includes(rooms.membership(room, userId) ?? '')) return undefined;
    const allow = Array.isArray(rule.allow) ? rule.allow : [];
    let allowed = false;
    for (const entry of allow) {
      if (entry?.type !== 'm.room_membership' || typeof entry.room_id !== 'string') continue;
      const other = await rooms.getRoom(entry.room_id);
      if (other && rooms.membership(other, userId) === 'join') allowed = true;
    }
    if (!allowed) return undefined;
    const inviteLevel = actionPowerLevel('invite', rooms.lookup(room));
    return [...room.joined].find((u) => rooms.isLocalUser(u)
      && rooms.powerLevel(room, u) >= inviteLevel);
  }

  async function join(roomId: string, userId: string, reason?: string) {
    const room = await rooms.getRoom(roomId);
    if (!room) {
      throw notFound(`Room ${roomId} is not known to this server ` +
        '(federation is not supported yet)');
    }
    if (rooms.membership(room, userId) === 'join') return { room_id: roomId };
    const content = await profileContent(userId, 'join', reason);
    const via = await authorisingUser(room, userId);
    if (via) content.join_authorised_via_users_server = via;
    await rooms.sendEvent(roomId,
      { type: 'm.room.member', state_key: userId, sender: userId, content });
    return { room_id: roomId };
  }

  // POST /join/{roomIdOrAlias}
  api.authed('POST', '/join/:roomIdOrAlias', async (req) => {
    const roomId = await resolveRoom(req.params.roomIdOrAlias!);
    return join(roomId, req.user.userId, optString(bodyObject(req.body), 'reason'));
  });

  // POST /rooms/{roomId}/join
  api.authed('POST', '/rooms/:roomId/join', async (req) =>
    join(req.params.roomId!, req.user.userId, optString(bodyObject(req.body), 'reason')));

  // POST /knock/{roomIdOrAlias}
  api.authed('POST', '/knock/:roomIdOrAlias', async (req) => {
    const roomId = await resolveRoom(req.params.roomIdOrAlias!);
    const content = await profileContent(req.user.userId, 'knock',
      optString(bodyObject(req.body), 'reason'));
    await rooms.sendEvent(roomId, { type: 'm.room.member', state_key: req.user.userId,
      sender: req.user.userId, content });
    return { room_id: roomId };
  });

  // POST /rooms/{roomId}/leave
  api.authed('POST', '/rooms/:roomId/leave', async (req) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    const current = rooms.membership(room, req.user.userId);
    if (current === undefined || current === 'leave' || current === 'ban') {
      if (current === undefined) throw forbidden('You are not in this room');
      return {};
    }
    const content: Json = { membership: 'leave' };
    const reason = optString(bodyObject(req.body), 'reason');
    if (reason !== undefined) content.reason = reason;
    await rooms.sendEvent(room.roomId, { type: 'm.room.member', state_key: req.user.userId,
      sender: req.user.userId, content });
    return {};
  });

  // POST /rooms/{roomId}/forget
  api.authed('POST', '/rooms/:roomId/forget', async (req) => {
    const roomId = req.params.roomId!;
    const record = await hs.events.getMembership(req.user.userId, roomId);
    if (!record) throw notFound('You have no membership in this room');
    if (record.membership === 'join' || record.membership === 'invite') {
      throw new MatrixError('M_UNKNOWN', 'Leave the room before forgetting it', {}, 400);
    }
    await hs.events.forgetMembership(req.user.userId, roomId);
    return {};
  });

  // POST /rooms/{roomId}/invite, /kick, /ban, /unban
  const targeted: Array<[string, string]> = [
    ['invite', 'invite'], ['kick', 'leave'], ['ban', 'ban'], ['unban', 'leave'],
  ];
  for (const [action, membership] of targeted) {
    api.authed('POST', `/rooms/:roomId/${action}`, async (req) => {
      const body = bodyObject(req.body);
      const target = checkUserId(reqString(body, 'user_id'), 'user_id');
      const room = await rooms.requireRoom(req.params.roomId!);
      const current = rooms.membership(room, target);
      if (action === 'invite') {
        if (!rooms.isLocalUser(target)) {
          throw forbidden(`Cannot invite ${target}: federation is not supported yet`);
        }
        if (!(await hs.accounts.getUser(target))) throw notFound(`Unknown user ${target}`);
        if (current === 'join') throw forbidden(`${target} is already in the room`);
      }
      if (action === 'kick' && current !== 'join' && current !== 'invite' && current !== 'knock') {
        throw forbidden(`${target} is not in the room`);
      }
      if (action === 'unban' && current !== 'ban') throw forbidden(`${target} is not banned`);
      const content: Json = { membership };
      const reason = optString(body, 'reason');
      if (reason !== undefined) content.reason = reason;
      await rooms.sendEvent(room.roomId, { type: 'm.room.member', state_key: target,
        sender: req.user.userId, content });
      return {};
    });
  }
}
