import type {
  DeviceCommand, DeviceUpdate, OutgoingPublish, ParseFailure, ParsedMessage,
} from '../profile-types.js';
import { buildCommand, type CommandTarget } from './commands.js';
import { readDeviceList } from './device-list.js';
import { formatReadings } from './format-readings.js';
import { HaDiscovery } from './ha-discovery.js';
import {
  capabilitiesOf, capabilityFromMeta, type LearnedDevice, type LearnedProperty,
} from './learned.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodePayload } from './payload.js';
import { readPayload } from './readings.js';
import { holds, looksLikeJson, parseJson, resolveSource } from './sources.js';
import type { CapabilityDecl, CommandsSpec, ProfileSpec, RuleSpec } from './spec.js';
import { filterCovers, topicMatches } from '../../mqtt/topic-filter.js';
import { compilePattern, renderTemplate, type TopicPattern } from './topic-pattern.js';

export interface Subscription {
  filter: string;
  /** Carries retained or discovery data: subscribe ordinarily, never as a shared subscription. */
  retained: boolean;
}

interface Rule { spec: RuleSpec; pattern: TopicPattern }

/** Whether some topic matches both filters. */
function filtersIntersect(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
  return true;
}

export type ParseResult = ParsedMessage | ParseFailure | undefined;

function isJsonSource(source: string | string[] | undefined): boolean {
  if (source === undefined) return false;
  return (Array.isArray(source) ? source : [source]).some((s) => !s.includes('{'));
}

/** The rule reads its device or availability from JSON fields, not only from the topic. */
function needsJson(spec: RuleSpec): boolean {
  return (spec.kind === 'availability' && spec.availability?.path !== undefined)
    || isJsonSource(spec.device?.id) || isJsonSource(spec.device?.name);
}

export function isParseFailure(r: ParseResult): r is ParseFailure {
  return r !== undefined && 'reason' in r;
}

/**
 * One ecosystem's profile, built from its YAML. It keeps what it learns from messages
 * (friendly names, units, command topics, discovered entities) in memory so later messages
 * and commands use it; `learned(deviceId)` hands that out for persisting.
 */
export class Profile {
  readonly name: string;
  private readonly rules: Rule[];
  private readonly maxBytes: number;
  readonly devices = new Map<string, LearnedDevice>();
  /** Friendly name → device ID, for ecosystems whose topics carry only the name. */
  readonly aliases = new Map<string, string>();
  /** Per device-list rule: the IDs and fingerprints of the last list seen. */
  readonly listed = new Map<number, Map<string, string>>();
  /** Bumped whenever a device list's set of IDs changes, so the bridge saves them. */
  listedVersion = 0;
  private readonly announcedCaps = new Map<string, string>();
  private readonly ha = new HaDiscovery(this);
  /** The rules never change after construction: their filters are worked out once. */
  private ruleFilterCache: Map<string, boolean> | undefined;
  private ruleSubsCache: Subscription[] | undefined;
  private overlapCache: boolean | undefined;

  constructor(readonly spec: ProfileSpec, options: { maxPayloadBytes?: number } = {}) {
    this.name = spec.name;
    this.rules = spec.rules.map((r) => ({ spec: r, pattern: compilePattern(r.pattern) }));
    this.maxBytes = options.maxPayloadBytes ?? spec.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  /** MQTT filters to subscribe to; grows as discovery teaches new topics. */
  subscriptions(): Subscription[] {
    const subs = [...this.ruleSubscriptions()];
    for (const topic of this.ha.topics()) {
      if (this.needsOwnSubscription(topic)) subs.push({ filter: topic, retained: true });
    }
    return subs;
  }

  /**
   * Whether a topic discovery taught needs a subscription of its own: no rule's filter
   * covers it. Asked per new topic, so that a thousand retained discovery configs at start
   * do not each recompute every subscription (which made start-up quadratic).
   */
  needsOwnSubscription(topic: string): boolean {
    return !this.ruleFilters().some((f) => topicMatches(f, topic));
  }

  /** True when one of the profile's filters (static or learned) covers the topic. */
  covers(topic: string): boolean {
    return this.ha.knows(topic) || !this.needsOwnSubscription(topic);
  }

  /** Every filter of the rules (ignore rules aside), with whether it carries retained data. */
  private ruleFilterMap(): Map<string, boolean> {
    if (this.ruleFilterCache) return this.ruleFilterCache;
    const byFilter = new Map<string, boolean>();
    for (const { spec, pattern } of this.rules) {
      if (spec.kind === 'ignore') continue;
      for (const f of pattern.filters) {
        byFilter.set(f, (byFilter.get(f) ?? false) || !!spec.retained);
      }
    }
    this.ruleFilterCache = byFilter;
    return byFilter;
  }

  private ruleFilters(): string[] {
    return [...this.ruleFilterMap().keys()];
  }

  /**
   * The rules' subscriptions. Overlapping subscriptions may deliver a message twice
   * ([MQTT-3.3.5-1] lets a broker send one copy per match), so a filter another one already
   * covers is dropped.
   */
  private ruleSubscriptions(): Subscription[] {
    if (this.ruleSubsCache) return this.ruleSubsCache;
    const all = [...this.ruleFilterMap()].map(([filter, retained]) => ({ filter, retained }));
    this.ruleSubsCache = all.filter((s) => !all.some((o) => o !== s
      && filterCovers(o.filter, s.filter) && (o.retained || !s.retained)));
    return this.ruleSubsCache;
  }

  /**
   * Whether a message that came through the subscription `filter` is read there. Where the
   * profile's subscriptions overlap (Zigbee2MQTT's `zigbee2mqtt/+/+` readings and
   * `zigbee2mqtt/+/availability`), a message arrives once per matching subscription, from a
   * broker as from the embedded one, and is read on one only: the one whose retained flag is
   * its rule's (retained data through the ordinary subscription, live data through the
   * shared one), else the first.
   */
  readsOn(topic: string, filter: string): boolean {
    this.overlapCache ??= this.ruleSubscriptions().some((a, i, all) =>
      all.slice(i + 1).some((b) => filtersIntersect(a.filter, b.filter)));
    if (!this.overlapCache) return true;
    const subs = this.ruleSubscriptions().filter((s) => topicMatches(s.filter, topic));
    if (subs.length < 2) return true;
    const retained = !!this.ruleFor(topic)?.retained;
    return (subs.find((s) => s.retained === retained) ?? subs[0]!).filter === filter;
  }

  /** The rule that reads a topic: the first whose pattern and conditions take it. */
  private ruleFor(topic: string): RuleSpec | undefined {
    for (const { spec, pattern } of this.rules) {
      const captures = pattern.match(topic);
      if (captures && this.accepts(spec, captures)) return spec;
    }
    return undefined;
  }

  /**
   * The commands of a property: its rule's own when that rule has them (LearnedProperty.rule),
   * else the profile's.
   */
  commandsFor(property: LearnedProperty | undefined): CommandsSpec | undefined {
    if (property?.rule !== undefined) {
      const own = this.rules.find((r) => r.spec.pattern === property.rule && r.spec.commands);
      if (own) return own.spec.commands;
    }
    return this.spec.commands;
  }

  /** Whether some rule (or the profile) says how to command what it reads. */
  get hasCommands(): boolean {
    return this.spec.commands !== undefined || this.rules.some((r) => r.spec.commands);
  }

  device(id: string): LearnedDevice {
    let d = this.devices.get(id);
    if (!d) {
      d = { properties: {} };
      this.devices.set(id, d);
    }
    return d;
  }

  learned(deviceId: string): LearnedDevice | undefined {
    return this.devices.get(deviceId);
  }

  forget(deviceId: string): void {
    const d = this.devices.get(deviceId);
    if (d?.friendlyName !== undefined && this.aliases.get(d.friendlyName) === deviceId) {
      this.aliases.delete(d.friendlyName);
    }
    this.devices.delete(deviceId);
    this.announcedCaps.delete(deviceId);
    for (const list of this.listed.values()) list.delete(deviceId);
  }

  /** The device IDs of each device-list rule's last list, by rule index, to be saved. */
  listedIds(): Record<string, string[]> {
    return Object.fromEntries([...this.listed].map(([index, list]) => [index, [...list.keys()]]));
  }

  /**
   * Device lists saved before a restart (listedIds): the first list after it is compared
   * with them, so that a device removed while Switchboard was down is removed. Their
   * fingerprints are not saved, so every device of that list is announced again, which
   * changes nothing for a device that did not change.
   */
  restoreListed(saved: Record<string, unknown>): void {
    for (const [index, ids] of Object.entries(saved)) {
      if (!Array.isArray(ids) || this.listed.has(Number(index))) continue;
      this.listed.set(Number(index), new Map(ids.filter((id) => typeof id === 'string')
        .map((id) => [id as string, ''])));
    }
  }

  /** Records a friendly name; returns a renamed update when it changed. */
  rename(deviceId: string, name: string | undefined): DeviceUpdate[] {
    if (name === undefined) return [];
    const d = this.device(deviceId);
    const old = d.friendlyName;
    if (old !== undefined && this.aliases.get(old) === deviceId) this.aliases.delete(old);
    this.aliases.set(name, deviceId);
    d.friendlyName = name;
    return old !== undefined && old !== name ? [{ kind: 'renamed', friendlyName: name }] : [];
  }

  /** An info update when the device's capabilities differ from those last announced. */
  capabilityUpdate(deviceId: string): DeviceUpdate[] {
    const caps = capabilitiesOf(this.device(deviceId));
    const json = JSON.stringify(caps ?? []);
    if (caps === undefined || this.announcedCaps.get(deviceId) === json) return [];
    this.announcedCaps.set(deviceId, json);
    return [{ kind: 'info', info: { capabilities: caps } }];
  }

  markAnnounced(deviceId: string): void {
    this.announcedCaps.set(deviceId, JSON.stringify(capabilitiesOf(this.device(deviceId)) ?? []));
  }

  message(deviceId: string, updates: DeviceUpdate[]): ParsedMessage {
    const m: ParsedMessage = { profile: this.name, deviceId, updates };
    const name = this.devices.get(deviceId)?.friendlyName;
    if (name !== undefined) m.friendlyName = name;
    return m;
  }

  failure(reason: string): ParseFailure {
    return { profile: this.name, reason };
  }

  /** Every device the message concerns, flattened; see parse for the single-result form. */
  parseAll(topic: string, payload: Buffer): ParsedMessage[] | ParseFailure | undefined {
    try {
      return this.dispatch(topic, payload);
    } catch (err) {
      return this.failure(`could not read message: ${(err as Error).message}`);
    }
  }

  /** undefined: not this profile's topic. Never throws. */
  parse(topic: string, payload: Buffer): ParseResult {
    const all = this.parseAll(topic, payload);
    if (!Array.isArray(all)) return all;
    const [first, ...more] = all;
    if (!first) return { profile: this.name, deviceId: '', updates: [] };
    if (more.length > 0) first.more = more;
    return first;
  }

  buildCommand(target: CommandTarget, command: DeviceCommand): OutgoingPublish | { error: string } {
    try {
      return buildCommand(this, target, command);
    } catch (err) {
      return { error: `could not build the command: ${(err as Error).message}` };
    }
  }

  formatReadings = formatReadings;

  private dispatch(topic: string, payload: Buffer): ParsedMessage[] | ParseFailure | undefined {
    for (let index = 0; index < this.rules.length; index++) {
      const { spec, pattern } = this.rules[index]!;
      const captures = pattern.match(topic);
      if (!captures) continue;
      if (!this.accepts(spec, captures)) continue;
      if (spec.kind === 'ignore') return undefined;

      const decoded = decodePayload(payload, this.maxBytes);
      if (!decoded.ok && !(spec.kind === 'entity-discovery' && payload.length === 0)) {
        return this.failure(decoded.reason);
      }
      const text = decoded.ok ? decoded.text : '';
      return this.applyRule(index, spec, captures, text, topic);
    }
    if (!this.ha.knows(topic)) return undefined;
    const decoded = decodePayload(payload, this.maxBytes);
    return decoded.ok ? this.ha.readState(topic, decoded.text) : this.failure(decoded.reason);
  }

  /** The rule's `where` and `known_names` conditions on what the topic captured. */
  private accepts(spec: RuleSpec, captures: Record<string, string>): boolean {
    if (spec.where && Object.entries(spec.where).some(([k, vs]) => !vs.includes(captures[k]!))) {
      return false;
    }
    return !spec.known_names?.some((k) => captures[k]!.includes('/')
      && !this.aliases.has(captures[k]!));
  }

  private applyRule(index: number, spec: RuleSpec, captures: Record<string, string>, text: string,
    topic: string): ParsedMessage[] | ParseFailure {
    if (spec.kind === 'entity-discovery') return this.ha.readConfig(spec, captures, text, topic);

    let json: unknown;
    if (spec.kind === 'device-list' || spec.kind === 'event'
      || (spec.kind === 'info' && spec.info?.format !== 'string')) {
      const parsed = parseJson(text);
      if (!parsed.ok) return this.failure(parsed.reason);
      json = parsed.value;
    } else if (needsJson(spec) && looksLikeJson(text)) {
      const parsed = parseJson(text);
      if (!parsed.ok) return this.failure(parsed.reason);
      json = parsed.value;
    }
    if (spec.kind === 'device-list') return readDeviceList(this, index, spec, json);
    if (spec.kind === 'event' && !holds(spec.event!.when, json)) return [];

    const device = spec.device ?? { id: '{device}' };
    const name = resolveSource(device.name, captures, json);
    const id = resolveSource(device.id, captures, json)
      ?? (name !== undefined ? this.aliases.get(name) ?? name : undefined);
    if (id === undefined) return this.failure('no device ID in the message');
    const updates: DeviceUpdate[] = [];
    if (name !== undefined && spec.kind !== 'event') updates.push(...this.rename(id, name));

    const knownName = this.devices.get(id)?.friendlyName;
    const rest = this.applyKind(spec, id, captures, text, json);
    if (!Array.isArray(rest)) return rest;
    const m = this.message(id, [...updates, ...rest]);
    // A removed device is forgotten, but the notice about it still wants its name.
    const friendlyName = m.friendlyName ?? knownName ?? name;
    if (friendlyName !== undefined) m.friendlyName = friendlyName;
    return [m];
  }

  private applyKind(spec: RuleSpec, id: string, captures: Record<string, string>, text: string,
    json: unknown): DeviceUpdate[] | ParseFailure {
    switch (spec.kind) {
      case 'readings': return this.readReadings(spec, id, captures, text);
      case 'availability': return this.readAvailability(spec, text, json);
      case 'info': return this.readInfo(spec, id, captures, text, json);
      case 'event': return this.readEvent(spec, id, captures, json);
      default: return this.readMeta(spec, id, captures, text);
    }
  }

  private readReadings(spec: RuleSpec, id: string, captures: Record<string, string>,
    text: string): DeviceUpdate[] | ParseFailure {
    if (text.trim() === '') return [];
    const device = this.device(id);
    const outcome = readPayload(spec.payload ?? {}, text, captures, device);
    if (!outcome.ok) return this.failure(outcome.reason);

    const { readings, captures: where } = outcome.result;
    for (const [property, reading] of Object.entries(readings)) {
      const p = (device.properties[property] ??= {});
      p.captures = where[property];
      if (spec.commands) p.rule = spec.pattern;
      else delete p.rule;
      p.type = typeof reading.value as 'number' | 'boolean' | 'string';
      const decl = p.capability ? undefined
        : capabilityDecls(spec).find((d) => fitsCapability(d, property, reading.value,
          where[property] ?? {}));
      if (decl) {
        // The declaration, for this property (its `property` may be a template).
        const { property: _template, ...declared } = decl;
        p.capability = { property, ...declared };
      }
    }
    const updates: DeviceUpdate[] = [...this.capabilityUpdate(id)];
    if (Object.keys(readings).length > 0) updates.push({ kind: 'readings', readings });
    return updates;
  }

  private readAvailability(spec: RuleSpec, text: string, json: unknown):
    DeviceUpdate[] | ParseFailure {
    const a = spec.availability!;
    let state: unknown = text.trim();
    if (json !== undefined && a.path) state = resolveSource(a.path, {}, json);
    if (state === '') return [];
    const is = (list: unknown[]) => list.some((v) => String(v) === state);
    if (is(a.online)) return [{ kind: 'availability', online: true }];
    if (is(a.offline)) return [{ kind: 'availability', online: false }];
    if (a.ignore && is(a.ignore)) return [];
    return this.failure(`unexpected availability payload ${JSON.stringify(state)}`);
  }

  private readInfo(spec: RuleSpec, id: string, captures: Record<string, string>, text: string,
    json: unknown): DeviceUpdate[] | ParseFailure {
    const info = spec.info!;
    if (info.format === 'string') {
      const name = text.trim();
      if (name === '' || !info.friendlyName) return [];
      const renamed = this.rename(id, name);
      return [{ kind: 'info', friendlyName: name, info: {} }, ...renamed];
    }
    const friendlyName = resolveSource(info.friendlyName, captures, json);
    const out: DeviceUpdate = { kind: 'info', info: {} };
    const model = resolveSource(info.model, captures, json);
    const vendor = resolveSource(info.vendor, captures, json);
    const description = resolveSource(info.description, captures, json);
    if (model !== undefined) out.info.model = model;
    if (vendor !== undefined) out.info.vendor = vendor;
    if (description !== undefined) out.info.description = description;
    if (friendlyName !== undefined) out.friendlyName = friendlyName;
    if (Object.keys(out.info).length === 0 && friendlyName === undefined) return [];
    return [out, ...this.rename(id, friendlyName)];
  }

  private readEvent(spec: RuleSpec, id: string, captures: Record<string, string>, json: unknown):
    DeviceUpdate[] {
    const event = spec.event!;
    if (event.update === 'removed') {
      this.forget(id);
      return [{ kind: 'removed' }];
    }
    const to = resolveSource(event.newName, captures, json);
    if (to === undefined) return [];
    const renamed = this.rename(id, to);
    return renamed.length > 0 ? renamed : [];
  }

  private readMeta(spec: RuleSpec, id: string, captures: Record<string, string>, text: string):
    DeviceUpdate[] {
    const meta = spec.meta!;
    const property = renderTemplate(meta.property, captures).text;
    const attribute = renderTemplate(meta.attribute, captures).text;
    const p = (this.device(id).properties[property] ??= {});
    p.captures = captures;
    const value = text.trim();
    if (attribute === 'datatype') p.datatype = value;
    else if (attribute === 'unit') p.unit = value === '' ? undefined : value;
    else if (attribute === 'settable') p.settable = value === 'true';
    else if (attribute === 'format') p.format = value;
    else return [];
    const cap = capabilityFromMeta(property, p);
    if (cap) p.capability = cap;
    else delete p.capability;
    return this.capabilityUpdate(id);
  }
}

function capabilityDecls(spec: RuleSpec): CapabilityDecl[] {
  const c = spec.capability;
  return c === undefined ? [] : Array.isArray(c) ? c : [c];
}

/** A capability is its named property's, else any reading of the fitting type. */
function fitsCapability(decl: CapabilityDecl, property: string, value: unknown,
  captures: Record<string, string>): boolean {
  if (decl.property !== undefined) {
    return renderTemplate(decl.property, captures).text === property;
  }
  const fits = { binary: 'boolean', numeric: 'number', enum: 'string', text: 'string' };
  return typeof value === fits[decl.kind];
}
