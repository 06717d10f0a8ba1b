import type { Homeserver } from '../homeserver.js';
import { createRoom } from '../rooms/create-room.js';
import { getRoomVersion } from '../rooms/room-versions.js';
import { StorageError } from '../storage/level/durable-writer.js';
import {
  HomeserverUnavailableError, type HomeserverPort, type RoomMessage, type RoomSpec,
  type StateEventSpec,
} from './homeserver-port.js';

/** A failed durable write is the port's "try again later"; other errors pass as they are. */
function unavailable(err: unknown): never {
  if (err instanceof StorageError) {
    throw new HomeserverUnavailableError(err.message, { cause: err });
  }
  throw err;
}

/** The bridge's port onto the homeserver in this process. */
export class LocalHomeserver implements HomeserverPort {
  private readonly creating = new Map<string, Promise<{ roomId: string; created: boolean }>>();

  constructor(private readonly hs: Homeserver) {}

  get serverName(): string {
    return this.hs.config.server_name;
  }

  ensureUser(localpart: string, displayName: string): Promise<string> {
    return this.hs.accounts.ensureReservedUser(localpart, displayName).catch(unavailable);
  }

  async findRoom(aliasLocalpart: string): Promise<string | undefined> {
    return (await this.hs.directory.getAlias(`#${aliasLocalpart}:${this.serverName}`))?.room_id;
  }

  /** One creation per alias at a time, so two first messages cannot make two rooms. */
  ensureRoom(spec: RoomSpec): Promise<{ roomId: string; created: boolean }> {
    const alias = `#${spec.aliasLocalpart}:${this.serverName}`;
    let running = this.creating.get(alias);
    if (!running) {
      running = this.findOrCreate(alias, spec).catch(unavailable)
        .finally(() => this.creating.delete(alias));
      this.creating.set(alias, running);
    }
    return running;
  }

  private async findOrCreate(alias: string, spec: RoomSpec) {
    const existing = await this.hs.directory.getAlias(alias);
    if (existing) return { roomId: existing.room_id, created: false };

    const version = getRoomVersion(this.hs.config.rooms.default_version)!;
    const users: Record<string, number> = { [spec.creator]: 100, ...spec.users };
    // v12 creators outrank every level and must not be listed.
    if (version.privilegedCreators) delete users[spec.creator];
    const creator = await this.hs.accounts.getUser(spec.creator);
    const { room } = await createRoom(this.hs.rooms, {
      creator: spec.creator,
      version,
      preset: 'private_chat',
      name: spec.name,
      topic: spec.topic,
      alias,
      invite: spec.invite,
      isDirect: false,
      initialState: spec.initialState ?? [],
      powerLevelOverride: { ...spec.powerLevels, users },
      creationContent: spec.space ? { type: 'm.space' } : undefined,
      creatorProfile: { displayname: creator?.displayname, avatar_url: creator?.avatar_url },
    });
    await this.hs.db.write(this.hs.directory.putAliasOps(alias,
      { room_id: room.roomId, creator: spec.creator }));
    return { roomId: room.roomId, created: true };
  }

  async setState(roomId: string, sender: string, event: StateEventSpec): Promise<string> {
    const stored = await this.hs.rooms.sendEvent(roomId, {
      type: event.type, state_key: event.state_key, sender, content: event.content,
    }).catch(unavailable);
    return stored.event_id;
  }

  async getState(roomId: string, type: string, stateKey: string) {
    const room = await this.hs.rooms.getRoom(roomId);
    return room ? this.hs.rooms.stateEvent(room, type, stateKey)?.pdu.content : undefined;
  }

  async send(roomId: string, sender: string, type: string, content: Record<string, unknown>) {
    return (await this.hs.rooms.sendEvent(roomId, { type, sender, content })
      .catch(unavailable)).event_id;
  }

  async invite(roomId: string, sender: string, userId: string): Promise<void> {
    await this.hs.rooms.sendEvent(roomId, { type: 'm.room.member', state_key: userId, sender,
      content: { membership: 'invite' } }).catch(unavailable);
  }

  async join(roomId: string, userId: string): Promise<void> {
    const user = await this.hs.accounts.getUser(userId);
    const content: Record<string, unknown> = { membership: 'join' };
    if (user?.displayname) content.displayname = user.displayname;
    await this.hs.rooms.sendEvent(roomId, { type: 'm.room.member', state_key: userId,
      sender: userId, content }).catch(unavailable);
  }

  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const room = await this.hs.rooms.getRoom(roomId);
    return room ? this.hs.rooms.membership(room, userId) : undefined;
  }

  async powerLevel(roomId: string, userId: string): Promise<number> {
    const room = await this.hs.rooms.getRoom(roomId);
    return room ? this.hs.rooms.powerLevel(room, userId) : 0;
  }

  onMessage(handler: (message: RoomMessage) => void): () => void {
    return this.hs.rooms.onEvents((events) => {
      for (const event of events) {
        if (event.pdu.state_key !== undefined) continue;
        handler({ roomId: event.room_id, eventId: event.event_id, sender: event.pdu.sender,
          type: event.pdu.type, content: event.pdu.content });
      }
    });
  }
}
