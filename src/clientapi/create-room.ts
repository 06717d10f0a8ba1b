import { MatrixError, forbidden, notFound } from '../http/errors.js';
import { createRoom, type Preset } from '../rooms/create-room.js';
import { getRoomVersion } from '../rooms/room-versions.js';
import type { ClientApi } from './context.js';
import {
  bodyObject, checkUserId, optArray, optBoolean, optObject, optString, optStringArray, type Json,
} from './validate.js';

const PRESETS = new Set(['private_chat', 'public_chat', 'trusted_private_chat']);

function parseInitialState(entries: unknown[]): Array<{ type: string; state_key: string;
  content: Json }> {
  return entries.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new MatrixError('M_BAD_JSON', `'initial_state[${i}]' must be an object`);
    }
    const e = entry as Json;
    const type = optString(e, 'type');
    if (!type) throw new MatrixError('M_BAD_JSON', `'initial_state[${i}].type' is required`);
    const content = optObject(e, 'content');
    if (!content) throw new MatrixError('M_BAD_JSON', `'initial_state[${i}].content' is required`);
    return { type, state_key: optString(e, 'state_key') ?? '', content };
  });
}

export function mountCreateRoom(api: ClientApi): void {
  const { hs } = api;

  // POST /createRoom
  api.authed('POST', '/createRoom', async (req) => {
    const body = bodyObject(req.body);
    const visibility = optString(body, 'visibility') ?? 'private';
    if (visibility !== 'public' && visibility !== 'private') {
      throw new MatrixError('M_INVALID_PARAM', "'visibility' must be 'public' or 'private'");
    }
    const presetName = optString(body, 'preset')
      ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
    if (!PRESETS.has(presetName)) {
      throw new MatrixError('M_INVALID_PARAM', `Unknown preset ${presetName}`);
    }

    const versionId = optString(body, 'room_version') ?? hs.config.rooms.default_version;
    const version = getRoomVersion(versionId);
    if (!version) {
      throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION',
        `This server does not support room version ${versionId}`);
    }

    const invite = (optStringArray(body, 'invite') ?? [])
      .map((u, i) => checkUserId(u, `invite[${i}]`));
    for (const userId of invite) {
      if (!hs.rooms.isLocalUser(userId)) {
        throw forbidden(`Cannot invite ${userId}: federation is not supported yet`);
      }
      if (!(await hs.accounts.getUser(userId))) throw notFound(`Unknown user ${userId}`);
    }
    if ((optArray(body, 'invite_3pid') ?? []).length > 0) {
      throw new MatrixError('M_UNRECOGNIZED', 'Third-party invites are not supported', {}, 400);
    }

    let alias: string | undefined;
    const aliasName = optString(body, 'room_alias_name');
    if (aliasName !== undefined) {
      if (aliasName.length === 0 || /[:\s#]/.test(aliasName)) {
        throw new MatrixError('M_INVALID_PARAM',
          "'room_alias_name' is not a valid alias localpart");
      }
      alias = `#${aliasName}:${hs.config.server_name}`;
      if (await hs.directory.getAlias(alias)) {
        throw new MatrixError('M_ROOM_IN_USE', `Room alias ${alias} already taken`);
      }
    }

    const creator = req.user.userId;
    const profile = await hs.accounts.getUser(creator);
    const { room } = await createRoom(hs.rooms, {
      creator,
      version,
      preset: presetName as Preset,
      name: optString(body, 'name'),
      topic: optString(body, 'topic'),
      alias,
      invite,
      isDirect: optBoolean(body, 'is_direct') ?? false,
      initialState: parseInitialState(optArray(body, 'initial_state') ?? []),
      powerLevelOverride: optObject(body, 'power_level_content_override'),
      creationContent: optObject(body, 'creation_content'),
      creatorProfile: { displayname: profile?.displayname, avatar_url: profile?.avatar_url },
    });

    const ops = alias ? hs.directory.putAliasOps(alias, { room_id: room.roomId, creator }) : [];
    if (visibility === 'public') ops.push(hs.directory.publishOp(room.roomId, true));
    if (ops.length) await hs.db.write(ops);
    req.raw.log.info({ room_id: room.roomId, user_id: creator, version: version.id },
      'room created');
    return { room_id: room.roomId };
  });
}
