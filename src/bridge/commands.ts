import type { Logger } from 'pino';
import type { MqttTransport } from '../mqtt/transport.js';
import { HELP, parseChatCommand, type ChatCommand } from './command-parser.js';
import type { Device } from './device-registry.js';
import { COMMAND_KEY } from './device-rooms.js';
import type { HomeserverPort, RoomMessage } from './homeserver-port.js';
import type { DeviceCommand, Reading } from './profile-types.js';
import { formatReading, formatReadings, type Profile } from './profiles/index.js';
import type { Capability } from './profiles/learned.js';

export interface CommandSettings {
  powerLevel: number;
  timeoutMs: number;
}

type Status = 'confirmed' | 'sent' | 'answered' | 'error' | 'refused' | 'timeout';

function matches(expected: string | number | boolean | undefined, got: Reading['value']): boolean {
  if (expected === undefined) return true;
  if (typeof expected === 'number' || typeof got === 'number') {
    return Number(expected) === Number(got);
  }
  return String(expected).toLowerCase() === String(got).toLowerCase();
}

/**
 * Chat to device: `!` commands in a device room become MQTT publishes through the device's
 * profile. The puppet answers each one as a reply: confirmed once the device reports the
 * state asked for, or why nothing happened.
 */
export class Commands {
  constructor(private readonly port: HomeserverPort, private readonly transport: MqttTransport,
    private readonly settings: CommandSettings, private readonly log: Logger) {}

  /** A room message, already known to be a `!` text from a person in a device room. */
  async handle(device: Device, profile: Profile, message: RoomMessage): Promise<void> {
    const parsed = parseChatCommand(String(message.content.body));
    if (parsed === undefined) return;
    const log = this.log.child({
      device: device.key, event_id: message.eventId, sender: message.sender,
    });
    if ('error' in parsed) return void await this.reply(device, message, parsed.error, 'error');

    if (parsed.kind === 'help') {
      return void await this.reply(device, message, this.help(device), 'answered');
    }
    if (parsed.kind === 'status') {
      return void await this.reply(device, message, this.status(device), 'answered');
    }

    const needed = parsed.kind === 'publish' ? 100 : this.settings.powerLevel;
    const level = await this.port.powerLevel(message.roomId, message.sender);
    if (level < needed) {
      log.info({ level, needed }, 'command refused');
      return void await this.reply(device, message, `Sorry, ${parsed.kind === 'publish' ? '!publish'
        : 'commands'} need power level ${needed} in this room and you have ${level}. ` +
        'Nothing was sent; a room admin can raise your level.', 'refused');
    }
    if (parsed.kind === 'publish') return this.publishRaw(device, message, parsed);
    return this.command(device, profile, message, parsed.command, log);
  }

  private async publishRaw(device: Device, message: RoomMessage,
    cmd: Extract<ChatCommand, { kind: 'publish' }>): Promise<void> {
    try {
      await this.transport.publish(cmd.topic, cmd.payload, { qos: 1, retain: false });
    } catch (err) {
      return void await this.reply(device, message,
        `Could not publish: ${(err as Error).message}`, 'error');
    }
    this.log.info({ device: device.key, topic: cmd.topic, sender: message.sender }, 'raw publish');
    await this.reply(device, message, `Published to ${cmd.topic}.`, 'sent');
  }

  private async command(device: Device, profile: Profile, message: RoomMessage,
    command: DeviceCommand, log: Logger): Promise<void> {
    if (device.retired) {
      return void await this.reply(device, message,
        `${device.friendlyName} was removed; nothing was sent.`, 'error');
    }
    if (device.online === false) {
      return void await this.reply(device, message,
        `${device.friendlyName} is offline; nothing was sent.`, 'error');
    }
    const built = profile.buildCommand({ deviceId: device.deviceId,
      friendlyName: device.friendlyName, learned: profile.learned(device.deviceId),
      readings: device.readings }, command);
    if ('error' in built) {
      const last = command.kind === 'get' ? this.lastReading(device, command.property) : undefined;
      if (last) {
        return void await this.reply(device, message, `Last reported: ${last}.`, 'answered');
      }
      return void await this.reply(device, message, `Cannot do that: ${built.error}.`, 'error');
    }

    try {
      await this.transport.publish(built.topic, built.payload,
        { qos: built.qos, retain: built.retain });
    } catch (err) {
      log.warn({ topic: built.topic, reason: (err as Error).message }, 'command publish failed');
      return void await this.reply(device, message,
        `Could not reach the broker: ${(err as Error).message}.`, 'error');
    }
    log.info({ topic: built.topic, command: command.kind }, 'command published');
    if (!built.confirms) return void await this.reply(device, message, 'Sent.', 'sent');

    const { property, value } = built.confirms;
    const timer = setTimeout(() => {
      device.pending = device.pending.filter((p) => p.timer !== timer);
      const seconds = Math.round(this.settings.timeoutMs / 100) / 10;
      this.reply(device, message, `No answer from ${device.friendlyName} in ${seconds} s ` +
        `(${property} not reported${value === undefined ? '' : ` as ${String(value)}`}).`,
        'timeout')
        .catch((err: Error) => this.log.error({ err }, 'command reply failed'));
    }, this.settings.timeoutMs);
    timer.unref();
    device.pending.push({ eventId: message.eventId, property, value, timer });
  }

  /** Called with every reading before rate control: answers the commands it confirms. */
  confirm(device: Device, readings: Record<string, Reading>): Promise<unknown> | undefined {
    if (device.pending.length === 0) return undefined;
    const done: Promise<unknown>[] = [];
    device.pending = device.pending.filter((p) => {
      const reading = readings[p.property];
      if (!reading || !matches(p.value, reading.value)) return true;
      clearTimeout(p.timer);
      const text = `Done: ${formatReading(p.property, reading)}.`;
      done.push(this.replyTo(device, p.eventId, text,
        p.value === undefined ? 'answered' : 'confirmed'));
      return false;
    });
    return done.length > 0 ? Promise.all(done) : undefined;
  }

  stop(devices: Iterable<Device>): void {
    for (const d of devices) for (const p of d.pending.splice(0)) clearTimeout(p.timer);
  }

  private lastReading(device: Device, property?: string): string | undefined {
    if (property === undefined) {
      return Object.keys(device.readings).length > 0 ? formatReadings(device.readings) : undefined;
    }
    const reading = device.readings[property];
    return reading ? formatReading(property, reading) : undefined;
  }

  private help(device: Device): string {
    const caps = device.meta.capabilities?.map(describeCapability) ?? [];
    const settable = caps.length > 0 ? `\nSettable properties: ${caps.join('; ')}.` : '';
    return `Commands for ${device.friendlyName}:\n${HELP.join('\n')}\n` +
      `Commands that reach the device need power level ${this.settings.powerLevel}.${settable}`;
  }

  private status(device: Device): string {
    const what = [device.meta.model, device.meta.vendor].filter(Boolean).join(' by ');
    const availability = device.online === undefined ? 'availability unknown'
      : device.online ? 'online' : 'offline';
    const lines = [`${device.friendlyName}${what ? ` (${what})` : ''}: ${device.retired ? 'removed'
      : availability}.`];
    const last = this.lastReading(device);
    if (last) lines.push(`Last readings: ${last}.`);
    lines.push(`Held back by rate control: ${device.counters.coalesced} coalesced, ` +
      `${device.counters.dropped} unchanged.`);
    return lines.join('\n');
  }

  private reply(device: Device, message: RoomMessage, body: string,
    status: Status): Promise<string> {
    return this.replyTo(device, message.eventId, body, status);
  }

  private replyTo(device: Device, eventId: string, body: string, status: Status): Promise<string> {
    // Rich replies, client-server API "Rich replies": m.relates_to with m.in_reply_to.
    return this.port.send(device.roomId!, device.puppet, 'm.room.message', {
      msgtype: 'm.notice', body,
      'm.relates_to': { 'm.in_reply_to': { event_id: eventId } },
      [COMMAND_KEY]: { status },
    });
  }
}

/** A settable property and what it takes: "brightness (0 to 254)", "lock (lock, unlock)". */
function describeCapability(cap: Capability): string {
  const unit = cap.unit ? ` ${cap.unit}` : '';
  const takes = cap.kind === 'binary' ? 'on or off'
    : cap.kind === 'enum' && cap.values?.length ? cap.values.join(', ')
      : cap.kind === 'numeric' && cap.min !== undefined && cap.max !== undefined
        ? `${cap.min} to ${cap.max}${unit}`
        : cap.format === 'color_hex' ? '#rrggbb' : undefined;
  return takes ? `${cap.property} (${takes})` : cap.property;
}
