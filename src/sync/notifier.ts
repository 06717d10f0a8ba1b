/**
 * The rooms a long-poll cares about. The /sync handler answers from its user's live
 * membership cache, so joins and leaves made during the wait count without a copy.
 */
export interface RoomSet {
  has(roomId: string): boolean;
}

/** What a /sync long-poll waits for: any change in one of its rooms, or for its user. */
interface Waiter {
  rooms: RoomSet;
  wake: () => void;
}

/**
 * Keys (room IDs) in the order they changed, with the position of each change, keeping the
 * last `size`. Positions never go down. Consecutive changes of one key share an entry.
 */
export class ChangeLog {
  private positions: number[] = [];
  private keys: string[] = [];
  private start = 0;

  /** `floor`: no change at or before it is known; tokens before it cannot be answered. */
  constructor(private readonly size: number, private floor: number) {}

  record(pos: number, key: string): void {
    const last = this.positions.length - 1;
    if (last >= this.start && this.keys[last] === key) {
      this.positions[last] = pos;
      return;
    }
    this.positions.push(pos);
    this.keys.push(key);
    if (this.positions.length - this.start > this.size) {
      this.floor = Math.max(this.floor, this.positions[this.start]!);
      this.start += 1;
    }
    if (this.start >= this.size) {
      this.positions = this.positions.slice(this.start);
      this.keys = this.keys.slice(this.start);
      this.start = 0;
    }
  }

  /** The keys changed after `since`, or undefined when changes that old have been dropped. */
  keysAfter(since: number): Set<string> | undefined {
    if (since < this.floor) return undefined;
    let low = this.start;
    let high = this.positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.positions[mid]! > since) high = mid;
      else low = mid + 1;
    }
    const keys = new Set<string>();
    for (let i = low; i < this.keys.length; i++) keys.add(this.keys[i]!);
    return keys;
  }
}

export interface Change {
  roomId?: string;
  /** Users affected outside a room's timeline (account data, to-device, invites, ...). */
  userIds?: Iterable<string>;
  /** Every waiter wakes (device-list changes are sorted out by the sync assembler). */
  everyone?: boolean;
}

/**
 * Room changes kept in order, enough for a client a few seconds behind at a thousand events
 * a second; an older token is answered by checking each of its user's rooms instead.
 */
const ROOM_LOG_SIZE = 8192;

/**
 * Wakes long-polling /sync requests when something they care about changed, and remembers
 * the stream position of the last change per room and per user, so a /sync can tell at once
 * whether anything of its user happened after its token. Recent room changes are also kept
 * in stream order, so a /sync can list the rooms that changed after its token without
 * looking at every room its user is in.
 */
export class Notifier {
  /** Long-polls by user: a user's own changes wake theirs without looking at the others. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly roomChanged = new Map<string, number>();
  private readonly userChanged = new Map<string, number>();
  private readonly roomLog: ChangeLog;
  private everyoneChanged = 0;

  /** `position` reads the current durable stream position (callers notify after writing). */
  constructor(private readonly position: () => number = () => 0, roomLogSize = ROOM_LOG_SIZE) {
    // Nothing is known of what happened before this process started: treat it all as new.
    this.everyoneChanged = position();
    this.roomLog = new ChangeLog(roomLogSize, this.everyoneChanged);
  }

  /** Whether anything addressed to this user (not to one of their rooms) changed. */
  userChangedSince(userId: string, since: number): boolean {
    return this.everyoneChanged > since || (this.userChanged.get(userId) ?? 0) > since;
  }

  roomChangedSince(roomId: string, since: number): boolean {
    return this.everyoneChanged > since || (this.roomChanged.get(roomId) ?? 0) > since;
  }

  /**
   * The rooms with a change after stream position `since` (exactly those for which
   * roomChangedSince is true), or undefined when that cannot be told from the recent log:
   * the token is older than the log, or a change concerned everyone. Then the caller asks
   * roomChangedSince of each room it cares about.
   */
  roomsChangedSince(since: number): Set<string> | undefined {
    if (this.everyoneChanged > since) return undefined;
    return this.roomLog.keysAfter(since);
  }

  notify(change: Change): void {
    const pos = this.position();
    if (change.roomId !== undefined) {
      this.roomChanged.set(change.roomId, pos);
      this.roomLog.record(pos, change.roomId);
    }
    for (const userId of change.userIds ?? []) {
      this.userChanged.set(userId, pos);
      this.wakeUser(userId);
    }
    if (change.everyone) {
      this.everyoneChanged = pos;
      for (const userId of this.waiters.keys()) this.wakeUser(userId);
    } else if (change.roomId !== undefined) {
      // One membership lookup per long-poll. An index of waiters by room would cost each
      // long-poll an entry per joined room, a thousand for a hub's owner, on every wait.
      for (const waiting of this.waiters.values()) {
        for (const waiter of waiting) if (waiter.rooms.has(change.roomId)) waiter.wake();
      }
    }
  }

  /** Resolves on the first relevant change, after `timeoutMs`, or when `signal` aborts. */
  wait(userId: string, rooms: RoomSet, timeoutMs: number, signal?: AbortSignal):
    Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        const waiting = this.waiters.get(userId);
        waiting?.delete(waiter);
        if (waiting?.size === 0) this.waiters.delete(userId);
        resolve();
      };
      const waiter: Waiter = { rooms, wake: finish };
      const timer = setTimeout(finish, timeoutMs);
      signal?.addEventListener('abort', finish);
      let waiting = this.waiters.get(userId);
      if (!waiting) {
        waiting = new Set();
        this.waiters.set(userId, waiting);
      }
      waiting.add(waiter);
    });
  }

  get waiting(): number {
    let count = 0;
    for (const waiting of this.waiters.values()) count += waiting.size;
    return count;
  }

  private wakeUser(userId: string): void {
    const waiting = this.waiters.get(userId);
    // Waking removes the waiter from this set; a Set iterator allows that.
    if (waiting) for (const waiter of waiting) waiter.wake();
  }
}
