import { createHash } from 'node:crypto';
import type { Database, WriteOp } from './database.js';

export interface UserRecord {
  user_id: string;
  password_hash: string | null;
  created_ts: number;
  displayname: string | null;
  avatar_url: string | null;
  admin: boolean;
  deactivated: boolean;
}

export interface DeviceRecord {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export interface TokenRecord {
  user_id: string;
  device_id: string;
  created_ts: number;
}

/** Access tokens are 32 random bytes, so a plain SHA-256 is enough to store them safely. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

const USER = 'user:';
const DEVICE = 'dev:';
const TOKEN = 'tok:';
const DEVICE_TOKENS = 'devtok:';

/** Users, their devices and access tokens. */
export class AccountStore {
  private readonly tokenCache = new Map<string, TokenRecord | null>();

  constructor(private readonly db: Database) {}

  getUser(userId: string): Promise<UserRecord | undefined> {
    return this.db.get<UserRecord>(USER + userId);
  }

  putUserOp(user: UserRecord): WriteOp {
    return { type: 'put', key: USER + user.user_id, value: user };
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.range<UserRecord>(USER)).map(([, user]) => user);
  }

  getDevice(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    return this.db.get<DeviceRecord>(`${DEVICE}${userId}\u0000${deviceId}`);
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return (await this.db.range<DeviceRecord>(`${DEVICE}${userId}\u0000`)).map(([, d]) => d);
  }

  putDeviceOp(device: DeviceRecord): WriteOp {
    return {
      type: 'put', key: `${DEVICE}${device.user_id}\u0000${device.device_id}`, value: device,
    };
  }

  deleteDeviceOps(userId: string, deviceId: string, tokenHashes: string[]): WriteOp[] {
    const ops: WriteOp[] = [{ type: 'del', key: `${DEVICE}${userId}\u0000${deviceId}` }];
    for (const hash of tokenHashes) ops.push(...this.deleteTokenOps(hash, userId, deviceId));
    return ops;
  }

  async resolveToken(token: string): Promise<TokenRecord | undefined> {
    const hash = tokenHash(token);
    const cached = this.tokenCache.get(hash);
    if (cached !== undefined) return cached ?? undefined;
    const record = await this.db.get<TokenRecord>(TOKEN + hash);
    if (this.tokenCache.size > 10_000) this.tokenCache.clear();
    this.tokenCache.set(hash, record ?? null);
    return record;
  }

  putTokenOps(token: string, record: TokenRecord): WriteOp[] {
    const hash = tokenHash(token);
    this.tokenCache.delete(hash);
    return [
      { type: 'put', key: TOKEN + hash, value: record },
      { type: 'put', key: `${DEVICE_TOKENS}${record.user_id}\u0000${record.device_id}\u0000${hash}`,
        value: 1 },
    ];
  }

  deleteTokenOps(hash: string, userId: string, deviceId: string): WriteOp[] {
    this.tokenCache.set(hash, null);
    return [
      { type: 'del', key: TOKEN + hash },
      { type: 'del', key: `${DEVICE_TOKENS}${userId}\u0000${deviceId}\u0000${hash}` },
    ];
  }

  /** Hashes of the tokens held by one device, or by every device of a user. */
  async tokenHashes(userId: string, deviceId?: string): Promise<Array<[string, string]>> {
    const prefix = deviceId === undefined
      ? `${DEVICE_TOKENS}${userId}\u0000`
      : `${DEVICE_TOKENS}${userId}\u0000${deviceId}\u0000`;
    return (await this.db.range(prefix)).map(([key]) => {
      const [, device, hash] = key.slice(DEVICE_TOKENS.length).split('\u0000');
      return [device!, hash!];
    });
  }
}
