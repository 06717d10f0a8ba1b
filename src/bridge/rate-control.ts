import type { RateOverride, RateSettings } from '../config/bridge-schema.js';
import type { Reading } from './profile-types.js';

export const DEFAULT_RATE: RateSettings = {
  on_change_only: true, deadband: 0, min_interval_ms: 0, max_events_per_second: 5,
};

/**
 * The rate settings of each property: the defaults, then overrides for the profile, then for
 * the property (of any profile), then for the property of that profile.
 */
export class RatePolicy {
  private readonly cache = new Map<string, RateSettings>();

  /** Per profile, which properties report events rather than state (from its `events`). */
  private readonly events = new Map<string, RegExp>();

  /**
   * `events`: per profile, the names of the properties that report events (a button's
   * `action`; `*` for any text); on-change does not apply to them unless an override says so.
   */
  constructor(private readonly defaults: RateSettings,
    private readonly overrides: readonly RateOverride[] = [],
    events: ReadonlyMap<string, readonly string[]> = new Map(),
    /** Events a profile learned at run time (a Home Assistant event entity), per device. */
    private readonly learnedEvent: (profile: string, deviceId: string, property: string) =>
      boolean = () => false) {
    for (const [profile, names] of events) {
      if (names.length === 0) continue;
      const alternatives = names.map((n) => n.split('*').map(escapeRegExp).join('.*'));
      this.events.set(profile, new RegExp(`^(?:${alternatives.join('|')})$`));
    }
  }

  /** Whether the property reports events (each report counts, an empty one is none). */
  isEvent(profile: string, property: string, deviceId?: string): boolean {
    return (this.events.get(profile)?.test(property) ?? false)
      || (deviceId !== undefined && this.learnedEvent(profile, deviceId, property));
  }

  /** `event`: the property reports events, so on-change is off unless an override says so. */
  settings(profile: string, property?: string, event = false): RateSettings {
    const cacheKey = `${profile}\u0000${property ?? ''}\u0000${event ? 'event' : ''}`;
    let s = this.cache.get(cacheKey);
    if (s) return s;
    s = { ...this.defaults };
    if (event) s.on_change_only = false;
    const rank = (o: RateOverride) => (o.property ? 2 : 0) + (o.profile ? 1 : 0);
    const applicable = this.overrides
      .filter((o) => (!o.profile || o.profile === profile)
        && (!o.property || o.property === property)
        && (o.profile || o.property))
      .sort((a, b) => rank(a) - rank(b));
    for (const o of applicable) {
      const { profile: _p, property: _q, ...fields } = o;
      // A per-property override cannot move the per-device ceiling.
      if (o.property) delete fields.max_events_per_second;
      Object.assign(s, fields);
    }
    this.cache.set(cacheKey, s);
    return s;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Sent { value: Reading['value']; at: number }

export interface Admitted {
  /** Readings to send now, in one event (may be empty). */
  send: Record<string, Reading>;
  /** Milliseconds until held readings may go out, if any are held. */
  retryInMs?: number;
}

function same(a: Reading['value'], b: Reading['value'], deadband: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= deadband;
  return a === b;
}

/**
 * Rate control for one device. Each property passes on change only (beyond a deadband; an
 * event property, such as a button's action, on every report that is not empty) and
 * at most once per minimum interval; the device as a whole sends at most
 * max_events_per_second events (a token bucket that allows bursts of that size). A reading
 * held back waits for its turn; a newer value of the same property replaces it and the older
 * one counts as coalesced. Readings that changed nothing count as dropped. Nothing vanishes
 * without a count.
 */
export class DeviceRate {
  private readonly last = new Map<string, Sent>();
  private held: Record<string, Reading> = {};
  private heldCount = 0;
  private tokens: number;
  private refilledAt: number;
  coalesced = 0;
  dropped = 0;

  constructor(private readonly policy: RatePolicy, private readonly profile: string,
    private readonly deviceId = '', now = Date.now()) {
    this.tokens = Math.max(1, policy.settings(profile).max_events_per_second);
    this.refilledAt = now;
  }

  /** Offers new readings; returns what may be sent now. */
  offer(readings: Record<string, Reading>, now = Date.now()): Admitted {
    for (const property in readings) {
      const reading = readings[property]!;
      const event = this.policy.isEvent(this.profile, property, this.deviceId);
      const s = this.policy.settings(this.profile, property, event);
      if (property in this.held) {
        delete this.held[property];
        this.heldCount--;
        this.coalesced++;
      }
      const last = this.last.get(property);
      if ((s.on_change_only && last && same(last.value, reading.value, s.deadband))
        || (event && reading.value === '')) {
        this.dropped++;
        continue;
      }
      this.held[property] = reading;
      this.heldCount++;
    }
    return this.release(now);
  }

  /**
   * Readings that release() handed out but that were not stored after all: their values are
   * forgotten as last sent (unless a later value was sent meanwhile), so the same values
   * offered again pass as changed.
   */
  unsent(readings: Record<string, Reading>): void {
    for (const property in readings) {
      if (this.last.get(property)?.value === readings[property]!.value) this.last.delete(property);
    }
  }

  /** What may go out now of the readings held back (called again after retryInMs). */
  release(now = Date.now()): Admitted {
    if (this.heldCount === 0) return { send: {} };
    let wait = Infinity;
    const ready: string[] = [];
    for (const property in this.held) {
      const interval = this.policy.settings(this.profile, property).min_interval_ms;
      const last = this.last.get(property);
      const due = last && interval > 0 ? last.at + interval - now : 0;
      if (due <= 0) ready.push(property);
      else wait = Math.min(wait, due);
    }
    if (ready.length === 0) return { send: {}, retryInMs: wait };

    const ceiling = this.policy.settings(this.profile).max_events_per_second;
    if (ceiling > 0) {
      this.tokens = Math.min(Math.max(1, ceiling),
        this.tokens + ((now - this.refilledAt) / 1000) * ceiling);
      this.refilledAt = now;
      if (this.tokens < 1) {
        return {
          send: {},
          retryInMs: Math.min(wait, Math.ceil(((1 - this.tokens) / ceiling) * 1000)),
        };
      }
      this.tokens -= 1;
    }
    const send: Record<string, Reading> = {};
    for (const property of ready) {
      const reading = this.held[property]!;
      send[property] = reading;
      this.last.set(property, { value: reading.value, at: now });
      delete this.held[property];
      this.heldCount--;
    }
    return this.heldCount > 0 ? { send, retryInMs: wait === Infinity ? 1 : wait } : { send };
  }
}
