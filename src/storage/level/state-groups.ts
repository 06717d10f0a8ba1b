import type { StateKey } from '../../rooms/event.js';
import type { Database, WriteOp } from './database.js';

/**
 * Room state is kept as a chain of groups: each state event makes a new group holding only
 * what changed (its delta) and a link to the group before. Every SNAPSHOT_EVERY links a
 * group holds the full map instead, so no lookup walks more than that many groups, while a
 * room with 10,000 events and 1,000 members stores a few dozen maps, not 10,000.
 */
const SNAPSHOT_EVERY = 128;

interface GroupRecord {
  prev: number | null;
  /** Links since the last snapshot (0 for a snapshot). */
  chain: number;
  entries: Record<string, string>;
}

export type StateMap = ReadonlyMap<StateKey, string>;

const GROUP = 'sg:';
const groupKey = (id: number) => GROUP + id.toString().padStart(12, '0');

export class StateGroupStore {
  private readonly cache = new Map<number, StateMap>();
  private readonly chainLength = new Map<number, number>();

  constructor(private readonly db: Database, private nextId: number) {}

  static async open(db: Database): Promise<StateGroupStore> {
    const last = await db.range(GROUP, { reverse: true, limit: 1 });
    const lastId = last.length ? Number(last[0]![0].slice(GROUP.length)) : 0;
    return new StateGroupStore(db, lastId + 1);
  }

  /**
   * Records the state after applying `delta` to group `prev` (null for an empty room);
   * `full` gives that resulting state, and is called only when a snapshot is due, so a
   * state change in a big room does not copy the whole map. Returns the group's ID and write.
   */
  createGroup(prev: number | null, delta: Record<StateKey, string>, full: () => StateMap):
    { id: number; op: WriteOp } {
    const id = this.nextId++;
    const prevChain = prev === null
      ? SNAPSHOT_EVERY
      : (this.chainLength.get(prev) ?? SNAPSHOT_EVERY);
    const snapshot = prevChain + 1 >= SNAPSHOT_EVERY;
    let record: GroupRecord;
    if (snapshot) {
      const map = full();
      record = { prev: null, chain: 0, entries: Object.fromEntries(map) };
      this.remember(id, map);
    } else {
      record = { prev, chain: prevChain + 1, entries: delta };
    }
    // A room only ever extends its newest group, so the link count of `prev` is done with.
    if (prev !== null) this.chainLength.delete(prev);
    this.chainLength.set(id, record.chain);
    return { id, op: { type: 'put', key: groupKey(id), value: record } };
  }

  /** The full state map of a group. */
  async resolve(id: number): Promise<StateMap> {
    const cached = this.cache.get(id);
    if (cached) return cached;

    const chain: GroupRecord[] = [];
    let cursor: number | null = id;
    let base: StateMap | undefined;
    while (cursor !== null) {
      const hit = this.cache.get(cursor);
      if (hit) { base = hit; break; }
      const record: GroupRecord | undefined = await this.db.get<GroupRecord>(groupKey(cursor));
      if (!record) throw new Error(`state group ${cursor} is missing`);
      chain.push(record);
      cursor = record.prev;
    }
    const map = new Map<StateKey, string>(base ?? []);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const [key, eventId] of Object.entries(chain[i]!.entries)) {
        map.set(key as StateKey, eventId);
      }
    }
    // Kept so that extending a group read from disk (a room's current one after a restart)
    // continues its chain; bounded, since an unknown length only means an early snapshot.
    if (this.chainLength.size > 10_000) this.chainLength.clear();
    this.chainLength.set(id, chain[0]?.chain ?? this.chainLength.get(id) ?? 0);
    this.remember(id, map);
    return map;
  }

  private remember(id: number, map: StateMap): void {
    if (this.cache.size >= 64) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
    this.cache.set(id, map);
  }
}
