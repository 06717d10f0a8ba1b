import type { Homeserver } from '../homeserver.js';
import { badJson } from '../http/errors.js';
import { e2eKeyStore, type CrossSigningUsage, type KeyObject } from '../storage/level/e2e-keys.js';
import type { ClientApi } from './context.js';
import { crossSigningPublicKey, isObject, withSignatures } from './keys-json.js';
import { bodyObject, optObject } from './validate.js';

type KeyMap = Record<string, KeyObject>;

interface QueryResult {
  failures: Record<string, unknown>;
  device_keys: Record<string, KeyMap>;
  master_keys: KeyMap;
  self_signing_keys: KeyMap;
  user_signing_keys: KeyMap;
}

/**
 * A user's device keys as the requester should see them: only devices that still exist,
 * with signatures uploaded later merged in and the device's display name in `unsigned`.
 */
async function queryDevices(hs: Homeserver, userId: string, wanted: string[]):
  Promise<KeyMap> {
  const keys = e2eKeyStore(hs.db);
  const all = await keys.allDeviceKeys(userId);
  const out: KeyMap = {};
  for (const device of await hs.accounts.listDevices(userId)) {
    if (wanted.length > 0 && !wanted.includes(device.device_id)) continue;
    const deviceKeys = all.get(device.device_id);
    if (!deviceKeys) continue;
    const signed = withSignatures(deviceKeys, await keys.signatures(userId, device.device_id));
    if (device.display_name) signed.unsigned = { device_display_name: device.display_name };
    out[device.device_id] = signed;
  }
  return out;
}

/**
 * One cross-signing key with the signatures uploaded for it. Signatures by another user's
 * user-signing key are shown only to that user (cross-signing module: they are private).
 */
async function queryCrossSigningKey(hs: Homeserver, userId: string, usage: CrossSigningUsage,
  requester: string): Promise<KeyObject | undefined> {
  const keys = e2eKeyStore(hs.db);
  const key = await keys.getCrossSigningKey(userId, usage);
  if (!key) return undefined;
  const extra = await keys.signatures(userId, crossSigningPublicKey(key));
  for (const signer of Object.keys(extra)) {
    if (signer !== userId && signer !== requester) delete extra[signer];
  }
  return withSignatures(key, extra);
}

/** POST /keys/query for the users of this server. */
async function queryKeys(hs: Homeserver, requester: string,
  wanted: Record<string, unknown>): Promise<QueryResult> {
  const result: QueryResult = {
    failures: {}, device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {},
  };
  for (const [userId, devices] of Object.entries(wanted)) {
    if (!Array.isArray(devices) || devices.some((d) => typeof d !== 'string')) {
      throw badJson(`'device_keys.${userId}' must be a list of device IDs`);
    }
    // Users of other servers would need federation; unknown users are left out.
    if (!hs.rooms.isLocalUser(userId) || !await hs.accounts.getUser(userId)) continue;
    result.device_keys[userId] = await queryDevices(hs, userId, devices as string[]);
    const master = await queryCrossSigningKey(hs, userId, 'master', requester);
    if (master) result.master_keys[userId] = master;
    const selfSigning = await queryCrossSigningKey(hs, userId, 'self_signing', requester);
    if (selfSigning) result.self_signing_keys[userId] = selfSigning;
    // The user-signing key is only ever shown to its owner.
    if (userId === requester) {
      const userSigning = await queryCrossSigningKey(hs, userId, 'user_signing', requester);
      if (userSigning) result.user_signing_keys[userId] = userSigning;
    }
  }
  return result;
}

export function mountKeyQuery(api: ClientApi, prefixes: string[]): void {
  // POST /keys/query
  api.authed('POST', '/keys/query', async (req) => {
    const wanted = optObject(bodyObject(req.body), 'device_keys') ?? {};
    if (!isObject(wanted)) throw badJson("'device_keys' must be an object");
    return queryKeys(api.hs, req.user.userId, wanted);
  }, prefixes);
}
