import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BatchSigner } from '../crypto/batch-signer.js';
import { CanonicalJsonError } from '../crypto/canonical-json.js';
import { forbidden, MatrixError } from '../http/errors.js';
import type { Database, WriteOp } from '../storage/level/database.js';
import { StorageError } from '../storage/level/durable-writer.js';
import type {
  EventStore, MembershipRecord, RoomRecord, StoredEvent,
} from '../storage/level/events.js';
import type { StateGroupStore } from '../storage/level/state-groups.js';
import type { StreamCounter } from '../storage/level/stream.js';
import type { Notifier } from '../sync/notifier.js';
import { authEventKeys } from './auth-events.js';
import { AuthError } from './auth-error.js';
import { checkEventAuth } from './auth-rules.js';
import { stateKey, type PDU, type PDUFields, type StateKey, type StateLookup } from './event.js';
import {
  EventTooLargeError, prepareEvent, roomIdFromCreateEventId, type EventDraft,
  type PreparedEvent, type ServerIdentity,
} from './event-factory.js';
import { EventSigning } from './event-signing.js';
import { userPowerLevel } from './power-levels.js';
import { redactEvent } from './redaction.js';
import { getRoomVersion, type RoomVersion } from './room-versions.js';
import { slimEvent } from './slim-event.js';

/** A room's current state, kept in memory while the process runs. */
export interface LoadedRoom {
  readonly roomId: string;
  readonly version: RoomVersion;
  record: RoomRecord;
  readonly state: Map<StateKey, StoredEvent>;
  /** Users whose current membership is `join`, on any server. */
  readonly joined: Set<string>;
  /**
   * The room's latest durable events, oldest first: every event with a stream position
   * above `recentFloor` is here, so an incremental /sync reads them without touching disk.
   */
  recent: StoredEvent[];
  recentFloor: number;
  /**
   * The rooms engine's generation when the room was loaded: after a failed write the
   * engine moves on to the next, and a room of an older one is no longer built on.
   */
  readonly generation: number;
}

/**
 * Events kept in memory for incremental /sync: at most ROOM_RECENT per room and
 * TOTAL_RECENT over all rooms (oldest dropped first), so a thousand device rooms cost a few
 * MiB. A client that fell further behind reads from disk.
 */
const ROOM_RECENT = 256;
const TOTAL_RECENT = 4096;

export interface SendOptions {
  txn?: { device_id: string; txn_id: string };
  /** For m.room.redaction: the stored event it redacts, loaded by the caller. */
  redactionTarget?: StoredEvent;
}

export interface RoomServiceDeps {
  db: Database;
  events: EventStore;
  groups: StateGroupStore;
  stream: StreamCounter;
  notifier: Notifier;
  identity: ServerIdentity;
  /** Signs the events after they are stored (see event-signing.ts). */
  signer: BatchSigner;
  log: Logger;
}

/** A pending change: the events built so far and the writes that store them. */
export interface Pending {
  stored: StoredEvent[];
  ops: WriteOp[];
  notifyUsers: Set<string>;
  /** Local users' new memberships, cached once the write is durable. */
  memberships: Array<[userId: string, record: MembershipRecord]>;
}

export function newPending(): Pending {
  return { stored: [], ops: [], notifyUsers: new Set(), memberships: [] };
}

/**
 * The rooms engine: builds events on top of a room's current state, checks each against the
 * full authorization rules with its auth events, and stores it durably before anyone sees it.
 *
 * Building is synchronous from the moment the room is loaded until the write is queued, so
 * events of one room never interleave and no lock is needed.
 */
export class RoomService {
  private readonly loaded = new Map<string, Promise<LoadedRoom | undefined>>();
  private readonly listeners = new Set<(events: StoredEvent[]) => void>();
  /** The rooms of remembered events, oldest first: the global budget drops from the front. */
  private readonly recentOrder: LoadedRoom[] = [];
  private recentStart = 0;
  private readonly staleEntries = new WeakMap<LoadedRoom, number>();
  /** Counts failed writes: each one leaves every room in memory behind (see forgetRooms). */
  private generation = 0;

  /** Signs each event after it is stored; see event-signing.ts. */
  readonly signing: EventSigning;

  constructor(private readonly deps: RoomServiceDeps) {
    deps.db.writer.onFailure(() => this.forgetRooms());
    this.signing = new EventSigning(deps);
  }

  /**
   * A write failed, so the rooms in memory hold events and state that never reached the
   * disk (the failed events, and anything queued behind them, which failed too). They are
   * dropped, to be read again from the disk when next asked for; one still held by a
   * caller is refused by buildEvent.
   */
  private forgetRooms(): void {
    this.generation += 1;
    this.loaded.clear();
    this.recentOrder.length = 0;
    this.recentStart = 0;
  }

  get serverName(): string {
    return this.deps.identity.serverName;
  }

  isLocalUser(userId: string): boolean {
    return userId.endsWith(':' + this.serverName) && userId.startsWith('@');
  }

  getRoom(roomId: string): Promise<LoadedRoom | undefined> {
    let room = this.loaded.get(roomId);
    if (!room) {
      room = this.loadRoom(roomId);
      this.loaded.set(roomId, room);
      room.then((r) => { if (!r) this.loaded.delete(roomId); }, () => this.loaded.delete(roomId));
    }
    return room;
  }

  /**
   * The room, for a client acting in it. An unknown room answers M_FORBIDDEN, as the
   * client-server API declares for room endpoints: to a client, a room it is not in and a
   * room that does not exist look the same.
   */
  async requireRoom(roomId: string): Promise<LoadedRoom> {
    const room = await this.getRoom(roomId);
    if (!room) throw forbidden(`You are not in room ${roomId}`);
    return room;
  }

  private async loadRoom(roomId: string): Promise<LoadedRoom | undefined> {
    // Taken before reading: a failure meanwhile makes this copy one of the past.
    const generation = this.generation;
    const record = await this.deps.events.getRoom(roomId);
    if (!record) return undefined;
    const version = getRoomVersion(record.version);
    if (!version) throw new Error(`room ${roomId} has unknown version ${record.version}`);
    const ids = await this.deps.groups.resolve(record.current_sg);
    const events = await this.deps.events.getEvents([...ids.values()]);
    const state = new Map<StateKey, StoredEvent>();
    const joined = new Set<string>();
    for (const event of events) {
      if (!event) continue;
      state.set(stateKey(event.pdu.type, event.pdu.state_key!), slimEvent(event));
      if (event.pdu.type === 'm.room.member' && event.pdu.content.membership === 'join') {
        joined.add(event.pdu.state_key!);
      }
    }
    const last = await this.deps.events.timeline(roomId, { backwards: true, limit: 1 });
    return { roomId, version, record, state, joined, recent: [], recentFloor: last[0]?.pos ?? 0,
      generation };
  }

  /** Looks up current state as PDUs, for auth checks and power levels. */
  lookup(room: LoadedRoom): StateLookup {
    return (type, key) => room.state.get(stateKey(type, key))?.pdu;
  }

  stateEvent(room: LoadedRoom, type: string, key = ''): StoredEvent | undefined {
    return room.state.get(stateKey(type, key));
  }

  membership(room: LoadedRoom, userId: string): string | undefined {
    const content = room.state.get(stateKey('m.room.member', userId))?.pdu.content;
    return typeof content?.membership === 'string' ? content.membership : undefined;
  }

  powerLevel(room: LoadedRoom, userId: string): number {
    return userPowerLevel(userId, this.lookup(room), room.version);
  }

  /** The state (type and state key to event ID) just before a stored event. */
  stateIdsAt(event: StoredEvent, after = false) {
    return this.deps.groups.resolve(after ? event.sg_after : event.sg_before);
  }

  /** Builds, authorizes and sends one event; resolves once it is on disk. */
  async sendEvent(roomId: string, draft: EventDraft, options: SendOptions = {}):
    Promise<StoredEvent> {
    const room = await this.requireRoom(roomId);
    if (draft.redacts !== undefined && !options.redactionTarget) {
      const target = await this.deps.events.getEvent(draft.redacts);
      if (target) options = { ...options, redactionTarget: target };
    }
    const pending = newPending();
    const stored = this.buildEvent(room, draft, pending, options);
    await this.commit(pending, room.roomId);
    return stored;
  }

  /**
   * Writes what was built (with the stream counter) and then wakes the readers. The write is
   * queued at once, so writes keep the order in which stream positions were handed out; the
   * events' signatures follow in later writes (see event-signing.ts).
   */
  async commit(pending: Pending, roomId: string): Promise<void> {
    pending.ops.push(this.deps.stream.counterOp());
    await this.deps.db.write(pending.ops);
    // Durable now: make the events visible to readers, in stream order.
    const room = await this.loaded.get(roomId);
    if (room) for (const event of pending.stored) this.remember(room, this.keepSlim(room, event));
    for (const [userId, record] of pending.memberships) {
      this.deps.events.rememberMembership(userId, record);
    }
    const last = pending.stored[pending.stored.length - 1];
    if (last) this.deps.stream.markDurable(last.pos);
    this.deps.notifier.notify({ roomId, userIds: pending.notifyUsers });
    for (const listener of this.listeners) {
      try {
        listener(pending.stored);
      } catch (err) {
        this.deps.log.error({ err, room_id: roomId }, 'event listener failed');
      }
    }
  }

  /** Calls `listener` with every batch of events once it is durable (the bridge uses it). */
  onEvents(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Once an event is durable the room keeps its slim copy (see slimEvent): in current state,
   * unless a later event replaced it meanwhile, and in the recent window. Callers of
   * sendEvent keep the full event they were given.
   */
  private keepSlim(room: LoadedRoom, event: StoredEvent): StoredEvent {
    const slim = slimEvent(event);
    if (event.pdu.state_key !== undefined) {
      const key = stateKey(event.pdu.type, event.pdu.state_key);
      if (room.state.get(key) === event) room.state.set(key, slim);
    }
    return slim;
  }

  private remember(room: LoadedRoom, event: StoredEvent): void {
    room.recent.push(event);
    this.recentOrder.push(room);
    if (room.recent.length > ROOM_RECENT) {
      this.dropOldest(room);
      // Its entry in recentOrder stays; the global trim below skips it when it comes up.
      this.staleEntries.set(room, (this.staleEntries.get(room) ?? 0) + 1);
    }
    // Over the global budget: the front entry is the oldest remembered event of all, and
    // that event is also the oldest of its room (unless the room's cap dropped it already).
    while (this.recentOrder.length - this.recentStart > TOTAL_RECENT) {
      const oldest = this.recentOrder[this.recentStart]!;
      this.recentStart += 1;
      const stale = this.staleEntries.get(oldest) ?? 0;
      if (stale > 0) this.staleEntries.set(oldest, stale - 1);
      else this.dropOldest(oldest);
    }
    if (this.recentStart >= TOTAL_RECENT) {
      this.recentOrder.splice(0, this.recentStart);
      this.recentStart = 0;
    }
  }

  private dropOldest(room: LoadedRoom): void {
    const first = room.recent.shift();
    if (first) room.recentFloor = first.pos;
  }

  /**
   * Builds one event on the room's current state and applies it in memory, adding its writes
   * to `pending`. Throws M_FORBIDDEN (with the failed rule) if the auth rules refuse it.
   */
  buildEvent(room: LoadedRoom, draft: EventDraft, pending: Pending, options: SendOptions = {}):
    StoredEvent {
    if (room.generation !== this.generation) {
      throw new StorageError(new Error('the room was built on a write that failed; try again'));
    }
    const version = room.version;
    const isCreate = draft.type === 'm.room.create' && draft.state_key === '';
    const authKeys = authEventKeys(draft, version);
    const authEvents = new Map<StateKey, PDU>();
    const authEventIds: string[] = [];
    for (const [type, key] of authKeys) {
      const event = room.state.get(stateKey(type, key));
      if (!event) continue;
      authEvents.set(stateKey(type, key), event.pdu);
      authEventIds.push(event.event_id);
    }
    // v12 names the create event through the room ID; the auth rules still need to read it.
    const create = room.state.get(stateKey('m.room.create', ''));
    if (create && version.roomIdFromCreate) {
      authEvents.set(stateKey('m.room.create', ''), create.pdu);
    }

    const fields: PDUFields = {
      type: draft.type,
      sender: draft.sender,
      content: draft.content,
      origin_server_ts: Date.now(),
      depth: room.record.depth + 1,
      prev_events: [...room.record.extremities],
      auth_events: authEventIds,
    };
    if (!(isCreate && version.roomIdFromCreate)) fields.room_id = room.roomId;
    if (draft.state_key !== undefined) fields.state_key = draft.state_key;
    if (draft.redacts !== undefined) {
      if (version.redactsInContent) fields.content = { ...draft.content, redacts: draft.redacts };
      else fields.redacts = draft.redacts;
    }

    let finished: PreparedEvent;
    try {
      finished = prepareEvent(fields, version, this.deps.identity);
      checkEventAuth(finished.pdu, (type, key) => authEvents.get(stateKey(type, key)), version,
        { createEventId: create?.event_id });
    } catch (err) {
      if (err instanceof AuthError) throw forbidden(err.reason);
      if (err instanceof EventTooLargeError) throw new MatrixError('M_TOO_LARGE', err.message);
      // Room versions 6+ events are canonical JSON: no floats, no integers beyond 2^53.
      if (err instanceof CanonicalJsonError) throw new MatrixError('M_BAD_JSON', err.message);
      throw err;
    }
    const stored = this.applyEvent(room, finished.pdu, finished.eventId, pending, options);
    this.signing.sign(finished, stored);
    return stored;
  }

  private applyEvent(room: LoadedRoom, pdu: PDU, eventId: string, pending: Pending,
    options: SendOptions): StoredEvent {
    const pos = this.deps.stream.allocate();
    const record = room.record;
    const stored: StoredEvent = {
      event_id: eventId, room_id: room.roomId, pdu, pos,
      sg_before: record.current_sg, sg_after: record.current_sg,
    };
    if (options.txn) stored.txn = options.txn;

    if (pdu.state_key !== undefined) {
      const key = stateKey(pdu.type, pdu.state_key);
      const replaced = room.state.get(key);
      if (replaced) {
        stored.prev_content = replaced.pdu.content;
        stored.prev_sender = replaced.pdu.sender;
        stored.replaces_state = replaced.event_id;
      }
      room.state.set(key, stored);
      const prevGroup = record.current_sg === 0 ? null : record.current_sg;
      const group = this.deps.groups.createGroup(prevGroup, { [key]: eventId }, () => {
        const ids = new Map<StateKey, string>();
        for (const [k, e] of room.state) ids.set(k, e.event_id);
        return ids;
      });
      pending.ops.push(group.op);
      stored.sg_after = group.id;
      record.current_sg = group.id;
      if (pdu.type === 'm.room.member') this.applyMembership(room, stored, pending);
    }

    if (options.redactionTarget) {
      this.applyRedaction(room, options.redactionTarget, stored, pending);
    }

    record.depth = pdu.depth;
    record.extremities = [eventId];
    pending.ops.push(...this.deps.events.putEventOps(stored), this.deps.events.putRoomOp(record));
    pending.stored.push(stored);
    return stored;
  }

  private applyMembership(room: LoadedRoom, stored: StoredEvent, pending: Pending): void {
    const userId = stored.pdu.state_key!;
    const membership = String(stored.pdu.content.membership);
    if (membership === 'join') room.joined.add(userId);
    else room.joined.delete(userId);
    if (!this.isLocalUser(userId)) return;
    pending.notifyUsers.add(userId);
    const record = { room_id: room.roomId, membership, event_id: stored.event_id,
      pos: stored.pos };
    pending.ops.push(this.deps.events.putMembershipOp(userId, record));
    pending.memberships.push([userId, record]);
  }

  /**
   * Applies a redaction to its target. The stored copy is replaced by its redacted form, as
   * every server must serve it from then on.
   */
  private applyRedaction(room: LoadedRoom, target: StoredEvent, redaction: StoredEvent,
    pending: Pending): void {
    if (target.room_id !== room.roomId) return;
    // The stored copy is rewritten from `target`, read from disk with its signatures; the
    // copies the room keeps in memory are slim and only take the redacted fields.
    target.pdu = redactEvent(target.pdu, room.version);
    target.redacted_by = redaction.event_id;
    target.redacted_because = {
      event_id: redaction.event_id, type: redaction.pdu.type, sender: redaction.pdu.sender,
      origin_server_ts: redaction.pdu.origin_server_ts, content: redaction.pdu.content,
      room_id: room.roomId, redacts: target.event_id,
    };
    pending.ops.push(this.deps.events.updateEventOp(target));
    const current = target.pdu.state_key === undefined ? undefined
      : room.state.get(stateKey(target.pdu.type, target.pdu.state_key));
    const recent = room.recent.find((e) => e.event_id === target.event_id);
    for (const live of [current, recent]) {
      if (live?.event_id !== target.event_id || live === target) continue;
      live.pdu = slimEvent(target).pdu;
      live.redacted_by = target.redacted_by;
      live.redacted_because = target.redacted_because;
    }
  }

  /**
   * Builds a room's create event and the in-memory room around it. Before v12 the room ID is
   * random; from v12 it is the create event's reference hash, so it is known only afterwards.
   */
  startRoom(version: RoomVersion, creator: string, content: Record<string, unknown>,
    pending: Pending): LoadedRoom {
    const fields: PDUFields = {
      type: 'm.room.create', state_key: '', sender: creator, content,
      origin_server_ts: Date.now(), depth: 1, prev_events: [], auth_events: [],
    };
    if (!version.roomIdFromCreate) fields.room_id = this.generateRoomId();
    let finished: PreparedEvent;
    try {
      finished = prepareEvent(fields, version, this.deps.identity);
      checkEventAuth(finished.pdu, () => undefined, version);
    } catch (err) {
      if (err instanceof AuthError) throw forbidden(err.reason);
      if (err instanceof EventTooLargeError) throw new MatrixError('M_TOO_LARGE', err.message);
      // Room versions 6+ events are canonical JSON: no floats, no integers beyond 2^53.
      if (err instanceof CanonicalJsonError) throw new MatrixError('M_BAD_JSON', err.message);
      throw err;
    }
    const roomId = fields.room_id ?? roomIdFromCreateEventId(finished.eventId);
    const record: RoomRecord = {
      room_id: roomId, version: version.id, creator, created_ts: Date.now(),
      current_sg: 0, extremities: [], depth: 0,
    };
    const room: LoadedRoom = { roomId, version, record, state: new Map(), joined: new Set(),
      recent: [], recentFloor: 0, generation: this.generation };
    this.signing.sign(finished, this.applyEvent(room, finished.pdu, finished.eventId, pending,
      {}));
    return room;
  }

  /** Registers a room built in memory so later calls find it. */
  adoptRoom(room: LoadedRoom): void {
    this.loaded.set(room.roomId, Promise.resolve(room));
  }

  /** A fresh room ID (versions before 12; v12 derives it from the create event). */
  generateRoomId(): string {
    return '!' + randomBytes(12).toString('base64url') + ':' + this.serverName;
  }
}
