import type { PDU } from '../../rooms/event.js';
import { posKey, type Database, type WriteOp } from './database.js';

/** An event as stored: the PDU plus what this server knows about it. */
export interface StoredEvent {
  event_id: string;
  room_id: string;
  pdu: PDU;
  /** Global stream position; orders the timeline and /sync. */
  pos: number;
  /** State group before and after this event (equal for non-state events). */
  sg_before: number;
  sg_after: number;
  /** For state events: the content and sender of the state this event replaced. */
  prev_content?: Record<string, unknown>;
  prev_sender?: string;
  replaces_state?: string;
  /** Set when a redaction of this event has been applied; `pdu` is then the redacted form. */
  redacted_by?: string;
  /** The redaction itself, in client format, for unsigned.redacted_because. */
  redacted_because?: Record<string, unknown>;
  /** The sender's device and transaction ID, echoed in unsigned.transaction_id to that device. */
  txn?: { device_id: string; txn_id: string };
}

function isEmpty(value: object | undefined): boolean {
  for (const _ in value) return false;
  return true;
}

export interface RoomRecord {
  room_id: string;
  version: string;
  creator: string;
  created_ts: number;
  current_sg: number;
  extremities: string[];
  depth: number;
}

export interface MembershipRecord {
  room_id: string;
  membership: string;
  event_id: string;
  pos: number;
}

const EVENT = 'ev:';
const TIMELINE = 'tl:';
const ROOM = 'room:';
const MEMBERSHIP = 'mem:';
/** An event's signatures when they were made after it was stored (see rooms/event-signing). */
const SIGNATURES = 'sig:';

/** Events, per-room timelines, room records and each user's memberships. */
export class EventStore {
  /**
   * Each local user's memberships, read once from disk and then kept current: every /sync
   * starts from this list. Updated only after a write is durable (`rememberMembership`).
   */
  private readonly membershipCache = new Map<string, Map<string, MembershipRecord>>();

  constructor(private readonly db: Database) {}

  async getEvent(eventId: string): Promise<StoredEvent | undefined> {
    const event = await this.db.get<StoredEvent>(EVENT + eventId);
    if (event) await this.withSignatures([event]);
    return event;
  }

  async getEvents(eventIds: string[]): Promise<Array<StoredEvent | undefined>> {
    const events = await this.db.getMany<StoredEvent>(eventIds.map((id) => EVENT + id));
    await this.withSignatures(events);
    return events;
  }

  /** The write of an event's signatures, made after the event itself was stored. */
  putSignaturesOp(eventId: string, signatures: Record<string, Record<string, string>>):
    WriteOp {
    return { type: 'put', key: SIGNATURES + eventId, value: signatures };
  }

  /** Puts on each event stored before its signature was made the signature written since. */
  private async withSignatures(events: Array<StoredEvent | undefined>): Promise<void> {
    const unsigned = events.filter((e): e is StoredEvent =>
      e !== undefined && isEmpty(e.pdu.signatures));
    if (unsigned.length === 0) return;
    const found = await this.db.getMany<PDU['signatures']>(
      unsigned.map((e) => SIGNATURES + e.event_id));
    unsigned.forEach((event, i) => {
      const signatures = found[i];
      if (signatures) event.pdu.signatures = signatures;
    });
  }

  putEventOps(event: StoredEvent): WriteOp[] {
    return [
      { type: 'put', key: EVENT + event.event_id, value: event },
      { type: 'put', key: `${TIMELINE}${event.room_id}\u0000${posKey(event.pos)}`,
        value: event.event_id },
    ];
  }

  /** Rewrites an event in place (used when a redaction is applied). */
  updateEventOp(event: StoredEvent): WriteOp {
    return { type: 'put', key: EVENT + event.event_id, value: event };
  }

  /**
   * Event IDs of a room's timeline between two stream positions (exclusive), oldest first
   * unless `backwards`.
   */
  async timeline(roomId: string, options: { from?: number; to?: number; backwards?: boolean;
    limit?: number }): Promise<Array<{ pos: number; event_id: string }>> {
    const prefix = `${TIMELINE}${roomId}\u0000`;
    const rows = await this.db.range<string>(prefix, {
      after: options.from === undefined ? undefined : prefix + posKey(options.from),
      before: options.to === undefined ? undefined : prefix + posKey(options.to),
      reverse: options.backwards ?? false,
      limit: options.limit,
    });
    return rows.map(([key, eventId]) => ({
      pos: Number(key.slice(prefix.length)), event_id: eventId,
    }));
  }

  getRoom(roomId: string): Promise<RoomRecord | undefined> {
    return this.db.get<RoomRecord>(ROOM + roomId);
  }

  async listRoomIds(): Promise<string[]> {
    return (await this.db.range(ROOM)).map(([key]) => key.slice(ROOM.length));
  }

  putRoomOp(room: RoomRecord): WriteOp {
    return { type: 'put', key: ROOM + room.room_id, value: room };
  }

  /** Updates the cache once a membership write is on disk. */
  rememberMembership(userId: string, record: MembershipRecord): void {
    this.membershipCache.get(userId)?.set(record.room_id, record);
  }

  /** Forgets a room for a user (client-server API, "forget"): durable, then cached. */
  async forgetMembership(userId: string, roomId: string): Promise<void> {
    await this.db.write([this.deleteMembershipOp(userId, roomId)]);
    this.membershipCache.get(userId)?.delete(roomId);
  }

  putMembershipOp(userId: string, record: MembershipRecord): WriteOp {
    return { type: 'put', key: `${MEMBERSHIP}${userId}\u0000${record.room_id}`, value: record };
  }

  deleteMembershipOp(userId: string, roomId: string): WriteOp {
    return { type: 'del', key: `${MEMBERSHIP}${userId}\u0000${roomId}` };
  }

  async getMembership(userId: string, roomId: string): Promise<MembershipRecord | undefined> {
    return (await this.loadMemberships(userId)).get(roomId);
  }

  /** Every room a local user has a membership in (join, invite, leave, ban, knock). */
  async memberships(userId: string): Promise<MembershipRecord[]> {
    return [...(await this.loadMemberships(userId)).values()];
  }

  /**
   * The same memberships by room, as the live cache (it changes as memberships do): /sync
   * looks up the few rooms that changed, and asks whether a room is joined, without a copy.
   */
  membershipsByRoom(userId: string): Promise<ReadonlyMap<string, MembershipRecord>> {
    return this.loadMemberships(userId);
  }

  private async loadMemberships(userId: string): Promise<Map<string, MembershipRecord>> {
    let cached = this.membershipCache.get(userId);
    if (cached) return cached;
    const rows = await this.db.range<MembershipRecord>(`${MEMBERSHIP}${userId}\u0000`);
    // Another read may have filled it meanwhile; keep the first so updates are not lost.
    cached = this.membershipCache.get(userId);
    if (cached) return cached;
    cached = new Map(rows.map(([, record]) => [record.room_id, record]));
    this.membershipCache.set(userId, cached);
    return cached;
  }
}
