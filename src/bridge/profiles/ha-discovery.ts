import type { DeviceUpdate, ParseFailure, ParsedMessage, Reading } from '../profile-types.js';
import {
  partKeys, partsOf, str, WORDED, wordedCommands, wordedStates, type Config,
} from './ha-components.js';
import { availabilityOf, capabilityOf, entityOf, expand, partEntity } from './ha-config.js';
import {
  readAttributes, readEntity, readJsonState, readPositionValve, type Entity, type Readings,
} from './ha-readings.js';
import { isPlainObject } from './json-path.js';
import {
  capabilitiesOf, type EntityCommand, type LearnedProperty,
} from './learned.js';
import type { Profile } from './profile.js';
import { looksLikeJson, parseJson, resolveSource } from './sources.js';
import type { DiscoverySpec, RuleSpec } from './spec.js';

// Home Assistant MQTT discovery: a retained config message per entity announces where its
// state and availability are published, how to read them (value_template) and how to
// command it. Entities are grouped into devices by the device block's identifiers. The
// announced topics become subscriptions learned at run time.

/**
 * An entity's availability after one of its topics reported `latest`, by its availability
 * mode: `latest` takes that report, `all` is online only when every topic said online (and
 * undecided until each has spoken, unless one said offline), `any` when one of them did.
 */
function availableNow(e: Entity, latest: boolean): boolean | undefined {
  if (e.availabilityMode === 'latest') return latest;
  const states = [...e.availabilityStates.values()];
  const heard = states.length === new Set(e.availability.map((a) => a.topic)).size;
  if (e.availabilityMode === 'all') {
    if (states.includes(false)) return false;
    return heard ? true : undefined;
  }
  if (states.includes(true)) return true;
  return heard ? false : undefined;
}

/** The topics an entity reads: its state, availability and attributes topics. */
function topicsOf(e: Entity): string[] {
  const topics = e.availability.map((a) => a.topic);
  if (e.stateTopic) topics.unshift(e.stateTopic);
  if (e.attributesTopic) topics.push(e.attributesTopic);
  return topics;
}

/** The same with its parts' state topics (a default-schema light's brightness...). */
function allTopics(e: Entity): string[] {
  return [...topicsOf(e), ...(e.parts ?? []).flatMap(topicsOf)];
}

export class HaDiscovery {
  private readonly entities = new Map<string, Entity>();
  private readonly fingerprints = new Map<string, string>();
  /** State or availability topic → the entities reading it. */
  private byTopic = new Map<string, Entity[]>();

  constructor(private readonly profile: Profile) {}

  /** Rebuilds the topic index (after a config was replaced or removed). */
  private reindex(): void {
    this.byTopic = new Map();
    for (const e of this.entities.values()) this.index(e);
  }

  /** Adds one entity's topics to the index, and those of its parts. */
  private index(e: Entity): void {
    for (const topic of topicsOf(e)) {
      const list = this.byTopic.get(topic);
      if (!list) this.byTopic.set(topic, [e]);
      else if (!list.includes(e)) list.push(e);
    }
    for (const part of e.parts ?? []) this.index(part);
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  knows(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  readConfig(rule: RuleSpec, captures: Record<string, string>, text: string, topic: string):
    ParsedMessage[] | ParseFailure {
    if (text.trim() === '') return this.removeConfig(topic);
    const parsed = parseJson(text);
    if (!parsed.ok) return this.profile.failure(parsed.reason);
    if (!isPlainObject(parsed.value)) return this.profile.failure('expected a JSON object');
    const spec = rule.discovery!;
    const config = expand(parsed.value, spec);
    if (spec.deviceComponent !== undefined && captures.component === spec.deviceComponent) {
      return this.readDeviceConfig(spec, captures, config, topic);
    }
    const learned = this.learn(spec, captures, config, topic);
    if ('reason' in learned) return learned;
    return [this.announce(spec, captures, config, learned.deviceId, learned.fresh)];
  }

  /**
   * Device-based discovery (homeassistant/device/<object_id>/config, Home Assistant 2024.12):
   * one config lists a device's entities under `components`, each naming its `platform`;
   * the options outside `components` (state_topic, qos...) are shared by all of them. Each
   * component is read as the entity config it stands for, under its key as object_id. A
   * component left with only its platform is removed, as is one no longer listed.
   */
  private readDeviceConfig(spec: DiscoverySpec, captures: Record<string, string>, config: Config,
    topic: string): ParsedMessage[] | ParseFailure {
    const { components, device, origin: _origin, ...shared } = config;
    if (!isPlainObject(components)) {
      return this.profile.failure('a device config needs its components (cmps)');
    }
    const keys = new Set<string>();
    const removals = new Set<string>();
    const fresh: string[] = [];
    let announced: { deviceId: string; config: Config; captures: Record<string, string> }
      | undefined;
    for (const [objectId, raw] of Object.entries(components)) {
      if (!isPlainObject(raw)) continue;
      const component = expand(raw, spec);
      const platform = str(component.platform);
      if (!platform) continue;
      const key = `${topic}#${objectId}`;
      if (Object.keys(component).length === 1) {
        removals.add(key);
        continue;
      }
      // Expanded again once merged, so a shared `~` reaches the component's own topics.
      const entityConfig = expand({ ...shared, ...component, device }, spec);
      const entityCaptures = { ...captures, component: platform, object_id: objectId };
      const learned = this.learn(spec, entityCaptures, entityConfig, key);
      if ('reason' in learned) return learned;
      keys.add(key);
      fresh.push(...learned.fresh);
      announced ??= { deviceId: learned.deviceId, config: entityConfig, captures: entityCaptures };
    }
    for (const key of this.entities.keys()) {
      if (key.startsWith(`${topic}#`) && !keys.has(key)) removals.add(key);
    }
    const messages = this.removeEntities([...removals]);
    if (announced) {
      messages.push(this.announce(spec, announced.captures, announced.config, announced.deviceId,
        fresh));
    }
    return messages;
  }

  /**
   * Learns one entity from its config, kept under `key` (its discovery topic): how its state
   * and availability are read and how it is commanded. Returns its device and the topics no
   * entity read before, which the bridge subscribes to (unless a rule covers them).
   */
  private learn(spec: DiscoverySpec, captures: Record<string, string>, config: Config,
    key: string): { deviceId: string; fresh: string[] } | ParseFailure {
    const deviceId = resolveSource(spec.id, captures, config);
    const property = resolveSource(spec.property, captures, config);
    if (!deviceId || !property) {
      return this.profile.failure('no device ID or property in the config');
    }
    const component = captures.component ?? 'sensor';
    const kind = spec.components[component] ?? 'sensor';
    // A JSON-schema light says ON and OFF in its object's `state`, never through templates.
    const jsonLight = component === 'light' && config.schema === 'json';
    // A vacuum's state topic carries JSON too, but its parts have command topics of their own.
    const jsonState = jsonLight || component === 'vacuum';

    // A lawn mower names its state topic and template after its activity.
    const stateConfig = component === 'lawn_mower' ? { ...config,
      state_topic: config.activity_state_topic, value_template: config.activity_value_template }
      : config;
    const entity = entityOf(deviceId, property, kind, stateConfig, jsonLight);
    entity.availability = availabilityOf(config);
    entity.availabilityMode = config.availability_mode === 'all'
      || config.availability_mode === 'any' ? config.availability_mode : 'latest';
    const parts = partsOf(component, property, config, jsonLight);
    const words = WORDED[component];
    if (words) entity.states = wordedStates(words, config);
    if (component === 'event') entity.event = true;
    if (component === 'valve') entity.valveRange = parts.find((p) => p.key === 'position')?.range;
    if (jsonState) entity.jsonParts = parts;
    else if (parts.length > 0) {
      entity.parts = parts.map((part) => partEntity(deviceId, part, config));
    }
    const fresh = [...new Set(allTopics(entity).filter((t) => !this.byTopic.has(t)
      && this.profile.needsOwnSubscription(t)))];
    const old = this.entities.get(key);
    if (old && old.deviceId !== deviceId) this.remove(key);
    else if (old) this.forgetParts(old);
    this.entities.set(key, entity);
    if (old) this.reindex();
    else this.index(entity);

    const device = this.profile.device(deviceId);
    const command = (e: Partial<EntityCommand> & { commandTopic: string }): EntityCommand => {
      const out: EntityCommand = { component, ...e };
      if (config.qos === 0 || config.qos === 1 || config.qos === 2) out.qos = config.qos;
      if (typeof config.retain === 'boolean') out.retain = config.retain;
      return out;
    };
    const learned = (device.properties[property] ??= {});
    if (entity.event) learned.event = true;
    else delete learned.event;
    if (entity.unit) learned.unit = entity.unit;
    if (entity.deviceClass) learned.deviceClass = entity.deviceClass;
    const worded = words ? wordedCommands(words, property, config) : undefined;
    const capability = worded?.capability
      ?? capabilityOf(property, kind, jsonLight ? {} : config);
    // Commands with topics of their own (a lawn mower's) need no command_topic.
    const commandTopic = str(config.command_topic)
      ?? Object.values(worded?.topics ?? {})[0]?.topic;
    if (capability && commandTopic) {
      learned.capability = capability;
      const e = learned.entity = command({ commandTopic });
      if (jsonLight) e.jsonKey = 'state';
      if (worded) {
        e.payloads = worded.payloads;
        if (Object.keys(worded.topics).length > 0) e.valueTopics = worded.topics;
        if (Object.keys(worded.states).length > 0) e.confirmStates = worded.states;
        else e.confirms = false;
      }
      if (capability.kind === 'binary') {
        e.payloadOn = String(capability.valueOn);
        e.payloadOff = String(capability.valueOff);
      }
      const commandTemplate = str(config.command_template);
      if (commandTemplate && !jsonLight) e.commandTemplate = commandTemplate;
    } else {
      delete learned.capability;
      delete learned.entity;
    }
    for (const part of parts) {
      const partLearned: LearnedProperty = (device.properties[part.property] = {});
      const unit = part.unit ?? part.capability?.unit;
      if (unit) partLearned.unit = unit;
      // JSON schema: the light's own command topic with the part's key; default schema: the
      // part's own command topic and template.
      const keys = partKeys(part);
      const topic = jsonLight ? commandTopic : str(config[keys.commandTopic]);
      if (!part.capability || !topic) continue;
      partLearned.capability = part.capability;
      const e = partLearned.entity = command({ commandTopic: topic });
      const commandTemplate = str(config[keys.commandTemplate]);
      if (jsonLight) e.jsonKey = part.key;
      else if (commandTemplate) e.commandTemplate = commandTemplate;
      if (part.unconfirmed) e.confirms = false;
      if (part.range) e.range = part.range;
      if (part.colorSpace) e.colorSpace = part.colorSpace;
    }
    return { deviceId, fresh };
  }

  /** Drops what a light's parts taught about its device (before a config replaces it). */
  private forgetParts(entity: Entity): void {
    const properties = this.profile.device(entity.deviceId).properties;
    for (const part of [...entity.jsonParts ?? [], ...entity.parts ?? []]) {
      delete properties[part.property];
    }
  }

  /** The device's name, model, vendor and capabilities, when they changed. */
  private announce(spec: DiscoverySpec, captures: Record<string, string>, config: Config,
    deviceId: string, fresh: string[]): ParsedMessage {
    const friendlyName = resolveSource(spec.friendlyName, captures, config);
    const updates: DeviceUpdate[] = this.profile.rename(deviceId, friendlyName);
    const info: DeviceUpdate = { kind: 'info', info: {} };
    const model = resolveSource(spec.model, captures, config);
    const vendor = resolveSource(spec.vendor, captures, config);
    if (model) info.info.model = model;
    if (vendor) info.info.vendor = vendor;
    const caps = capabilitiesOf(this.profile.device(deviceId)) ?? [];
    if (caps.length > 0) info.info.capabilities = caps;
    if (friendlyName) info.friendlyName = friendlyName;
    const fingerprint = JSON.stringify(info);
    if (this.fingerprints.get(deviceId) !== fingerprint) {
      this.fingerprints.set(deviceId, fingerprint);
      updates.unshift(info);
    }

    const m = this.profile.message(deviceId, updates);
    if (fresh.length > 0) m.subscribe = [...new Set(fresh)];
    return m;
  }

  /** An empty config removes its entity, or every entity of a device config. */
  private removeConfig(topic: string): ParsedMessage[] {
    return this.removeEntities([...this.entities.keys()]
      .filter((key) => key === topic || key.startsWith(`${topic}#`)));
  }

  /** Removes entities; one message per device, the last one about it saying the most. */
  private removeEntities(keys: string[]): ParsedMessage[] {
    const byDevice = new Map<string, ParsedMessage>();
    for (const key of keys) {
      for (const m of this.remove(key)) byDevice.set(m.deviceId, m);
    }
    return [...byDevice.values()];
  }

  /** An empty config removes the entity; the device goes with its last entity. */
  private remove(topic: string): ParsedMessage[] {
    const entity = this.entities.get(topic);
    if (!entity) return [];
    this.entities.delete(topic);
    this.reindex();
    const { deviceId } = entity;
    const remaining = [...this.entities.values()].some((e) => e.deviceId === deviceId);
    if (!remaining) {
      const m = this.profile.message(deviceId, [{ kind: 'removed' }]);
      this.profile.forget(deviceId);
      this.fingerprints.delete(deviceId);
      return [m];
    }
    const device = this.profile.device(deviceId);
    delete device.properties[entity.property];
    this.forgetParts(entity);
    const caps = capabilitiesOf(device) ?? [];
    return [this.profile.message(deviceId, [{ kind: 'info', info: { capabilities: caps } }])];
  }

  readState(topic: string, text: string): ParsedMessage[] | ParseFailure {
    let json: unknown;
    let jsonError: string | undefined;
    if (looksLikeJson(text)) {
      const parsed = parseJson(text);
      if (parsed.ok) json = parsed.value;
      else jsonError = parsed.reason;
    }
    const byDevice = new Map<string, DeviceUpdate[]>();
    const errors: string[] = [];
    const push = (id: string, u: DeviceUpdate) => {
      const list = byDevice.get(id) ?? [];
      const readings = list.find((x) => x.kind === 'readings');
      if (u.kind === 'readings' && readings?.kind === 'readings') {
        Object.assign(readings.readings, u.readings);
      } else if (u.kind !== 'availability' || !list.some((x) => x.kind === 'availability')) {
        list.push(u);
      }
      byDevice.set(id, list);
    };

    for (const e of this.byTopic.get(topic) ?? []) {
      for (const a of e.availability.filter((x) => x.topic === topic)) {
        const value = a.template
          ? String(a.template.render({ value: text, value_json: json }))
          : text;
        if (value !== a.online && value !== a.offline) continue;
        e.availabilityStates.set(topic, value === a.online);
        const online = availableNow(e, value === a.online);
        if (online !== undefined) push(e.deviceId, { kind: 'availability', online });
      }
      if (e.attributesTopic === topic) {
        const attributes = readAttributes(e, text, json, jsonError,
          this.profile.device(e.deviceId).properties);
        if (typeof attributes === 'string') errors.push(attributes);
        else if (Object.keys(attributes).length > 0) {
          push(e.deviceId, { kind: 'readings', readings: attributes });
        }
      }
      if (e.stateTopic !== topic) continue;
      const outcome = e.jsonParts ? readJsonState(e, e.jsonParts, json, jsonError)
        : e.valveRange ? readPositionValve(e, text, json, jsonError)
          : readEntity(e, text, json, jsonError);
      if (typeof outcome === 'string') errors.push(outcome);
      else if (e.jsonParts || e.valveRange) {
        push(e.deviceId, { kind: 'readings', readings: outcome as Readings });
      } else {
        push(e.deviceId, { kind: 'readings', readings: { [e.property]: outcome as Reading } });
      }
    }
    if (byDevice.size === 0 && errors.length > 0) return this.profile.failure(errors[0]!);
    return [...byDevice].map(([id, updates]) => this.profile.message(id, updates));
  }

}
