import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/bridge-schema.js';
import { NotHandledError, type MqttMessage, type MqttTransport } from '../mqtt/transport.js';
import { Commands } from './commands.js';
import { DeviceRegistry, type Device } from './device-registry.js';
import { COUNTERS_STATE, DEVICE_STATE, DeviceRooms, LISTING_STATE } from './device-rooms.js';
import {
  HomeserverUnavailableError, type HomeserverPort, type RoomMessage,
} from './homeserver-port.js';
import { Lifecycle, mergeMeta } from './lifecycle.js';
import type { ParsedMessage } from './profile-types.js';
import { isParseFailure, type Profile } from './profiles/index.js';
import { DEFAULT_RATE, RatePolicy } from './rate-control.js';
import { ReadingStream } from './readings.js';

const SUMMARY_MS = 60_000;

export interface BridgeStats {
  devices: number;
  /** Messages no profile could read (malformed, oversized, binary), by profile. */
  malformed: Record<string, number>;
  coalesced: number;
  dropped: number;
}

/**
 * The MQTT bridge: device messages through their profile into device rooms, room commands
 * back out to MQTT. It speaks to Matrix only through the HomeserverPort.
 */
export class Bridge {
  readonly registry: DeviceRegistry;
  readonly rooms: DeviceRooms;
  private readonly lifecycle: Lifecycle;
  private readonly readings: ReadingStream;
  private readonly commands: Commands;
  private readonly profiles = new Map<string, Profile>();
  private readonly subscribed = new Set<string>();
  private readonly malformed: Record<string, number> = {};
  private malformedLogged = 0;
  private stopMessages: (() => void) | undefined;
  private summaryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Device-list saves, one after another (saveListing). */
  private listingSaves: Promise<void> = Promise.resolve();
  /** Puppet user IDs are `@<puppet_prefix>...:<server name>`. */
  private readonly puppetStart: string;
  private readonly puppetEnd: string;

  constructor(private readonly config: BridgeConfig, private readonly port: HomeserverPort,
    private readonly transport: MqttTransport, profiles: Profile[], private readonly log: Logger) {
    const puppetPrefix = config.puppet_prefix ?? '_device_';
    this.puppetStart = `@${puppetPrefix}`;
    this.puppetEnd = `:${port.serverName}`;
    this.registry = new DeviceRegistry(puppetPrefix, port.serverName);
    this.rooms = new DeviceRooms(port, {
      aliasPrefix: config.alias_prefix ?? 'device_', puppetPrefix,
      spaceName: config.space_name ?? 'Devices', owners: config.owners ?? [],
    });
    this.lifecycle = new Lifecycle(this.rooms, log);
    const { overrides, ...defaults } = config.rate ?? {};
    const events = new Map(profiles.map((p) => [p.name, p.spec.events ?? []]));
    const policy = new RatePolicy({ ...DEFAULT_RATE, ...defaults }, overrides, events,
      (profile, deviceId, property) =>
        this.profiles.get(profile)?.learned(deviceId)?.properties[property]?.event === true);
    this.readings = new ReadingStream(policy, this.rooms, (d, task) => this.enqueue(d, task), log);
    this.commands = new Commands(port, transport, {
      powerLevel: config.command_power_level ?? 50,
      timeoutMs: (config.command_timeout_seconds ?? 10) * 1000,
    }, log);
    for (const p of profiles) this.profiles.set(p.name, p);
  }

  get stats(): BridgeStats {
    let coalesced = 0;
    let dropped = 0;
    for (const d of this.registry.all()) {
      coalesced += d.counters.coalesced;
      dropped += d.counters.dropped;
    }
    return { devices: this.registry.size, malformed: { ...this.malformed }, coalesced, dropped };
  }

  /**
   * Creates the space, listens to rooms and subscribes every profile's topics (retained
   * ones first, so device lists are read before the data that uses them). Call before the
   * transport starts, so retained messages replayed at start find the bridge ready.
   */
  async start(): Promise<void> {
    await this.rooms.ensureSpace();
    this.stopMessages = this.port.onMessage((m) => this.onRoomMessage(m));
    // Device lists seen before the restart, so the first one now shows what was removed.
    for (const profile of this.profiles.values()) {
      const saved = await this.rooms.getSpaceState(LISTING_STATE, profile.name);
      if (saved && typeof saved.lists === 'object' && saved.lists !== null) {
        profile.restoreListed(saved.lists as Record<string, unknown>);
      }
    }
    for (const profile of this.profiles.values()) {
      const subs = profile.subscriptions().sort((a, b) => Number(b.retained) - Number(a.retained));
      for (const sub of subs) await this.subscribe(profile, sub.filter, sub.retained);
    }
    this.summaryTimer = setInterval(() => this.summary().catch((err: Error) =>
      this.log.error({ err }, 'bridge summary failed')), SUMMARY_MS);
    this.summaryTimer.unref();
    this.log.info({ profiles: [...this.profiles.keys()], space_id: this.rooms.spaceId,
      subscriptions: this.subscribed.size }, 'bridge started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopMessages?.();
    clearInterval(this.summaryTimer);
    this.readings.stop();
    this.commands.stop(this.registry.all());
    await Promise.all([...this.registry.all()].map((d) => d.queue));
  }

  private async subscribe(profile: Profile, filter: string, retained: boolean): Promise<void> {
    const key = `${profile.name}\u0000${filter}`;
    if (this.subscribed.has(key)) return;
    this.subscribed.add(key);
    await this.transport.subscribe(filter, (m) => (profile.readsOn(m.topic, filter)
      ? this.onMqtt(profile, m) : Promise.resolve()), { qos: 1, shared: !retained });
  }

  /** Resolves when every device the message concerns has its event stored or coalesced. */
  private async onMqtt(profile: Profile, message: MqttMessage): Promise<void> {
    if (this.stopped) return;
    const listed = profile.listedVersion;
    const result = profile.parse(message.topic, message.payload);
    if (result === undefined) return;
    if (profile.listedVersion !== listed) this.saveListing(profile);
    if (isParseFailure(result)) {
      this.malformed[profile.name] = (this.malformed[profile.name] ?? 0) + 1;
      this.log.info({ profile: profile.name, topic: message.topic, reason: result.reason },
        'mqtt message not readable');
      return;
    }
    const work: Promise<void>[] = [];
    for (const parsed of [result, ...(result.more ?? [])]) {
      if (parsed.deviceId === '' || parsed.updates.length === 0) continue;
      const device = this.registry.obtain(profile.name, parsed.deviceId, parsed.friendlyName);
      work.push(this.enqueue(device, () => this.apply(profile, device, parsed)));
    }
    // Learned topics (Home Assistant state topics) carry retained data: ordinary
    // subscriptions. Not awaited: an external client reads its SUBACK only after this
    // handler returns, so waiting here would stall the connection.
    for (const topic of result.subscribe ?? []) {
      this.subscribe(profile, topic, true).catch((err: Error) =>
        this.log.error({ profile: profile.name, filter: topic, err }, 'mqtt subscribe failed'));
    }
    await Promise.all(work);
  }

  /**
   * Runs `task` after the device's earlier tasks. A failure is logged and goes no further,
   * except when the homeserver could not store the result now: then the MQTT message that
   * asked for it is left unacknowledged (NotHandledError) and comes again.
   */
  /**
   * Saves a profile's device lists (their IDs) in the space, one save at a time and the
   * latest last. A failed save is logged: the next start then compares with an older list,
   * which at worst retires again a device already retired.
   */
  private saveListing(profile: Profile): void {
    const lists = profile.listedIds();
    this.listingSaves = this.listingSaves.then(() =>
      this.rooms.setSpaceState(LISTING_STATE, { lists }, profile.name)).then(() => undefined,
      (err: Error) => this.log.error({ profile: profile.name, err }, 'device list not saved'));
  }

  private enqueue(device: Device, task: () => Promise<void>): Promise<void> {
    const run = device.queue.then(task);
    device.queue = run.catch(() => undefined);
    return run.catch((err: Error) => {
      this.log.error({ device: device.key, err }, 'device update failed');
      if (err instanceof HomeserverUnavailableError) {
        throw new NotHandledError(err.message, { cause: err });
      }
    });
  }

  private async apply(profile: Profile, device: Device, parsed: ParsedMessage): Promise<void> {
    if (device.roomId === undefined) {
      if (parsed.updates.every((u) => u.kind === 'removed')) {
        // A removal of a device not seen since start (removed while Switchboard was down):
        // its room is retired if it has one, and none is made for it.
        const roomId = await this.rooms.findDeviceRoom(device);
        if (roomId === undefined) return;
        this.registry.attachRoom(device, roomId);
        await this.lifecycle.restore(device, profile, this.port);
      } else {
        await this.attach(profile, device, parsed);
      }
    }
    let save = false;
    for (const update of parsed.updates) {
      if (update.kind === 'readings') {
        if (device.retired) {
          await this.lifecycle.revive(device);
          save = true;
        }
        const confirmed = this.commands.confirm(device, update.readings);
        await this.readings.offer(device, update.readings);
        await confirmed;
      } else {
        save = (await this.lifecycle.apply(device, update)) || save;
      }
    }
    const learned = profile.learned(device.deviceId);
    if (save || (learned && Object.keys(learned.properties).length !== device.learnedProperties)) {
      await this.lifecycle.saveDevice(device, profile, save);
    }
  }

  /** Finds the device's room (after a restart) or creates it with its puppet. */
  private async attach(profile: Profile, device: Device, parsed: ParsedMessage): Promise<void> {
    for (const u of parsed.updates) if (u.kind === 'info') mergeMeta(device.meta, u.info);
    if (parsed.friendlyName !== undefined) device.friendlyName = parsed.friendlyName;
    const given = device.friendlyName;
    const learned = profile.learned(device.deviceId);
    const created = await this.rooms.ensureDeviceRoom(device, learned);
    this.registry.attachRoom(device, device.roomId!);
    if (created) {
      device.learnedSaved = JSON.stringify(learned ?? null);
      device.learnedProperties = learned ? Object.keys(learned.properties).length : 0;
      this.log.info({ device: device.key, room_id: device.roomId, name: device.friendlyName },
        'device room created');
      return;
    }
    await this.lifecycle.restore(device, profile, this.port);
    // The message may carry a newer name than the room remembers.
    if (parsed.friendlyName !== undefined && given !== device.friendlyName) {
      await this.lifecycle.apply(device, { kind: 'renamed', friendlyName: given });
    }
  }

  private onRoomMessage(message: RoomMessage): void {
    if (message.type !== 'm.room.message' || this.stopped) return;
    const body = message.content.body;
    if (typeof body !== 'string' || body.trimStart()[0] !== '!') return;
    // The puppets' own notices (and anything else they send) are never commands.
    if (message.content.msgtype === 'm.notice' || this.isPuppet(message.sender)) return;
    this.command(message).catch((err: Error) =>
      this.log.error({ room_id: message.roomId, event_id: message.eventId, err },
        'command failed'));
  }

  private isPuppet(userId: string): boolean {
    return userId.startsWith(this.puppetStart) && userId.endsWith(this.puppetEnd);
  }

  private async command(message: RoomMessage): Promise<void> {
    let device = this.registry.byRoomId(message.roomId);
    if (!device) device = await this.adopt(message.roomId);
    if (!device) return;
    const profile = this.profiles.get(device.profile)!;
    await this.commands.handle(device, profile, message);
  }

  /** A device room not seen since start: its state says which device it is. */
  private async adopt(roomId: string): Promise<Device | undefined> {
    const state = await this.port.getState(roomId, DEVICE_STATE, '');
    if (!state || typeof state.profile !== 'string' || typeof state.device_id !== 'string') return;
    const profile = this.profiles.get(state.profile);
    if (!profile) return undefined;
    const device = this.registry.obtain(profile.name, state.device_id);
    if (device.roomId === undefined) {
      await this.enqueue(device, async () => {
        if (device.roomId !== undefined) return;
        this.registry.attachRoom(device, roomId);
        await this.lifecycle.restore(device, profile, this.port);
      });
    }
    return device.roomId === roomId ? device : undefined;
  }

  /**
   * At most once a minute (and on demand): a log line, the counters of each device whose
   * counters moved in its room, and the malformed counts per profile in the space.
   */
  async summary(): Promise<void> {
    let moved = 0;
    for (const device of this.registry.all()) {
      const json = JSON.stringify(device.counters);
      if (json === device.countersSaved || device.roomId === undefined) continue;
      device.countersSaved = json;
      moved++;
      await this.enqueue(device, () => this.rooms.setState(device, COUNTERS_STATE,
        { ...device.counters, updated_ts: Date.now() }).then(() => undefined));
    }
    const malformed = Object.values(this.malformed).reduce((a, b) => a + b, 0);
    if (malformed !== this.malformedLogged) {
      await this.rooms.setSpaceState(COUNTERS_STATE,
        { malformed: { ...this.malformed }, updated_ts: Date.now() });
    }
    if (moved > 0 || malformed !== this.malformedLogged) {
      this.malformedLogged = malformed;
      this.log.info({ ...this.stats, devices_with_new_counts: moved }, 'bridge rate summary');
    }
  }
}
