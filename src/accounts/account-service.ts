import { randomBytes } from 'node:crypto';
import { MatrixError } from '../http/errors.js';
import type { AccountStore, DeviceRecord, UserRecord } from '../storage/level/accounts.js';
import type { Database } from '../storage/level/database.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** Localparts allowed for new users (client-server API, "User Identifiers", historic chars out). */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

export interface Session {
  user_id: string;
  device_id: string;
  access_token: string;
}

/** Registration, login, devices and tokens, over the account store. */
export class AccountService {
  /** Namespaces nobody may register in (the bridge's puppets, appservices). */
  readonly reservedPrefixes: string[] = [];

  constructor(
    private readonly db: Database,
    private readonly store: AccountStore,
    readonly serverName: string,
  ) {}

  userId(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /** Accepts `alice`, `@alice:server` (this server only), lower-cases nothing. */
  parseUser(identifier: string): string | undefined {
    if (identifier.startsWith('@')) {
      return identifier.endsWith(':' + this.serverName) ? identifier : undefined;
    }
    return this.userId(identifier);
  }

  checkLocalpart(localpart: string): void {
    if (!LOCALPART.test(localpart)) {
      throw new MatrixError('M_INVALID_USERNAME',
        'User ID may only contain lower-case letters, digits and ._=-/+');
    }
    if (this.userId(localpart).length > 255) {
      throw new MatrixError('M_INVALID_USERNAME', 'User ID is longer than 255 characters');
    }
    if (this.reservedPrefixes.some((prefix) => localpart.startsWith(prefix))) {
      throw new MatrixError('M_EXCLUSIVE', 'This user ID is reserved');
    }
  }

  getUser(userId: string): Promise<UserRecord | undefined> {
    return this.store.getUser(userId);
  }

  async isAvailable(localpart: string): Promise<boolean> {
    this.checkLocalpart(localpart);
    return (await this.store.getUser(this.userId(localpart))) === undefined;
  }

  async register(localpart: string, password: string | null, admin = false): Promise<string> {
    this.checkLocalpart(localpart);
    const userId = this.userId(localpart);
    if (await this.store.getUser(userId)) {
      throw new MatrixError('M_USER_IN_USE', 'User ID already taken.');
    }
    const user: UserRecord = {
      user_id: userId,
      password_hash: password === null ? null : await hashPassword(password),
      created_ts: Date.now(),
      displayname: localpart,
      avatar_url: null,
      admin,
      deactivated: false,
    };
    // Checked again after the (slow) hash, so two racing registrations cannot both win.
    if (await this.store.getUser(userId)) {
      throw new MatrixError('M_USER_IN_USE', 'User ID already taken.');
    }
    await this.db.write([this.store.putUserOp(user)]);
    return userId;
  }

  /**
   * Creates a user in a reserved namespace (a bridge puppet): no password, so nobody can log
   * in as it, and registration cannot claim its name. Does nothing if it exists.
   */
  async ensureReservedUser(localpart: string, displayName: string): Promise<string> {
    if (!LOCALPART.test(localpart)) {
      throw new MatrixError('M_INVALID_USERNAME', `invalid puppet localpart ${localpart}`);
    }
    const userId = this.userId(localpart);
    const existing = await this.store.getUser(userId);
    if (existing) {
      if (existing.displayname !== displayName) {
        await this.updateProfile(userId, { displayname: displayName });
      }
      return userId;
    }
    await this.db.write([this.store.putUserOp({
      user_id: userId, password_hash: null, created_ts: Date.now(), displayname: displayName,
      avatar_url: null, admin: false, deactivated: false,
    })]);
    return userId;
  }

  async checkPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.store.getUser(userId);
    if (!user?.password_hash || user.deactivated) return false;
    return verifyPassword(password, user.password_hash);
  }

  async updateProfile(userId: string, change: Partial<Pick<UserRecord, 'displayname' |
    'avatar_url'>>): Promise<UserRecord> {
    const user = await this.store.getUser(userId);
    if (!user) throw new MatrixError('M_NOT_FOUND', 'Unknown user');
    const updated = { ...user, ...change };
    await this.db.write([this.store.putUserOp(updated)]);
    return updated;
  }

  listUsers(): Promise<UserRecord[]> {
    return this.store.listUsers();
  }

  /** Creates (or reuses) a device and issues a new access token for it. */
  async login(userId: string, deviceId?: string, displayName?: string): Promise<Session> {
    const id = deviceId ?? randomBytes(6).toString('base64url').toUpperCase().replace(/[-_]/g, 'X');
    const existing = await this.store.getDevice(userId, id);
    const token = 'sb_' + randomBytes(32).toString('base64url');
    const ops = this.store.putTokenOps(token,
      { user_id: userId, device_id: id, created_ts: Date.now() });
    if (!existing) {
      ops.push(this.store.putDeviceOp({
        user_id: userId, device_id: id, display_name: displayName ?? null,
        created_ts: Date.now(), last_seen_ts: Date.now(), last_seen_ip: null,
      }));
    }
    await this.db.write(ops);
    return { user_id: userId, device_id: id, access_token: token };
  }

  resolveToken(token: string) {
    return this.store.resolveToken(token);
  }

  listDevices(userId: string): Promise<DeviceRecord[]> {
    return this.store.listDevices(userId);
  }

  getDevice(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    return this.store.getDevice(userId, deviceId);
  }

  async updateDevice(device: DeviceRecord): Promise<void> {
    await this.db.write([this.store.putDeviceOp(device)]);
  }
}
