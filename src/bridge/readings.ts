import type { Logger } from 'pino';
import type { Device } from './device-registry.js';
import { READINGS_KEY, type DeviceRooms } from './device-rooms.js';
import type { Reading } from './profile-types.js';
import { formatReadings } from './profiles/index.js';
import { DeviceRate, type RatePolicy } from './rate-control.js';

/**
 * A reading event's content: a sentence for people, the values for programs.
 *   { msgtype: "m.notice", body: "21.5 °C · 40 % humidity",
 *     "org.switchboard.readings": { temperature: { value: "21.5", type: "number", unit: "°C",
 *                                                   device_class: "temperature" }, ... } }
 * Numbers are written as decimal text, since canonical JSON has no fractions; `type` says
 * how to read `value` back (number, boolean or string).
 */
export function readingContent(readings: Record<string, Reading>): Record<string, unknown> {
  const values: Record<string, Record<string, unknown>> = {};
  for (const name in readings) {
    const r = readings[name]!;
    const type = typeof r.value;
    const v: Record<string, unknown> = {
      value: type === 'number' ? String(r.value) : r.value, type,
    };
    if (r.unit !== undefined) v.unit = r.unit;
    if (r.deviceClass !== undefined) v.device_class = r.deviceClass;
    values[name] = v;
  }
  return { msgtype: 'm.notice', body: formatReadings(readings), [READINGS_KEY]: values };
}

/** Runs `task` in the device's queue, after whatever is already queued for it. */
export type Enqueue = (device: Device, task: () => Promise<void>) => Promise<void>;

/**
 * Readings through rate control into the device room. The promise of offer() resolves once
 * the event is durably stored, or at once when rate control held or dropped the readings:
 * that is when the device's QoS 1 publish may be acknowledged.
 */
export class ReadingStream {
  private readonly rates = new Map<string, DeviceRate>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly policy: RatePolicy, private readonly rooms: DeviceRooms,
    private readonly enqueue: Enqueue, private readonly log: Logger) {}

  async offer(device: Device, readings: Record<string, Reading>): Promise<void> {
    Object.assign(device.readings, readings);
    const rate = this.rateOf(device);
    const coalesced = rate.coalesced;
    const dropped = rate.dropped;
    const { send, retryInMs } = rate.offer(readings);
    this.count(device, rate, coalesced, dropped);
    if (retryInMs !== undefined) this.schedule(device, retryInMs);
    await this.send(device, rate, send);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private rateOf(device: Device): DeviceRate {
    let rate = this.rates.get(device.key);
    if (!rate) {
      rate = new DeviceRate(this.policy, device.profile, device.deviceId);
      this.rates.set(device.key, rate);
    }
    return rate;
  }

  private count(device: Device, rate: DeviceRate, coalesced: number, dropped: number): void {
    const c = rate.coalesced - coalesced;
    const d = rate.dropped - dropped;
    if (c === 0 && d === 0) return;
    device.counters.coalesced += c;
    device.counters.dropped += d;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ device: device.key, coalesced: c, dropped: d }, 'readings held back');
    }
  }

  private schedule(device: Device, ms: number): void {
    if (this.timers.has(device.key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(device.key);
      this.enqueue(device, () => this.flush(device)).catch((err: Error) =>
        this.log.error({ device: device.key, err }, 'held readings not sent'));
    }, Math.max(1, ms));
    timer.unref();
    this.timers.set(device.key, timer);
  }

  private async flush(device: Device): Promise<void> {
    const rate = this.rateOf(device);
    const { send, retryInMs } = rate.release();
    if (retryInMs !== undefined) this.schedule(device, retryInMs);
    await this.send(device, rate, send);
  }

  /**
   * One event with the readings. If it could not be stored, rate control forgets having sent
   * them: the same values delivered again are then news, not repeats to drop.
   */
  private async send(device: Device, rate: DeviceRate, readings: Record<string, Reading>):
    Promise<void> {
    for (const _ in readings) {
      try {
        await this.rooms.notice(device, '', readingContent(readings));
      } catch (err) {
        rate.unsent(readings);
        throw err;
      }
      return;
    }
  }
}
