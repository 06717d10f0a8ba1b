import { generateSigningKey, signJson, type SigningKey } from '../../src/crypto/index.js';
import type { RunningServer } from '../../src/server.js';
import { call, type TestUser } from '../helpers/server.js';

/** A device's Ed25519 identity key, keyed as devices name theirs: `ed25519:<device ID>`. */
export function deviceSigningKey(deviceId: string): SigningKey {
  return { ...generateSigningKey(), keyId: `ed25519:${deviceId}` };
}

/** Signed device keys as a client uploads them in /keys/upload. */
export function deviceKeys(user: TestUser, key = deviceSigningKey(user.deviceId)) {
  return signJson({
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: {
      [`curve25519:${user.deviceId}`]: `curve-${user.deviceId}`,
      [key.keyId]: key.publicKeyBase64,
    },
  }, user.userId, key);
}

/** A cross-signing key pair; its ID is `ed25519:<public key>` as the spec has it. */
export function crossSigningPair(): SigningKey {
  const key = generateSigningKey();
  return { ...key, keyId: `ed25519:${key.publicKeyBase64}` };
}

/** The public CrossSigningKey object of a pair, signed by `signer` when given. */
export function crossSigningKey(userId: string, usage: string, pair: SigningKey,
  signer?: SigningKey): Record<string, unknown> {
  const key = { user_id: userId, usage: [usage], keys: { [pair.keyId]: pair.publicKeyBase64 } };
  return signer ? signJson(key, userId, signer) : key;
}

/** A full set of cross-signing keys for a user, with the private halves to sign with. */
export function crossSigningSet(userId: string) {
  const master = crossSigningPair();
  const selfSigning = crossSigningPair();
  const userSigning = crossSigningPair();
  return {
    master, selfSigning, userSigning,
    body: {
      master_key: crossSigningKey(userId, 'master', master),
      self_signing_key: crossSigningKey(userId, 'self_signing', selfSigning, master),
      user_signing_key: crossSigningKey(userId, 'user_signing', userSigning, master),
    },
  };
}

/** One signed_curve25519 key as clients upload them. */
export function oneTimeKey(user: TestUser, key: SigningKey, n: number) {
  return signJson({ key: `otk-${user.deviceId}-${n}` }, user.userId, key);
}

/** Creates a room as `owner` and joins each of `others` to it (public room). */
export async function sharedRoom(server: RunningServer, owner: TestUser,
  others: TestUser[]): Promise<string> {
  const created = await call(server, 'POST', 'createRoom', { token: owner.token,
    body: { preset: 'public_chat' } });
  if (created.status !== 200) throw new Error(`createRoom: ${JSON.stringify(created.body)}`);
  const roomId = created.body.room_id as string;
  for (const other of others) {
    const joined = await call(server, 'POST', `join/${encodeURIComponent(roomId)}`,
      { token: other.token, body: {} });
    if (joined.status !== 200) throw new Error(`join: ${JSON.stringify(joined.body)}`);
  }
  return roomId;
}

/** The current stream position, as a /sync token would carry it. */
export function syncToken(server: RunningServer): string {
  return `s${server.hs.stream.durable}_0`;
}
