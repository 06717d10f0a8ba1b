import { createHash } from 'node:crypto';
import type { DeviceInfo, Reading } from './profile-types.js';

/** What a device room's `org.switchboard.device` state says, beside the learned profile data. */
export interface DeviceMeta {
  model?: string;
  vendor?: string;
  description?: string;
  capabilities?: NonNullable<DeviceInfo['capabilities']>;
}

export interface DeviceCounters {
  /** Readings merged into a later event (held by the minimum interval or the ceiling). */
  coalesced: number;
  /** Readings not sent because nothing changed (on-change only, within the deadband). */
  dropped: number;
}

/** A command waiting for the device to report the state it asked for. */
export interface PendingCommand {
  eventId: string;
  property: string;
  value?: string | number | boolean;
  timer: NodeJS.Timeout;
}

/** One device as the bridge knows it in memory; its room holds the durable copy. */
export interface Device {
  /** `<profile>_<sanitized device ID>`: the room alias and puppet localpart after the prefix. */
  key: string;
  profile: string;
  deviceId: string;
  puppet: string;
  roomId?: string;
  friendlyName: string;
  meta: DeviceMeta;
  online?: boolean;
  retired: boolean;
  /** The last value of each property, whether or not rate control let it out. */
  readings: Record<string, Reading>;
  counters: DeviceCounters;
  /** Counters as last written to the room, to write them only when they moved. */
  countersSaved: string;
  /** JSON of the profile's learned data as last written to the room. */
  learnedSaved?: string;
  learnedProperties: number;
  pending: PendingCommand[];
  /** Every message for the device runs through this chain, in arrival order. */
  queue: Promise<void>;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * A device ID as it may appear in a user ID localpart and a room alias: lower-case letters,
 * digits and `._=-` (client-server API, "User Identifiers"). IDs that lose more than their
 * case get a short hash of the original appended, so "Living Room" and "living_room" stay
 * two devices; IDs differing only by case share a room (a known limit).
 */
export function sanitizeId(id: string): string {
  const lower = id.toLowerCase();
  const cleaned = lower.replace(/[^a-z0-9._=-]/g, '_');
  if (cleaned === lower && cleaned.length > 0 && cleaned.length <= 96) return cleaned;
  return `${cleaned.slice(0, 80)}_${shortHash(id)}`;
}

/** The devices seen since start, by profile and ID, and by room. */
export class DeviceRegistry {
  private readonly byKey = new Map<string, Device>();
  private readonly byRoom = new Map<string, Device>();

  constructor(private readonly puppetPrefix: string, private readonly serverName: string) {}

  static keyOf(profile: string, deviceId: string): string {
    return `${profile}_${sanitizeId(deviceId)}`;
  }

  get size(): number {
    return this.byKey.size;
  }

  all(): IterableIterator<Device> {
    return this.byKey.values();
  }

  find(profile: string, deviceId: string): Device | undefined {
    return this.byKey.get(DeviceRegistry.keyOf(profile, deviceId));
  }

  byRoomId(roomId: string): Device | undefined {
    return this.byRoom.get(roomId);
  }

  obtain(profile: string, deviceId: string, friendlyName?: string): Device {
    const key = DeviceRegistry.keyOf(profile, deviceId);
    let device = this.byKey.get(key);
    if (!device) {
      device = {
        key, profile, deviceId,
        puppet: `@${this.puppetPrefix}${key}:${this.serverName}`,
        friendlyName: friendlyName ?? deviceId,
        meta: {}, retired: false, readings: {},
        counters: { coalesced: 0, dropped: 0 }, countersSaved: '{"coalesced":0,"dropped":0}',
        learnedProperties: 0, pending: [], queue: Promise.resolve(),
      };
      this.byKey.set(key, device);
    }
    return device;
  }

  attachRoom(device: Device, roomId: string): void {
    device.roomId = roomId;
    this.byRoom.set(roomId, device);
  }
}
