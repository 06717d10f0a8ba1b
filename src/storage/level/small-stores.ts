import type { Database, WriteOp } from './database.js';

/** Client filters, by user and filter ID. */
export class FilterStore {
  constructor(private readonly db: Database) {}

  get(userId: string, filterId: string): Promise<Record<string, unknown> | undefined> {
    return this.db.get(`filter:${userId}\u0000${filterId}`);
  }

  putOp(userId: string, filterId: string, filter: Record<string, unknown>): WriteOp {
    return { type: 'put', key: `filter:${userId}\u0000${filterId}`, value: filter };
  }
}

/** Transaction IDs already used by a device, with what they produced (spec: idempotency). */
export class TransactionStore {
  constructor(private readonly db: Database) {}

  private key(userId: string, deviceId: string, scope: string, txnId: string) {
    return `txn:${userId}\u0000${deviceId}\u0000${scope}\u0000${txnId}`;
  }

  // Checked on every send: a synchronous read of a recent key is ~40x cheaper than an async one.
  async get<T>(userId: string, deviceId: string, scope: string, txnId: string):
    Promise<T | undefined> {
    return this.db.getSync<T>(this.key(userId, deviceId, scope, txnId));
  }

  putOp(userId: string, deviceId: string, scope: string, txnId: string, value: unknown): WriteOp {
    return { type: 'put', key: this.key(userId, deviceId, scope, txnId), value };
  }
}

export interface AliasRecord {
  room_id: string;
  creator: string;
}

/** Room aliases and the public room directory. */
export class DirectoryStore {
  constructor(private readonly db: Database) {}

  getAlias(alias: string): Promise<AliasRecord | undefined> {
    return this.db.get<AliasRecord>('alias:' + alias);
  }

  putAliasOps(alias: string, record: AliasRecord): WriteOp[] {
    return [
      { type: 'put', key: 'alias:' + alias, value: record },
      { type: 'put', key: `ralias:${record.room_id}\u0000${alias}`, value: 1 },
    ];
  }

  deleteAliasOps(alias: string, roomId: string): WriteOp[] {
    return [
      { type: 'del', key: 'alias:' + alias },
      { type: 'del', key: `ralias:${roomId}\u0000${alias}` },
    ];
  }

  async roomAliases(roomId: string): Promise<string[]> {
    const prefix = `ralias:${roomId}\u0000`;
    return (await this.db.range(prefix)).map(([key]) => key.slice(prefix.length));
  }

  async isPublished(roomId: string): Promise<boolean> {
    return (await this.db.get<boolean>('pub:' + roomId)) === true;
  }

  publishOp(roomId: string, published: boolean): WriteOp {
    return published
      ? { type: 'put', key: 'pub:' + roomId, value: true }
      : { type: 'del', key: 'pub:' + roomId };
  }

  async publishedRooms(): Promise<string[]> {
    return (await this.db.range('pub:')).map(([key]) => key.slice(4));
  }
}
