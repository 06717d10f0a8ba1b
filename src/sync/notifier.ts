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

/** Wakes long-polling /sync requests when something they care about changed. */
export class Notifier {
  private readonly waiters = new Set<Waiter>();

  notify(change: Change): void {
    const users = change.userIds ? new Set(change.userIds) : undefined;
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
