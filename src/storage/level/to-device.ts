import { posKey, type Database, type WriteOp } from './database.js';

/** A to-device message as /sync hands it to the target device. */
export interface ToDeviceMessage {
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

const INBOX = 'td:';
const SEP = '\u0000';

/**
 * Each device's inbox of to-device messages, in stream order. One request's messages share
 * its stream position and are told apart by their index in the request.
 */
export class ToDeviceStore {
  constructor(private readonly db: Database) {}

  private prefix(userId: string, deviceId: string): string {
    return INBOX + userId + SEP + deviceId + SEP;
  }

  putOp(userId: string, deviceId: string, pos: number, index: number,
    message: ToDeviceMessage): WriteOp {
    return { type: 'put', key: this.prefix(userId, deviceId) + posKey(pos) + SEP
      + index.toString().padStart(8, '0'), value: message };
  }

  /** Messages for a device at stream positions in (from, to], oldest first. */
  async between(userId: string, deviceId: string, from: number, to: number):
    Promise<ToDeviceMessage[]> {
    const prefix = this.prefix(userId, deviceId);
    const rows = await this.db.range<ToDeviceMessage>(prefix, {
      after: prefix + posKey(from) + '\uffff',
      before: prefix + posKey(to + 1),
    });
    return rows.map(([, message]) => message);
  }

  /** Deletes of the messages a device has acknowledged: those at or below `upTo`. */
  async acknowledgedOps(userId: string, deviceId: string, upTo: number): Promise<WriteOp[]> {
    const prefix = this.prefix(userId, deviceId);
    const rows = await this.db.range(prefix, { before: prefix + posKey(upTo + 1) });
    return rows.map(([key]) => ({ type: 'del', key }));
  }

  /** Deletes of a device's whole inbox, for when the device goes away. */
  async deleteInboxOps(userId: string, deviceId: string): Promise<WriteOp[]> {
    const rows = await this.db.range(this.prefix(userId, deviceId));
    return rows.map(([key]) => ({ type: 'del', key }));
  }
}
