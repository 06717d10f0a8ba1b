import type { Database, WriteOp } from './database.js';

const META_POS = 'meta:pos';

/**
 * The one global stream counter. Events, account data, receipts, to-device messages and
 * device-list changes all take a position from it, so a single number is a /sync token.
 *
 * A position is handed out and its write queued in the same synchronous step; writes reach
 * the disk in queue order, so once a write resolves every lower position is durable too.
 * `durable` is what /sync may promise a client.
 */
export class StreamCounter {
  private last: number;
  private durablePos: number;

  private constructor(last: number) {
    this.last = last;
    this.durablePos = last;
  }

  static async open(db: Database): Promise<StreamCounter> {
    return new StreamCounter((await db.get<number>(META_POS)) ?? 0);
  }

  allocate(): number {
    this.last += 1;
    return this.last;
  }

  /** The write that records the counter; put it in the same batch as what used the position. */
  counterOp(): WriteOp {
    return { type: 'put', key: META_POS, value: this.last };
  }

  get durable(): number {
    return this.durablePos;
  }

  markDurable(pos: number): void {
    if (pos > this.durablePos) this.durablePos = pos;
  }
}
