/**
 * The bridge's one view of "a homeserver". The embedded homeserver implements it in
 * local-homeserver.ts; an external homeserver reached as an application service will be the
 * other implementation. The bridge never touches storage or room internals.
 */
export interface RoomMessage {
  roomId: string;
  eventId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

export interface StateEventSpec {
  type: string;
  state_key: string;
  content: Record<string, unknown>;
}

export interface RoomSpec {
  /** Localpart of the room's alias, e.g. `device_kitchen_sensor` for #device_kitchen_sensor:hs. */
  aliasLocalpart: string;
  name: string;
  topic?: string;
  /** The user who creates the room (a bridge puppet or the bridge bot). */
  creator: string;
  /** Users invited at creation. */
  invite: string[];
  /** Power levels by user, laid over the defaults (the creator keeps 100). */
  users: Record<string, number>;
  /** Further power level settings, e.g. `events` for the bridge's own state types. */
  powerLevels?: Record<string, unknown>;
  initialState?: StateEventSpec[];
  /** Creates an `m.space` room. */
  space?: boolean;
}

/**
 * The homeserver could not do it now (its storage failed; for an application service, the
 * homeserver could not be reached): the same call may succeed later. The bridge leaves the
 * MQTT message that asked for it unacknowledged, so that it is delivered again.
 */
export class HomeserverUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HomeserverUnavailableError';
  }
}

export interface HomeserverPort {
  readonly serverName: string;
  /**
   * Creates a user in a namespace nobody can register (no password, no login) if missing,
   * and sets its display name. Returns the user ID.
   */
  ensureUser(localpart: string, displayName: string): Promise<string>;
  /** The room behind an alias (its localpart, as in RoomSpec), if there is one. */
  findRoom(aliasLocalpart: string): Promise<string | undefined>;
  /** The room behind the spec's alias, created (with the alias) if there is none yet. */
  ensureRoom(spec: RoomSpec): Promise<{ roomId: string; created: boolean }>;
  /** Sends a state event; resolves with its event ID once it is durably stored. */
  setState(roomId: string, sender: string, event: StateEventSpec): Promise<string>;
  getState(roomId: string, type: string, stateKey: string):
    Promise<Record<string, unknown> | undefined>;
  /** Sends a timeline event; resolves with its event ID once it is durably stored. */
  send(roomId: string, sender: string, type: string, content: Record<string, unknown>):
    Promise<string>;
  invite(roomId: string, sender: string, userId: string): Promise<void>;
  /** Joins a user the port manages (a puppet) to a room it was invited to or may join. */
  join(roomId: string, userId: string): Promise<void>;
  membership(roomId: string, userId: string): Promise<string | undefined>;
  powerLevel(roomId: string, userId: string): Promise<number>;
  /** Calls `handler` for each new timeline event in any room, once stored. */
  onMessage(handler: (message: RoomMessage) => void): () => void;
}
