import { badJson, invalidParam, missingParam, notFound } from '../http/errors.js';
import type { WriteOp } from '../storage/level/database.js';
import { e2eKeyStore } from '../storage/level/e2e-keys.js';
import { deviceListChanges, oneTimeKeyCounts } from '../sync/e2ee-section.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { mountCrossSigning } from './keys-cross-signing.js';
import { writeDeviceListChange } from './keys-device-lists.js';
import { isObject, sameJson } from './keys-json.js';
import { mountKeyQuery } from './keys-query.js';
import { bodyObject, optObject, reqString, type Json } from './validate.js';

/** The keys endpoints are also called under /unstable by older clients. */
const KEY_PREFIXES = [
  '/_matrix/client/v3', '/_matrix/client/r0', '/_matrix/client/unstable',
];

/** A /sync token (`s<pos>_<n>`) or a bare position, as a stream position. */
function streamPosition(token: string | undefined, name: string): number | undefined {
  if (token === undefined || token === '') return undefined;
  const match = /^s?(\d+)/.exec(token);
  if (!match) throw invalidParam(`'${name}' is not a sync token`);
  return Number(match[1]);
}

/** Splits "algorithm:key_id", or M_BAD_JSON naming the field. */
function splitKeyId(id: string, field: string): [string, string] {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) throw badJson(`'${field}' has a bad key ID ${id}`);
  return [id.slice(0, colon), id.slice(colon + 1)];
}

/** Mounts the end-to-end encryption key endpoints (client-server API, "Key management API"). */
export function mountKeys(api: ClientApi): void {
  const { hs } = api;
  const keys = e2eKeyStore(hs.db);

  /** Device keys, if they are new or changed, as writes; M_INVALID_PARAM if not the sender's. */
  async function deviceKeyOps(req: AuthedRequest, deviceKeys: Json): Promise<WriteOp[]> {
    const { userId, deviceId } = req.user;
    if (reqString(deviceKeys, 'user_id') !== userId) {
      throw invalidParam("'device_keys.user_id' must be the requester's user ID");
    }
    if (reqString(deviceKeys, 'device_id') !== deviceId) {
      throw invalidParam("'device_keys.device_id' must be the requester's device ID");
    }
    if (!Array.isArray(deviceKeys.algorithms) || !isObject(deviceKeys.keys)) {
      throw badJson("'device_keys' needs 'algorithms' and 'keys'");
    }
    // unsigned is the server's to fill in (device_display_name), not the client's.
    const { unsigned: _unsigned, ...stored } = deviceKeys;
    if (sameJson(await keys.getDeviceKeys(userId, deviceId), stored)) return [];
    return [keys.putDeviceKeysOp(userId, deviceId, stored)];
  }

  async function oneTimeKeyOps(req: AuthedRequest, oneTimeKeys: Json): Promise<WriteOp[]> {
    const { userId, deviceId } = req.user;
    const ops: WriteOp[] = [];
    for (const [id, key] of Object.entries(oneTimeKeys)) {
      splitKeyId(id, 'one_time_keys');
      const existing = await keys.getOneTimeKey(userId, deviceId, id);
      if (existing !== undefined) {
        // A re-sent upload (lost response) is fine; a different key under a used ID is not.
        if (sameJson(existing, key)) continue;
        throw badJson(`One-time key ${id} already exists with different content`);
      }
      ops.push(keys.putOneTimeKeyOp(userId, deviceId, id, key));
    }
    return ops;
  }

  /** A new fallback key replaces the old one for its algorithm; the same key keeps its state. */
  async function fallbackKeyOps(req: AuthedRequest, fallbackKeys: Json): Promise<WriteOp[]> {
    const { userId, deviceId } = req.user;
    const ops: WriteOp[] = [];
    for (const [id, key] of Object.entries(fallbackKeys)) {
      const [algorithm, keyId] = splitKeyId(id, 'fallback_keys');
      const existing = await keys.getFallbackKey(userId, deviceId, algorithm);
      if (existing && existing.key_id === keyId && sameJson(existing.key, key)) continue;
      ops.push(keys.putFallbackKeyOp(userId, deviceId, algorithm, { key_id: keyId, key,
        used: false }));
    }
    return ops;
  }

  // POST /keys/upload
  api.authed('POST', '/keys/upload', async (req) => {
    const body = bodyObject(req.body);
    const deviceKeys = optObject(body, 'device_keys');
    const oneTimeKeys = optObject(body, 'one_time_keys') ?? {};
    // MSC2732's unstable name is still sent by some clients.
    const fallbackKeys = optObject(body, 'fallback_keys')
      ?? optObject(body, 'org.matrix.msc2732.fallback_keys') ?? {};
    const { userId, deviceId } = req.user;

    const changed = deviceKeys ? await deviceKeyOps(req, deviceKeys) : [];
    const ops = [...await oneTimeKeyOps(req, oneTimeKeys),
      ...await fallbackKeyOps(req, fallbackKeys)];
    if (changed.length > 0) {
      await writeDeviceListChange(hs, [userId], [...changed, ...ops]);
      req.raw.log.info({ user_id: userId, device_id: deviceId }, 'device keys uploaded');
    } else if (ops.length > 0) {
      await hs.db.write(ops);
    }
    if (ops.length > 0) keys.changed(userId, deviceId);
    return { one_time_key_counts: await oneTimeKeyCounts(hs, userId, deviceId) };
  }, KEY_PREFIXES);

  // POST /keys/claim
  api.authed('POST', '/keys/claim', async (req) => {
    const wanted = optObject(bodyObject(req.body), 'one_time_keys') ?? {};
    const claimed: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [userId, devices] of Object.entries(wanted)) {
      if (!isObject(devices)) throw badJson(`'one_time_keys.${userId}' must be an object`);
      // Keys of users on other servers would need federation, which is not here yet.
      if (!hs.rooms.isLocalUser(userId)) continue;
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        if (typeof algorithm !== 'string') {
          throw badJson(`'one_time_keys.${userId}.${deviceId}' must be an algorithm name`);
        }
        if (!await hs.accounts.getDevice(userId, deviceId)) continue;
        const key = await keys.claim(userId, deviceId, algorithm);
        if (key) ((claimed[userId] ??= {})[deviceId] ??= {})[key.id] = key.key;
      }
    }
    // The owners' next /sync shows the lower counts, so their devices upload more keys.
    const owners = Object.keys(claimed);
    if (owners.length > 0) hs.notifier.notify({ userIds: owners });
    return { one_time_keys: claimed, failures: {} };
  }, KEY_PREFIXES);

  // GET /keys/changes
  api.authed('GET', '/keys/changes', async (req) => {
    const from = streamPosition(req.query.from, 'from');
    if (from === undefined) throw missingParam("'from' is required");
    const to = streamPosition(req.query.to, 'to') ?? hs.stream.durable;
    return deviceListChanges(hs, req.user.userId, from, Math.min(to, hs.stream.durable));
  }, KEY_PREFIXES);

  // GET /room_keys/version
  // Server-side key backup is not supported; this answer tells clients there is no backup.
  api.authed('GET', '/room_keys/version', async () => {
    throw notFound('No current backup version');
  });

  mountKeyQuery(api, KEY_PREFIXES);
  mountCrossSigning(api, KEY_PREFIXES);
}
