import { ChangeLog, type Notifier } from './notifier.js';

/** Typing changes kept in order; a /sync token older than these checks each room instead. */
const TYPING_LOG_SIZE = 4096;

/**
 * Who is typing where. Typing is ephemeral: it lives in memory with its own serial (part of
 * the /sync token) and is never written to disk.
 */
export class TypingTracker {
  private readonly rooms = new Map<string, Map<string, number>>();
  private readonly changedAt = new Map<string, number>();
  private readonly log = new ChangeLog(TYPING_LOG_SIZE, 0);
  private serialValue = 0;

  constructor(private readonly notifier: Notifier, private readonly now = () => Date.now()) {}

  get serial(): number {
    return this.serialValue;
  }

  setTyping(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    let users = this.rooms.get(roomId);
    if (!users) {
      users = new Map();
      this.rooms.set(roomId, users);
    }
    const was = this.isTyping(users, userId);
    if (typing) users.set(userId, this.now() + Math.min(timeoutMs, 120_000));
    else users.delete(userId);
    if (was !== typing) this.touch(roomId);
    if (typing) {
      setTimeout(() => this.expire(roomId), Math.min(timeoutMs, 120_000) + 10).unref();
    }
  }

  /** Users typing in a room now. */
  typing(roomId: string): string[] {
    const users = this.rooms.get(roomId);
    if (!users) return [];
    return [...users.keys()].filter((u) => this.isTyping(users, u));
  }

  /** Whether a room's typing list changed after `serial`. */
  changedSince(roomId: string, serial: number): boolean {
    return (this.changedAt.get(roomId) ?? 0) > serial;
  }

  /**
   * The rooms whose typing list changed after `serial` (exactly those for which changedSince
   * is true), or undefined when the log no longer reaches back that far.
   */
  roomsChangedSince(serial: number): Set<string> | undefined {
    return this.log.keysAfter(serial);
  }

  private isTyping(users: Map<string, number>, userId: string): boolean {
    const until = users.get(userId);
    return until !== undefined && until > this.now();
  }

  private expire(roomId: string): void {
    const users = this.rooms.get(roomId);
    if (!users) return;
    let changed = false;
    for (const [user, until] of users) {
      if (until <= this.now()) {
        users.delete(user);
        changed = true;
      }
    }
    if (changed) this.touch(roomId);
  }

  private touch(roomId: string): void {
    this.serialValue += 1;
    this.changedAt.set(roomId, this.serialValue);
    this.log.record(this.serialValue, roomId);
    this.notifier.notify({ roomId });
  }
}
