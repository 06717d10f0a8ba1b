/** What a /sync long-poll waits for: any change in these rooms or for this user. */
interface Waiter {
  userId: string;
  rooms: ReadonlySet<string>;
  wake: () => void;
}

export interface Change {
  roomId?: string;
  /** Users affected outside a room's timeline (account data, to-device, invites, ...). */
  userIds?: Iterable<string>;
  /** Every waiter wakes (device-list changes are sorted out by the sync assembler). */
  everyone?: boolean;
}

/**
 * Wakes long-polling /sync requests when something they care about changed, and remembers
 * the stream position of the last change per room and per user, so a /sync can tell at once
 * whether anything of its user happened after its token.
 */
export class Notifier {
  private readonly waiters = new Set<Waiter>();
  private readonly roomChanged = new Map<string, number>();
  private readonly userChanged = new Map<string, number>();
  private everyoneChanged = 0;

  /** `position` reads the current durable stream position (callers notify after writing). */
  constructor(private readonly position: () => number = () => 0) {
    // Nothing is known of what happened before this process started: treat it all as new.
    this.everyoneChanged = position();
  }

  /** Whether anything in these rooms or for this user changed after stream position `since`. */
  changedSince(userId: string, rooms: Iterable<string>, since: number): boolean {
    if (this.everyoneChanged > since || (this.userChanged.get(userId) ?? 0) > since) return true;
    for (const roomId of rooms) if ((this.roomChanged.get(roomId) ?? 0) > since) return true;
    return false;
  }

  /** Whether anything addressed to this user (not to one of their rooms) changed. */
  userChangedSince(userId: string, since: number): boolean {
    return this.everyoneChanged > since || (this.userChanged.get(userId) ?? 0) > since;
  }

  roomChangedSince(roomId: string, since: number): boolean {
    return this.everyoneChanged > since || (this.roomChanged.get(roomId) ?? 0) > since;
  }

  notify(change: Change): void {
    const pos = this.position();
    if (change.roomId !== undefined) this.roomChanged.set(change.roomId, pos);
    if (change.everyone) this.everyoneChanged = pos;
    const users = change.userIds ? new Set(change.userIds) : undefined;
    for (const userId of users ?? []) this.userChanged.set(userId, pos);
    for (const waiter of this.waiters) {
      if (change.everyone
        || (change.roomId !== undefined && waiter.rooms.has(change.roomId))
        || users?.has(waiter.userId)) {
        this.waiters.delete(waiter);
        waiter.wake();
      }
    }
  }

  /** Resolves on the first relevant change, after `timeoutMs`, or when `signal` aborts. */
  wait(userId: string, rooms: ReadonlySet<string>, timeoutMs: number, signal?: AbortSignal):
    Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { userId, rooms, wake: finish };
      const timer = setTimeout(finish, timeoutMs);
      signal?.addEventListener('abort', finish);
      this.waiters.add(waiter);
    });
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
