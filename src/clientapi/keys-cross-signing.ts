import { badJson, invalidParam, MatrixError, missingParam, notFound } from '../http/errors.js';
import type { WriteOp } from '../storage/level/database.js';
import { e2eKeyStore, type CrossSigningUsage, type KeyObject } from '../storage/level/e2e-keys.js';
import type { ClientApi } from './context.js';
import { writeDeviceListChange } from './keys-device-lists.js';
import {
  crossSigningKeyId, crossSigningPublicKey, invalidSignature, isObject,
  sameJson, signaturesOf, signedBy, signedPart,
} from './keys-json.js';
import { bodyObject, type Json } from './validate.js';
import { userInteractiveAuth } from './user-interactive-auth.js';

const FIELDS: Array<[string, CrossSigningUsage]> = [
  ['master_key', 'master'], ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

/** A cross-signing key as the spec's CrossSigningKey: the user's, for `usage`, one Ed25519 key. */
function checkCrossSigningKey(value: unknown, field: string, userId: string,
  usage: CrossSigningUsage): KeyObject {
  if (!isObject(value)) throw badJson(`'${field}' must be an object`);
  if (value.user_id !== userId) throw invalidParam(`'${field}.user_id' must be your user ID`);
  if (!Array.isArray(value.usage) || !value.usage.includes(usage)) {
    throw invalidParam(`'${field}.usage' must include ${usage}`);
  }
  const keys = value.keys;
  const entries = isObject(keys) ? Object.entries(keys) : [];
  const [keyId, publicKey] = entries[0] ?? [];
  if (entries.length !== 1 || keyId !== `ed25519:${publicKey as string}`) {
    throw invalidParam(`'${field}.keys' must hold one key, "ed25519:<public key>"`);
  }
  return value;
}

export function mountCrossSigning(api: ClientApi, prefixes: string[]): void {
  const { hs } = api;
  const keys = e2eKeyStore(hs.db);
  const uia = userInteractiveAuth(hs);

  // POST /keys/device_signing/upload
  api.authed('POST', '/keys/device_signing/upload', async (req) => {
    const body = bodyObject(req.body);
    const { userId } = req.user;
    const uploaded = new Map<CrossSigningUsage, KeyObject>();
    for (const [field, usage] of FIELDS) {
      if (body[field] !== undefined) {
        uploaded.set(usage, checkCrossSigningKey(body[field], field, userId, usage));
      }
    }
    const existingMaster = await keys.getCrossSigningKey(userId, 'master');
    const master = uploaded.get('master') ?? existingMaster;
    if (!master) throw missingParam("'master_key' is required");
    // The subkeys must be signed by the master key (cross-signing module).
    for (const usage of ['self_signing', 'user_signing'] as const) {
      const key = uploaded.get(usage);
      if (key && !signedBy(key, userId, master, crossSigningKeyId(master))) {
        throw invalidSignature(`The ${usage} key is not signed by the master key`);
      }
    }

    // Spec v1.11: UIA is needed unless there is no master key yet or the upload only
    // repeats the stored keys (so a retry after a lost response does not ask again).
    let unchanged = true;
    for (const [usage, key] of uploaded) {
      if (!sameJson(await keys.getCrossSigningKey(userId, usage), key)) unchanged = false;
    }
    if (existingMaster && !unchanged) {
      if (!await uia.require(req, body, 'device_signing_upload')) return undefined;
    }
    if (unchanged) return {};

    const ops = [...uploaded].map(([usage, key]) => keys.putCrossSigningKeyOp(userId, usage, key));
    await writeDeviceListChange(hs, [userId], ops);
    req.raw.log.info({ user_id: userId, keys: [...uploaded.keys()] }, 'cross-signing keys set');
    return {};
  }, prefixes);

  // POST /keys/signatures/upload
  api.authed('POST', '/keys/signatures/upload', async (req) => {
    const body = bodyObject(req.body);
    const requester = req.user.userId;
    const failures: Record<string, Record<string, Json>> = {};
    const ops: WriteOp[] = [];
    const changedUsers = new Set<string>();
    for (const [userId, byKey] of Object.entries(body)) {
      if (!isObject(byKey)) throw badJson(`'${userId}' must be an object`);
      for (const [keyId, signed] of Object.entries(byKey)) {
        if (!isObject(signed)) throw badJson(`'${userId}.${keyId}' must be an object`);
        try {
          const added = await signatureOps(requester, userId, keyId, signed);
          ops.push(...added);
          if (added.length > 0) changedUsers.add(userId);
        } catch (err) {
          if (!(err instanceof MatrixError)) throw err;
          (failures[userId] ??= {})[keyId] = err.toJSON();
        }
      }
    }
    if (ops.length > 0) {
      changedUsers.add(requester);
      await writeDeviceListChange(hs, [...changedUsers], ops);
    }
    return { failures };
  }, prefixes);

  /**
   * The requester's signatures on one key, checked and ready to store (cross-signing module):
   * their own devices signed by their self-signing key, their master key signed by their
   * devices, and other users' master keys signed by their user-signing key.
   */
  async function signatureOps(requester: string, userId: string, keyId: string,
    signed: KeyObject): Promise<WriteOp[]> {
    let target: KeyObject | undefined;
    let signerKey: (signerKeyId: string) => Promise<KeyObject | undefined>;
    const master = await keys.getCrossSigningKey(userId, 'master');
    if (userId === requester && master && crossSigningPublicKey(master) === keyId) {
      target = master;
      signerKey = async (id) => keys.getDeviceKeys(requester, id.slice('ed25519:'.length));
    } else if (userId === requester) {
      target = await hs.accounts.getDevice(userId, keyId)
        ? await keys.getDeviceKeys(userId, keyId) : undefined;
      const selfSigning = await keys.getCrossSigningKey(requester, 'self_signing');
      signerKey = async () => selfSigning;
    } else if (master && crossSigningPublicKey(master) === keyId) {
      target = master;
      const userSigning = await keys.getCrossSigningKey(requester, 'user_signing');
      signerKey = async () => userSigning;
    }
    if (!target) throw notFound(`Unknown key ${keyId} of ${userId}`);
    if (!sameJson(signedPart(target), signedPart(signed))) {
      throw invalidSignature('The signed object does not match the stored key');
    }

    const ops: WriteOp[] = [];
    // Signatures already known (in the key itself or uploaded before) are not stored again.
    const own = { ...signaturesOf(target)[requester],
      ...(await keys.signatures(userId, keyId))[requester] };
    for (const [signerKeyId, signature] of Object.entries(signaturesOf(signed)[requester] ?? {})) {
      if (own[signerKeyId] === signature) continue;
      const only = { ...signedPart(signed),
        signatures: { [requester]: { [signerKeyId]: signature } } };
      if (!signedBy(only, requester, await signerKey!(signerKeyId), signerKeyId)) {
        throw invalidSignature(`Invalid signature ${signerKeyId}`);
      }
      ops.push(keys.putSignatureOp(userId, keyId, requester, signerKeyId, signature));
    }
    return ops;
  }
}
