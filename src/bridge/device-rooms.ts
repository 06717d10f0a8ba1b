import { matrixSafe } from './canonical-values.js';
import type { Device, DeviceMeta } from './device-registry.js';
import type { HomeserverPort, StateEventSpec } from './homeserver-port.js';

/** Namespaced state and content keys the bridge writes (documented in the README). */
export const DEVICE_STATE = 'org.switchboard.device';
export const AVAILABILITY_STATE = 'org.switchboard.availability';
export const COUNTERS_STATE = 'org.switchboard.counters';
/**
 * In the space, one per profile (state key: the profile's name): the device IDs of its
 * device lists (Zigbee2MQTT bridge/devices), `{ lists: { <rule index>: [ids] } }`.
 */
export const LISTING_STATE = 'org.switchboard.listing';
export const READINGS_KEY = 'org.switchboard.readings';
export const COMMAND_KEY = 'org.switchboard.command';

export interface RoomSettings {
  aliasPrefix: string;
  puppetPrefix: string;
  spaceName: string;
  owners: readonly string[];
}

/** The room topic: model, vendor and description, as far as they are known. */
export function topicOf(meta: DeviceMeta): string | undefined {
  const what = [meta.model, meta.vendor ? `(${meta.vendor})` : undefined].filter(Boolean).join(' ');
  const parts = [what, meta.description].filter((p) => p) as string[];
  return parts.length > 0 ? parts.join(' — ') : undefined;
}

/** The `org.switchboard.device` content for a device. */
export function deviceState(device: Device, learned: unknown): Record<string, unknown> {
  const content: Record<string, unknown> = {
    profile: device.profile, device_id: device.deviceId, friendly_name: device.friendlyName,
    retired: device.retired,
  };
  const { model, vendor, description, capabilities } = device.meta;
  if (model !== undefined) content.model = model;
  if (vendor !== undefined) content.vendor = vendor;
  if (description !== undefined) content.description = description;
  if (capabilities !== undefined) content.capabilities = capabilities;
  if (learned !== undefined) content.learned = learned;
  return matrixSafe(content) as Record<string, unknown>;
}

/**
 * Device rooms, puppets and the space, through the HomeserverPort only. Owners are invited
 * and raised to power level 100 wherever they live: the port decides how an invite reaches
 * them.
 */
export class DeviceRooms {
  private bot = '';
  spaceId = '';

  constructor(private readonly port: HomeserverPort, private readonly settings: RoomSettings) {}

  private ownerLevels(): Record<string, number> {
    return Object.fromEntries(this.settings.owners.map((o) => [o, 100]));
  }

  /** The bridge's own user and the space grouping every device room. */
  async ensureSpace(): Promise<string> {
    this.bot = await this.port.ensureUser(`${this.settings.puppetPrefix}bridge`,
      'Switchboard bridge');
    const { roomId, created } = await this.port.ensureRoom({
      aliasLocalpart: `${this.settings.aliasPrefix}space`, name: this.settings.spaceName,
      topic: 'Every device the Switchboard bridge knows', creator: this.bot,
      invite: [...this.settings.owners], users: this.ownerLevels(), space: true,
    });
    this.spaceId = roomId;
    if (!created) await this.syncOwners(roomId, this.bot);
    return roomId;
  }

  /** The device's room if it has one already (a device known before a restart). */
  findDeviceRoom(device: Device): Promise<string | undefined> {
    return this.port.findRoom(`${this.settings.aliasPrefix}${device.key}`);
  }

  /** Finds or creates the device's room and puppet; `created` tells which. */
  async ensureDeviceRoom(device: Device, learned: unknown): Promise<boolean> {
    const localpart = device.puppet.slice(1, device.puppet.indexOf(':'));
    await this.port.ensureUser(localpart, device.friendlyName);
    const via = [this.port.serverName];
    const initialState: StateEventSpec[] = [
      { type: DEVICE_STATE, state_key: '', content: deviceState(device, learned) },
      { type: 'm.space.parent', state_key: this.spaceId, content: { via, canonical: true } },
    ];
    if (device.online !== undefined) {
      initialState.push({ type: AVAILABILITY_STATE, state_key: '',
        content: { online: device.online, since: Date.now() } });
    }
    const { roomId, created } = await this.port.ensureRoom({
      aliasLocalpart: `${this.settings.aliasPrefix}${device.key}`,
      name: device.friendlyName, topic: topicOf(device.meta), creator: device.puppet,
      invite: [...this.settings.owners], users: this.ownerLevels(),
      // Only admins (the puppet and the owners) may rewrite what the bridge says of a device.
      powerLevels: { events: { [DEVICE_STATE]: 100, [AVAILABILITY_STATE]: 100,
        [COUNTERS_STATE]: 100, 'm.space.parent': 100 } },
      initialState,
    });
    device.roomId = roomId;
    if (created || !(await this.port.getState(this.spaceId, 'm.space.child', roomId))) {
      await this.port.setState(this.spaceId, this.bot,
        { type: 'm.space.child', state_key: roomId, content: { via } });
    }
    if (!created) await this.syncOwners(roomId, device.puppet);
    return created;
  }

  /** Owners added to the config since the room was made: invite them, raise them to 100. */
  private async syncOwners(roomId: string, sender: string): Promise<void> {
    const raise: string[] = [];
    for (const owner of this.settings.owners) {
      if (await this.port.membership(roomId, owner) === undefined) {
        await this.port.invite(roomId, sender, owner);
      }
      if (await this.port.powerLevel(roomId, owner) < 100) raise.push(owner);
    }
    if (raise.length === 0) return;
    const levels = await this.port.getState(roomId, 'm.room.power_levels', '') ?? {};
    const users = { ...(levels.users as Record<string, number> | undefined) };
    for (const owner of raise) users[owner] = 100;
    await this.port.setState(roomId, sender,
      { type: 'm.room.power_levels', state_key: '', content: { ...levels, users } });
  }

  setState(device: Device, type: string, content: Record<string, unknown>): Promise<string> {
    return this.port.setState(device.roomId!, device.puppet, { type, state_key: '', content });
  }

  setSpaceState(type: string, content: Record<string, unknown>, stateKey = ''):
    Promise<string> {
    return this.port.setState(this.spaceId, this.bot, { type, state_key: stateKey, content });
  }

  getSpaceState(type: string, stateKey = ''): Promise<Record<string, unknown> | undefined> {
    return this.port.getState(this.spaceId, type, stateKey);
  }

  notice(device: Device, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.port.send(device.roomId!, device.puppet, 'm.room.message',
      { msgtype: 'm.notice', body, ...extra });
  }

  /** A rename: the room name, the puppet's display name and its member event. */
  async rename(device: Device): Promise<void> {
    const localpart = device.puppet.slice(1, device.puppet.indexOf(':'));
    await this.port.ensureUser(localpart, device.friendlyName);
    await this.setState(device, 'm.room.name', { name: device.friendlyName });
    await this.port.join(device.roomId!, device.puppet);
  }
}
