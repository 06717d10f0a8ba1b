import { badJson, forbidden, invalidParam, missingParam, notFound } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { UserRecord } from '../storage/level/accounts.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { bodyObject, checkUserId, type Json } from './validate.js';

type Field = 'displayname' | 'avatar_url';

/** Key names the spec allows in the path (client-server API, "Profiles"). */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_DISPLAYNAME = 256;
const MXC = /^mxc:\/\/[^/]+\/[^/]+$/;

function profileOf(user: UserRecord): Json {
  const out: Json = {};
  if (user.displayname !== null) out.displayname = user.displayname;
  if (user.avatar_url !== null) out.avatar_url = user.avatar_url;
  return out;
}

/**
 * Mirrors a profile change into every room the user is joined to, as a new join event
 * (client-server API, "Events on Change of Profile Information"). A room that refuses the
 * event does not undo the change elsewhere; it is logged and skipped.
 */
async function updateMemberships(hs: Homeserver, req: AuthedRequest, user: UserRecord):
  Promise<void> {
  const userId = user.user_id;
  const joined = (await hs.events.memberships(userId)).filter((m) => m.membership === 'join');
  for (const { room_id: roomId } of joined) {
    const content: Json = { membership: 'join', ...profileOf(user) };
    try {
      await hs.rooms.sendEvent(roomId, { type: 'm.room.member', state_key: userId,
        sender: userId, content });
    } catch (err) {
      req.raw.log.warn({ err, room_id: roomId, user_id: userId }, 'profile member update failed');
    }
  }
}

function parseValue(field: Field, body: Json): string | null {
  if (!(field in body)) throw missingParam(`'${field}' is required`);
  const value = body[field];
  if (typeof value !== 'string') throw badJson(`'${field}' must be a string`);
  if (field === 'displayname') {
    if (value.length > MAX_DISPLAYNAME) {
      throw invalidParam(`'displayname' is longer than ${MAX_DISPLAYNAME} characters`);
    }
    return value === '' ? null : value;
  }
  // An empty avatar_url is how clients remove their avatar.
  if (value === '') return null;
  if (!MXC.test(value)) {
    throw invalidParam("'avatar_url' must be an mxc:// URI");
  }
  return value;
}

export function mountProfile(api: ClientApi): void {
  const { hs } = api;

  async function requireUser(userId: string): Promise<UserRecord> {
    checkUserId(userId, 'userId');
    const user = hs.rooms.isLocalUser(userId) ? await hs.accounts.getUser(userId) : undefined;
    if (!user || user.deactivated) throw notFound('Profile not found');
    return user;
  }

  function checkKey(req: AuthedRequest): Field {
    const key = req.params.keyName!;
    if (!KEY_NAME.test(key)) throw invalidParam('Invalid profile key.');
    if (key !== 'displayname' && key !== 'avatar_url') {
      throw forbidden(`This server does not store the profile field ${key}`);
    }
    if (req.params.userId !== req.user.userId) {
      throw forbidden("Cannot change another user's profile");
    }
    return key;
  }

  async function setField(req: AuthedRequest, field: Field, value: string | null) {
    const user = await requireUser(req.user.userId);
    if (user[field] === value) return {};
    const updated = await hs.accounts.updateProfile(user.user_id, { [field]: value });
    req.raw.log.info({ user_id: user.user_id, field }, 'profile changed');
    await updateMemberships(hs, req, updated);
    return {};
  }

  // GET /profile/{userId}
  api.open('GET', '/profile/:userId', async (req) =>
    profileOf(await requireUser(req.params.userId!)));

  // GET /profile/{userId}/{keyName}
  api.open('GET', '/profile/:userId/:keyName', async (req) => {
    const user = await requireUser(req.params.userId!);
    const key = req.params.keyName!;
    const profile = profileOf(user);
    if (!(key in profile)) throw notFound(`No profile field ${key}`);
    return { [key]: profile[key] };
  });

  // PUT /profile/{userId}/{keyName}
  api.authed('PUT', '/profile/:userId/:keyName', async (req) => {
    const field = checkKey(req);
    return setField(req, field, parseValue(field, bodyObject(req.body)));
  });

  // DELETE /profile/{userId}/{keyName}
  api.authed('DELETE', '/profile/:userId/:keyName', async (req) =>
    setField(req, checkKey(req), null));
}
