import { num, partKeys, str, type Config, type Part } from './ha-components.js';
import type { Availability, Entity } from './ha-readings.js';
import { isPlainObject } from './json-path.js';
import type { Capability } from './learned.js';
import type { DiscoverySpec } from './spec.js';
import { compileTemplate } from './template-eval.js';

// What one Home Assistant discovery config says, read once when it arrives: its keys in full
// (abbreviations and the `~` base topic expanded), its availability topics, the capability
// of a plain entity, and the reading side of an entity or of one of its parts. ha-discovery.ts
// keeps the entities and routes their messages.

/**
 * The config with its keys in full: abbreviations expanded (in the device block and the
 * availability list too), and the `~` base topic put into every topic that starts or ends
 * with it.
 */
export function expand(raw: Config, spec: DiscoverySpec): Config {
  const rename = (o: Config, table: Record<string, string> | undefined): Config =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [table?.[k] ?? k, v]));
  const config = rename(raw, spec.abbreviations);
  if (isPlainObject(config.device)) config.device = rename(config.device, spec.deviceAbbreviations);
  if (Array.isArray(config.availability)) {
    config.availability = config.availability
      .map((a) => (isPlainObject(a) ? rename(a, spec.abbreviations) : a));
  }
  const base = spec.baseTopicKey ? config[spec.baseTopicKey] : undefined;
  if (typeof base === 'string') {
    const fill = (o: Config) => {
      for (const [k, v] of Object.entries(o)) {
        if (!(k.endsWith('_topic') || k === 'topic') || typeof v !== 'string') continue;
        if (v.startsWith('~')) o[k] = base + v.slice(1);
        else if (v.endsWith('~')) o[k] = v.slice(0, -1) + base;
      }
    };
    fill(config);
    if (Array.isArray(config.availability)) {
      config.availability.forEach((a) => isPlainObject(a) && fill(a));
    }
  }
  return config;
}

/** Its availability topics: the `availability` list, or the single availability_topic. */
export function availabilityOf(config: Config): Availability[] {
  const entries: Config[] = Array.isArray(config.availability)
    ? config.availability.filter(isPlainObject)
    : typeof config.availability_topic === 'string'
      ? [{ topic: config.availability_topic, value_template: config.availability_template }]
      : [];
  return entries.flatMap((a) => {
    const topic = str(a.topic);
    if (!topic) return [];
    const entry: Availability = {
      topic,
      online: str(a.payload_available) ?? str(config.payload_available) ?? 'online',
      offline: str(a.payload_not_available) ?? str(config.payload_not_available) ?? 'offline',
    };
    const tpl = str(a.value_template);
    if (tpl) {
      try { entry.template = compileTemplate(tpl); } catch { return []; }
    }
    return [entry];
  });
}

/** What a plain entity (switch, number, select, text...) can be set to, from its config. */
export function capabilityOf(property: string, kind: string, config: Config):
  Capability | undefined {
  switch (kind) {
    case 'binary':
      return { property, kind, valueOn: str(config.payload_on) ?? 'ON',
        valueOff: str(config.payload_off) ?? 'OFF' };
    case 'numeric': {
      const cap: Capability = { property, kind,
        min: num(config, 'min', 1), max: num(config, 'max', 100) };
      const unit = str(config.unit_of_measurement);
      if (unit) cap.unit = unit;
      return cap;
    }
    case 'enum':
      return { property, kind,
        values: Array.isArray(config.options) ? config.options.map(String) : [] };
    case 'text':
      return { property, kind };
    default:
      return undefined;
  }
}

/** An entity's reading side from its config: state topic, template, unit, on/off. */
export function entityOf(deviceId: string, property: string, kind: string, config: Config,
  jsonLight = false, part?: Part): Entity {
  const entity: Entity = {
    deviceId, property, kind,
    stateOn: jsonLight ? 'ON' : str(config.state_on) ?? str(config.payload_on) ?? 'ON',
    stateOff: jsonLight ? 'OFF' : str(config.state_off) ?? str(config.payload_off) ?? 'OFF',
    availability: [], availabilityMode: 'latest', availabilityStates: new Map(),
  };
  const keys = part ? partKeys(part) : { stateTopic: 'state_topic', template: 'value_template' };
  const stateTopic = str(config[keys.stateTopic]);
  if (stateTopic) entity.stateTopic = stateTopic;
  if (!part) {
    const attributesTopic = str(config.json_attributes_topic);
    const attributesTemplate = str(config.json_attributes_template);
    if (attributesTopic) entity.attributesTopic = attributesTopic;
    if (attributesTopic && attributesTemplate) {
      try { entity.attributesTemplate = compileTemplate(attributesTemplate); } catch {
        // Unreadable attributes cost nothing else: the topic is read as plain JSON.
      }
    }
    const unit = str(config.unit_of_measurement);
    if (unit) entity.unit = unit;
    const deviceClass = str(config.device_class);
    if (deviceClass) entity.deviceClass = deviceClass;
  }
  // A default-schema light names its state's template state_value_template.
  const template = jsonLight ? undefined
    : str(config[keys.template]) ?? (part ? undefined : str(config.state_value_template));
  if (template) {
    try { entity.template = compileTemplate(template); } catch (err) {
      entity.templateError = (err as Error).message;
    }
  }
  return entity;
}

/**
 * A default-schema light's brightness, colour temperature or effect: read from its own
 * state topic through its own template (`brightness_state_topic`,
 * `brightness_value_template`...). It shares its light's availability.
 */
export function partEntity(deviceId: string, part: Part, config: Config): Entity {
  const entity = entityOf(deviceId, part.property,
    part.kind ?? part.capability?.kind ?? 'text', config, false, part);
  const unit = part.unit ?? part.capability?.unit;
  if (unit) entity.unit = unit;
  if (part.range) entity.range = part.range;
  if (part.colorSpace) entity.colorSpace = part.colorSpace;
  if (part.deviceClass) entity.deviceClass = part.deviceClass;
  // A part switched on and off (a fan's oscillation) reports its own payloads.
  if (part.capability?.kind === 'binary') {
    entity.stateOn = String(part.capability.valueOn);
    entity.stateOff = String(part.capability.valueOff);
  }
  return entity;
}

