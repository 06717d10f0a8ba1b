import type { StoredEvent } from '../storage/level/events.js';
import type { EventDraft } from './event-factory.js';
import type { RoomVersion } from './room-versions.js';
import { newPending, type LoadedRoom, type RoomService } from './room-service.js';

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

export interface CreateRoomPlan {
  creator: string;
  version: RoomVersion;
  preset: Preset;
  name?: string;
  topic?: string;
  /** A full alias (#name:server) already checked to be free. */
  alias?: string;
  invite: string[];
  isDirect: boolean;
  initialState: Array<{ type: string; state_key: string; content: Record<string, unknown> }>;
  powerLevelOverride?: Record<string, unknown>;
  creationContent?: Record<string, unknown>;
  creatorProfile: { displayname?: string | null; avatar_url?: string | null };
}

function defaultPowerLevels(plan: CreateRoomPlan): Record<string, unknown> {
  const users: Record<string, number> = {};
  // v12 creators outrank every level and must not be listed in `users`.
  if (!plan.version.privilegedCreators) users[plan.creator] = 100;
  if (plan.preset === 'trusted_private_chat') {
    for (const invitee of plan.invite) users[invitee] = 100;
  }
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: plan.preset === 'public_chat' ? 50 : 0,
    notifications: { room: 50 },
  };
}

/** The preset's join rules, history visibility and guest access (client-server API, createRoom). */
function presetState(preset: Preset): EventDraft[] {
  const joinRule = preset === 'public_chat' ? 'public' : 'invite';
  const drafts: Array<Omit<EventDraft, 'sender'>> = [
    { type: 'm.room.join_rules', state_key: '', content: { join_rule: joinRule } },
    { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
  ];
  if (preset !== 'public_chat') {
    drafts.push({
      type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' },
    });
  }
  return drafts as EventDraft[];
}

/**
 * Creates a room in the order the client-server API lays down: create, the creator's join,
 * power levels, canonical alias, the preset's rules, initial_state, name, topic, invites. All
 * events are built in memory and written in one durable batch.
 */
export async function createRoom(rooms: RoomService, plan: CreateRoomPlan): Promise<{
  room: LoadedRoom; events: StoredEvent[];
}> {
  const { creator, version } = plan;
  const createContent: Record<string, unknown> = { ...plan.creationContent,
    room_version: version.id };
  if (!version.implicitCreator) createContent.creator = creator;
  else delete createContent.creator;

  const pending = newPending();
  const room = rooms.startRoom(version, creator, createContent, pending);

  const send = (draft: Omit<EventDraft, 'sender'> & { sender?: string }) =>
    rooms.buildEvent(room, { sender: creator, ...draft } as EventDraft, pending);

  const member: Record<string, unknown> = { membership: 'join' };
  if (plan.creatorProfile.displayname) member.displayname = plan.creatorProfile.displayname;
  if (plan.creatorProfile.avatar_url) member.avatar_url = plan.creatorProfile.avatar_url;
  send({ type: 'm.room.member', state_key: creator, content: member });

  send({ type: 'm.room.power_levels', state_key: '',
    content: { ...defaultPowerLevels(plan), ...plan.powerLevelOverride } });
  if (plan.alias) {
    send({ type: 'm.room.canonical_alias', state_key: '', content: { alias: plan.alias } });
  }
  for (const draft of presetState(plan.preset)) send(draft);
  for (const state of plan.initialState) send(state);
  if (plan.name !== undefined) {
    send({ type: 'm.room.name', state_key: '', content: { name: plan.name } });
  }
  if (plan.topic !== undefined) {
    send({ type: 'm.room.topic', state_key: '', content: { topic: plan.topic } });
  }
  for (const invitee of plan.invite) {
    const content: Record<string, unknown> = { membership: 'invite' };
    if (plan.isDirect) content.is_direct = true;
    send({ type: 'm.room.member', state_key: invitee, content });
  }

  rooms.adoptRoom(room);
  await rooms.commit(pending, room.roomId);
  return { room, events: pending.stored };
}
