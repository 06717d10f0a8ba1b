import { posKey, type Database, type WriteOp } from './database.js';

export type KeyObject = Record<string, unknown>;

/** A device's fallback key for one algorithm, and whether a claim has handed it out. */
export interface FallbackKeyRecord {
  key_id: string;
  key: unknown;
  used: boolean;
}

/** One one-time or fallback key handed out by a claim: `algorithm:key_id` and the key. */
export interface ClaimedKey {
  id: string;
  key: unknown;
}

interface KeyCounts {
  oneTime: Record<string, number>;
  unusedFallback: string[];
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

const DEVICE_KEYS = 'e2edk:';
const ONE_TIME = 'e2eotk:';
const FALLBACK = 'e2efb:';
const CROSS_SIGNING = 'e2ecs:';
const SIGNATURE = 'e2esig:';
const CHANGE = 'e2echg:';

const SEP = '\u0000';

/**
 * End-to-end encryption keys as the server keeps them: it stores and relays them and never
 * looks inside beyond the fields the spec has it check (client-server API, "End-to-End
 * Encryption"). Device-list changes take stream positions so /sync and /keys/changes can
 * report them.
 */
export class E2eKeyStore {
  /** Claims of one device run one after another, so no one-time key is handed out twice. */
  private readonly claimChains = new Map<string, Promise<unknown>>();
  /**
   * Each device's one-time key counts and unused fallback types, asked for by every /sync
   * (two disk scans each time, the largest per-sync cost with many rooms). An entry is kept
   * only if no change to the device's keys began while it was read: `changed()` bumps the
   * device's generation when its key writes are built and again once they are durable.
   */
  private readonly keyCounts = new Map<string, KeyCounts>();
  private readonly generations = new Map<string, number>();

  constructor(private readonly db: Database) {}

  // Device keys.

  getDeviceKeys(userId: string, deviceId: string): Promise<KeyObject | undefined> {
    return this.db.get<KeyObject>(DEVICE_KEYS + userId + SEP + deviceId);
  }

  /** Every device-key object of a user, by device ID. */
  async allDeviceKeys(userId: string): Promise<Map<string, KeyObject>> {
    const prefix = DEVICE_KEYS + userId + SEP;
    const rows = await this.db.range<KeyObject>(prefix);
    return new Map(rows.map(([key, value]) => [key.slice(prefix.length), value]));
  }

  putDeviceKeysOp(userId: string, deviceId: string, keys: KeyObject): WriteOp {
    return { type: 'put', key: DEVICE_KEYS + userId + SEP + deviceId, value: keys };
  }

  // One-time keys, stored one per row under `algorithm`, `key_id`.

  getOneTimeKey(userId: string, deviceId: string, id: string): Promise<unknown> {
    return this.db.get(this.oneTimeKey(userId, deviceId, id));
  }

  putOneTimeKeyOp(userId: string, deviceId: string, id: string, key: unknown): WriteOp {
    this.changed(userId, deviceId);
    return { type: 'put', key: this.oneTimeKey(userId, deviceId, id), value: key };
  }

  private oneTimeKey(userId: string, deviceId: string, id: string): string {
    const colon = id.indexOf(':');
    return ONE_TIME + [userId, deviceId, id.slice(0, colon), id.slice(colon + 1)].join(SEP);
  }

  /**
   * How many unclaimed one-time keys a device has, per algorithm. Every /sync asks, so only
   * the keys are read: the key material is never loaded or decoded for a count.
   */
  async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
    return { ...(await this.counts(userId, deviceId)).oneTime };
  }

  /** Algorithms for which the device has a fallback key no claim has used yet. */
  async unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
    return [...(await this.counts(userId, deviceId)).unusedFallback];
  }

  /**
   * Call when a device's one-time or fallback keys change: as their writes are built (the
   * put and delete helpers here do) and again once the write is durable.
   */
  changed(userId: string, deviceId: string): void {
    const device = userId + SEP + deviceId;
    this.generations.set(device, (this.generations.get(device) ?? 0) + 1);
    this.keyCounts.delete(device);
  }

  private async counts(userId: string, deviceId: string): Promise<KeyCounts> {
    const device = userId + SEP + deviceId;
    const cached = this.keyCounts.get(device);
    if (cached) return cached;
    const generation = this.generations.get(device) ?? 0;
    const [oneTime, unusedFallback] = await Promise.all([
      this.readOneTimeKeyCounts(userId, deviceId),
      this.readUnusedFallbackKeyTypes(userId, deviceId),
    ]);
    const counts = { oneTime, unusedFallback };
    if ((this.generations.get(device) ?? 0) === generation) this.keyCounts.set(device, counts);
    return counts;
  }

  private async readOneTimeKeyCounts(userId: string, deviceId: string):
    Promise<Record<string, number>> {
    const prefix = ONE_TIME + userId + SEP + deviceId + SEP;
    const counts: Record<string, number> = {};
    for (const key of await this.db.keys(prefix)) {
      const algorithm = key.slice(prefix.length, key.indexOf(SEP, prefix.length));
      counts[algorithm] = (counts[algorithm] ?? 0) + 1;
    }
    return counts;
  }

  // Fallback keys: at most one per algorithm per device.

  getFallbackKey(userId: string, deviceId: string, algorithm: string):
    Promise<FallbackKeyRecord | undefined> {
    return this.db.get<FallbackKeyRecord>(FALLBACK + [userId, deviceId, algorithm].join(SEP));
  }

  putFallbackKeyOp(userId: string, deviceId: string, algorithm: string,
    record: FallbackKeyRecord): WriteOp {
    this.changed(userId, deviceId);
    return { type: 'put', key: FALLBACK + [userId, deviceId, algorithm].join(SEP), value: record };
  }

  private async readUnusedFallbackKeyTypes(userId: string, deviceId: string):
    Promise<string[]> {
    const prefix = FALLBACK + userId + SEP + deviceId + SEP;
    return (await this.db.range<FallbackKeyRecord>(prefix))
      .filter(([, record]) => !record.used)
      .map(([key]) => key.slice(prefix.length));
  }

  /**
   * Takes one one-time key of `algorithm` from a device, or else its fallback key (which
   * stays, marked used: client-server API, "One-time and fallback keys").
   */
  claim(userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    const lock = userId + SEP + deviceId;
    const previous = this.claimChains.get(lock) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() =>
      this.claimNow(userId, deviceId, algorithm));
    this.claimChains.set(lock, run);
    const cleanup = () => {
      if (this.claimChains.get(lock) === run) this.claimChains.delete(lock);
    };
    run.then(cleanup, cleanup);
    return run;
  }

  private async claimNow(userId: string, deviceId: string, algorithm: string):
    Promise<ClaimedKey | undefined> {
    const prefix = ONE_TIME + [userId, deviceId, algorithm].join(SEP) + SEP;
    const [first] = await this.db.range(prefix, { limit: 1 });
    if (first) {
      this.changed(userId, deviceId);
      await this.db.write([{ type: 'del', key: first[0] }]);
      this.changed(userId, deviceId);
      return { id: `${algorithm}:${first[0].slice(prefix.length)}`, key: first[1] };
    }
    const fallback = await this.getFallbackKey(userId, deviceId, algorithm);
    if (!fallback) return undefined;
    if (!fallback.used) {
      await this.db.write([this.putFallbackKeyOp(userId, deviceId, algorithm,
        { ...fallback, used: true })]);
      this.changed(userId, deviceId);
    }
    return { id: `${algorithm}:${fallback.key_id}`, key: fallback.key };
  }

  // Cross-signing keys.

  getCrossSigningKey(userId: string, usage: CrossSigningUsage): Promise<KeyObject | undefined> {
    return this.db.get<KeyObject>(CROSS_SIGNING + userId + SEP + usage);
  }

  putCrossSigningKeyOp(userId: string, usage: CrossSigningUsage, key: KeyObject): WriteOp {
    return { type: 'put', key: CROSS_SIGNING + userId + SEP + usage, value: key };
  }

  // Signatures uploaded separately (keys/signatures/upload), merged in when keys are queried.

  /**
   * `targetKeyId` is a device ID or a cross-signing public key (unpadded base64), as in the
   * request body of /keys/signatures/upload.
   */
  putSignatureOp(targetUser: string, targetKeyId: string, signer: string, signerKeyId: string,
    signature: string): WriteOp {
    return { type: 'put', key: SIGNATURE + [targetUser, targetKeyId, signer, signerKeyId]
      .join(SEP), value: signature };
  }

  /** signer → key ID → signature, for one target key. */
  async signatures(targetUser: string, targetKeyId: string):
    Promise<Record<string, Record<string, string>>> {
    const prefix = SIGNATURE + targetUser + SEP + targetKeyId + SEP;
    const out: Record<string, Record<string, string>> = {};
    for (const [key, signature] of await this.db.range<string>(prefix)) {
      const [signer, keyId] = key.slice(prefix.length).split(SEP) as [string, string];
      (out[signer] ??= {})[keyId] = signature;
    }
    return out;
  }

  /** Everything kept for one device: keys, one-time and fallback keys, signatures on it. */
  async deleteDeviceOps(userId: string, deviceId: string): Promise<WriteOp[]> {
    this.changed(userId, deviceId);
    const ops: WriteOp[] = [{ type: 'del', key: DEVICE_KEYS + userId + SEP + deviceId }];
    for (const prefix of [ONE_TIME, FALLBACK, SIGNATURE]) {
      for (const [key] of await this.db.range(prefix + userId + SEP + deviceId + SEP)) {
        ops.push({ type: 'del', key });
      }
    }
    return ops;
  }

  // Device-list changes, one row per change at its stream position.

  deviceListChangeOp(userId: string, pos: number): WriteOp {
    return { type: 'put', key: CHANGE + posKey(pos) + SEP + userId, value: userId };
  }

  /** Users whose devices or keys changed at a stream position in (from, to]. */
  async changedUsers(from: number, to: number): Promise<Set<string>> {
    const rows = await this.db.range<string>(CHANGE, {
      after: CHANGE + posKey(from) + '\uffff',
      before: CHANGE + posKey(to + 1),
    });
    return new Set(rows.map(([, userId]) => userId));
  }
}

const stores = new WeakMap<Database, E2eKeyStore>();

/**
 * The one key store of a database. It holds the claim locks, so every caller must share it;
 * it lives here until the Homeserver object carries it.
 */
export function e2eKeyStore(db: Database): E2eKeyStore {
  let store = stores.get(db);
  if (!store) {
    store = new E2eKeyStore(db);
    stores.set(db, store);
  }
  return store;
}
