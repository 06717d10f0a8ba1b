import type { Logger } from 'pino';
import type { Device, DeviceMeta } from './device-registry.js';
import {
  AVAILABILITY_STATE, COUNTERS_STATE, DEVICE_STATE, deviceState, topicOf, type DeviceRooms,
} from './device-rooms.js';
import type { DeviceInfo, DeviceUpdate } from './profile-types.js';
import type { LearnedDevice, Profile } from './profiles/index.js';

type Capabilities = NonNullable<DeviceMeta['capabilities']>;

/** Capabilities read back from a room: min and max were stored as text when fractional. */
function capabilitiesFrom(stored: unknown[]): Capabilities {
  return stored.map((c) => {
    const cap = { ...(c as Capabilities[number]) };
    if (typeof cap.min === 'string') cap.min = Number(cap.min);
    if (typeof cap.max === 'string') cap.max = Number(cap.max);
    return cap;
  });
}

/** Lays the info's known fields over the device's metadata. */
export function mergeMeta(meta: DeviceMeta, info: DeviceInfo): void {
  for (const k of ['model', 'vendor', 'description', 'capabilities'] as const) {
    if (info[k] !== undefined) (meta as Record<string, unknown>)[k] = info[k];
  }
}

/**
 * Device lifecycle: discovery and metadata, availability, renames and removals, each as a
 * state change in the device's room (and a notice where people should notice).
 */
export class Lifecycle {
  constructor(private readonly rooms: DeviceRooms, private readonly log: Logger) {}

  /** Reads back what an existing room says of the device (after a restart). */
  async restore(device: Device, profile: Profile, port: {
    getState(roomId: string, type: string, key: string):
      Promise<Record<string, unknown> | undefined>;
  }): Promise<void> {
    const roomId = device.roomId!;
    const state = await port.getState(roomId, DEVICE_STATE, '');
    if (state) {
      for (const k of ['model', 'vendor', 'description'] as const) {
        if (typeof state[k] === 'string' && device.meta[k] === undefined) device.meta[k] = state[k];
      }
      if (Array.isArray(state.capabilities) && !device.meta.capabilities) {
        device.meta.capabilities = capabilitiesFrom(state.capabilities);
      }
      device.retired = state.retired === true;
      if (typeof state.friendly_name === 'string') device.friendlyName = state.friendly_name;
      this.restoreLearned(device, profile, state.learned);
    }
    const availability = await port.getState(roomId, AVAILABILITY_STATE, '');
    if (availability && device.online === undefined) device.online = availability.online === true;
    const counters = await port.getState(roomId, COUNTERS_STATE, '');
    if (counters) {
      device.counters.coalesced = Number(counters.coalesced) || 0;
      device.counters.dropped = Number(counters.dropped) || 0;
      device.countersSaved = JSON.stringify(device.counters);
    }
  }

  /** Lays what the room remembers under what the profile learned since start. */
  private restoreLearned(device: Device, profile: Profile, stored: unknown): void {
    if (typeof stored !== 'object' || stored === null) return;
    const saved = stored as LearnedDevice;
    const current = profile.device(device.deviceId);
    for (const [name, property] of Object.entries(saved.properties ?? {})) {
      current.properties[name] ??= property;
    }
    if (Array.isArray(saved.capabilities) && !current.capabilities) {
      current.capabilities = capabilitiesFrom(saved.capabilities);
    }
    for (const property of Object.values(current.properties)) {
      if (property.capability) property.capability = capabilitiesFrom([property.capability])[0];
    }
    if (saved.friendlyName && current.friendlyName === undefined) {
      current.friendlyName = saved.friendlyName;
      if (!profile.aliases.has(saved.friendlyName)) {
        profile.aliases.set(saved.friendlyName, device.deviceId);
      }
    }
    device.learnedSaved = JSON.stringify(current);
    device.learnedProperties = Object.keys(current.properties).length;
  }

  /** Writes the device state when the metadata or the profile's learned data changed. */
  async saveDevice(device: Device, profile: Profile, force = false): Promise<void> {
    const learned = profile.learned(device.deviceId);
    const json = JSON.stringify(learned ?? null);
    device.learnedProperties = learned ? Object.keys(learned.properties).length : 0;
    if (!force && json === device.learnedSaved) return;
    device.learnedSaved = json;
    await this.rooms.setState(device, DEVICE_STATE, deviceState(device, learned));
  }

  /** Applies one non-reading update; returns whether the device state needs writing. */
  async apply(device: Device, update: Exclude<DeviceUpdate, { kind: 'readings' }>):
    Promise<boolean> {
    switch (update.kind) {
      case 'availability': {
        if (device.online === update.online) return false;
        const known = device.online !== undefined;
        device.online = update.online;
        await this.rooms.setState(device, AVAILABILITY_STATE,
          { online: update.online, since: Date.now() });
        this.log.info({ device: device.key, online: update.online }, 'device availability');
        // Clients show no custom state events: a change is also said in the timeline, but
        // not the first availability a new device reports.
        if (known) {
          await this.rooms.notice(device, update.online ? `${device.friendlyName} is online again.`
            : `${device.friendlyName} is offline.`,
          { [AVAILABILITY_STATE]: { online: update.online } });
        }
        return false;
      }
      case 'info':
        if (update.friendlyName !== undefined && update.friendlyName !== device.friendlyName) {
          await this.rename(device, update.friendlyName);
        }
        return this.mergeInfo(device, update.info);
      case 'renamed':
        if (update.friendlyName === device.friendlyName) return false;
        await this.rename(device, update.friendlyName);
        return true;
      case 'removed':
        return this.retire(device);
    }
  }

  private async mergeInfo(device: Device, info: DeviceInfo): Promise<boolean> {
    const before = JSON.stringify(device.meta);
    const oldTopic = topicOf(device.meta);
    mergeMeta(device.meta, info);
    if (JSON.stringify(device.meta) === before) return false;
    const topic = topicOf(device.meta);
    if (topic !== undefined && topic !== oldTopic) {
      await this.rooms.setState(device, 'm.room.topic', { topic });
    }
    return true;
  }

  private async rename(device: Device, name: string): Promise<void> {
    const from = device.friendlyName;
    device.friendlyName = name;
    await this.rooms.rename(device);
    await this.rooms.notice(device, `Renamed from "${from}" to "${name}".`);
    this.log.info({ device: device.key, from, to: name }, 'device renamed');
  }

  /** The room stays, with its history; the state says the device is gone. */
  private async retire(device: Device): Promise<boolean> {
    if (device.retired) return false;
    device.retired = true;
    await this.rooms.notice(device,
      `${device.friendlyName} was removed from ${device.profile}; ` +
      'this room is kept as its history.');
    this.log.info({ device: device.key }, 'device retired');
    return true;
  }

  /** A retired device that speaks again is back. */
  async revive(device: Device): Promise<void> {
    device.retired = false;
    await this.rooms.notice(device, `${device.friendlyName} is back.`);
    this.log.info({ device: device.key }, 'device back');
  }
}
