/**
 * Builders for room state in auth and redaction tests. Events are plain PDUs with fake hashes
 * and signatures: the auth rules do not look at either.
 */
import type { Test } from 'tap';

import { AuthError, checkEventAuth, type AuthOptions } from '../../src/rooms/auth-rules.js';
import { stateKey, type PDU, type StateKey, type StateLookup } from '../../src/rooms/event.js';
import { getRoomVersion, type RoomVersion } from '../../src/rooms/room-versions.js';

export const ALICE = '@alice:example.org';
export const BOB = '@bob:example.org';
export const CAROL = '@carol:example.org';
export const DAVE = '@dave:remote.example';

export const ALL_VERSIONS = ['6', '7', '8', '9', '10', '11', '12'] as const;

export function versionsFrom(first: number, last = 12): string[] {
  return ALL_VERSIONS.filter((id) => Number(id) >= first && Number(id) <= last);
}

export function roomVersion(id: string): RoomVersion {
  const version = getRoomVersion(id);
  if (!version) throw new Error(`unknown room version ${id}`);
  return version;
}

/** A PDU with harmless defaults for everything the test does not care about. */
export function pdu(fields: Partial<PDU> & Pick<PDU, 'type' | 'sender'>): PDU {
  return {
    content: {},
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    prev_events: ['$previous'],
    auth_events: [],
    hashes: { sha256: 'fakehash' },
    signatures: {},
    ...fields,
  };
}

export interface RoomOptions {
  creator?: string;
  /** Extra create content, e.g. `m.federate` or `additional_creators`. */
  createContent?: Record<string, unknown>;
  /** Leave the create event without an `event_id` (its ID is unknown to the auth rules). */
  anonymousCreate?: boolean;
}

/** A room's state as a Map, with helpers that add the usual state events. */
export class RoomBuilder {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly creator: string;
  readonly create: PDU;
  readonly state = new Map<StateKey, PDU>();

  constructor(versionId: string, options: RoomOptions = {}) {
    this.version = roomVersion(versionId);
    this.creator = options.creator ?? ALICE;
    const v12 = this.version.roomIdFromCreate;
    this.roomId = v12 ? '!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM' : '!room:example.org';

    const content: Record<string, unknown> = { room_version: versionId };
    if (!this.version.implicitCreator) content.creator = this.creator;
    this.create = pdu({
      type: 'm.room.create',
      state_key: '',
      sender: this.creator,
      content: { ...content, ...options.createContent },
      prev_events: [],
      depth: 1,
    });
    if (!v12) this.create.room_id = this.roomId;
    if (!options.anonymousCreate) {
      this.create.event_id = v12 ? `$${this.roomId.slice(1)}` : '$create';
    }
    this.put(this.create);
  }

  /** A v12 room's create event has no room_id; everything else belongs to this room. */
  event(fields: Partial<PDU> & Pick<PDU, 'type' | 'sender'>): PDU {
    return pdu({ room_id: this.roomId, ...fields });
  }

  put(event: PDU): this {
    if (event.state_key === undefined) throw new Error('only state events go in the state');
    this.state.set(stateKey(event.type, event.state_key), event);
    return this;
  }

  remove(type: string, key = ''): this {
    this.state.delete(stateKey(type, key));
    return this;
  }

  memberEvent(sender: string, target: string, membership: string, extra = {}): PDU {
    return this.event({
      type: 'm.room.member',
      sender,
      state_key: target,
      content: { membership, ...extra },
    });
  }

  member(target: string, membership: string, sender = target): this {
    return this.put(this.memberEvent(sender, target, membership));
  }

  powerLevels(content: Record<string, unknown>, sender = this.creator): this {
    return this.put(this.event({ type: 'm.room.power_levels', state_key: '', sender, content }));
  }

  joinRules(joinRule: string, extra = {}): this {
    const content = { join_rule: joinRule, ...extra };
    return this.put(this.event({
      type: 'm.room.join_rules', state_key: '', sender: this.creator, content,
    }));
  }

  lookup: StateLookup = (type, key) => this.state.get(stateKey(type, key));
}

/**
 * The room most rows start from: the creator joined, a power levels event giving the creator
 * 100 (creators are implicit in v12 and may not be listed), and the given join rule.
 */
export function standardRoom(versionId: string, joinRule = 'invite', options?: RoomOptions) {
  const room = new RoomBuilder(versionId, options);
  room.member(room.creator, 'join');
  const users = room.version.privilegedCreators ? {} : { [room.creator]: 100 };
  room.powerLevels({ users });
  room.joinRules(joinRule);
  return room;
}

/** One row of an auth table: which versions, the room, the event, and the expected result. */
export interface AuthCase {
  title: string;
  versions: readonly string[];
  room?: (versionId: string) => RoomBuilder;
  event: (room: RoomBuilder) => PDU;
  /** Expected rejection reason; omit when the event must be allowed. */
  reject?: RegExp;
  options?: AuthOptions;
}

/** Runs each row once per listed version as its own subtest. */
export function runAuthCases(t: Test, cases: readonly AuthCase[]): void {
  for (const row of cases) {
    for (const versionId of row.versions) {
      const room = row.room ? row.room(versionId) : standardRoom(versionId);
      const event = row.event(room);
      const verdict = row.reject ? 'rejects' : 'allows';
      t.test(`v${versionId} ${verdict}: ${row.title}`, async (t) => {
        const check = (): void => checkEventAuth(event, room.lookup, room.version, row.options);
        if (!row.reject) {
          t.doesNotThrow(check);
          return;
        }
        const error = catchError(check);
        t.ok(error instanceof AuthError, 'throws AuthError');
        t.match(error instanceof Error ? error.message : '', row.reject);
      });
    }
  }
}

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A standard room with extra state. */
export function roomWith(joinRule: string, setup: (r: RoomBuilder) => void = () => {}) {
  return (v: string) => {
    const r = standardRoom(v, joinRule);
    setup(r);
    return r;
  };
}

/** The creator gets 100 in v6-v11; v12 creators must not appear in users. */
export function setLevels(r: RoomBuilder, users: Record<string, number>, extra = {}): void {
  const creator = r.version.privilegedCreators ? {} : { [r.creator]: 100 };
  r.powerLevels({ users: { ...creator, ...users }, ...extra });
}
