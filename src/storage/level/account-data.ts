import { posKey, type Database, type WriteOp } from './database.js';

export interface AccountDataRecord {
  room_id: string;
  type: string;
  content: Record<string, unknown>;
  pos: number;
}

const DATA = 'ad:';
const STREAM = 'adpos:';

/** Global ('' room) and per-room account data, with a per-user stream for /sync. */
export class AccountDataStore {
  constructor(private readonly db: Database) {}

  private key(userId: string, roomId: string, type: string): string {
    return `${DATA}${userId}\u0000${roomId}\u0000${type}`;
  }

  get(userId: string, roomId: string, type: string): Promise<AccountDataRecord | undefined> {
    return this.db.get<AccountDataRecord>(this.key(userId, roomId, type));
  }

  putOps(userId: string, record: AccountDataRecord, previousPos?: number): WriteOp[] {
    const ops: WriteOp[] = [
      { type: 'put', key: this.key(userId, record.room_id, record.type), value: record },
      { type: 'put', key: `${STREAM}${userId}\u0000${posKey(record.pos)}`,
        value: { room_id: record.room_id, type: record.type } },
    ];
    if (previousPos !== undefined) {
      ops.push({ type: 'del', key: `${STREAM}${userId}\u0000${posKey(previousPos)}` });
    }
    return ops;
  }

  /** Everything of one user (roomId undefined) or of one user in one room. */
  async all(userId: string, roomId?: string): Promise<AccountDataRecord[]> {
    const prefix = roomId === undefined
      ? `${DATA}${userId}\u0000`
      : `${DATA}${userId}\u0000${roomId}\u0000`;
    return (await this.db.range<AccountDataRecord>(prefix)).map(([, r]) => r);
  }

  /** What changed for a user after stream position `since`. */
  async changedSince(userId: string, since: number): Promise<AccountDataRecord[]> {
    const prefix = `${STREAM}${userId}\u0000`;
    const rows = await this.db.range<{ room_id: string; type: string }>(prefix,
      { after: prefix + posKey(since) });
    const records = await this.db.getMany<AccountDataRecord>(
      rows.map(([, r]) => this.key(userId, r.room_id, r.type)));
    return records.filter((r): r is AccountDataRecord => r !== undefined);
  }
}
