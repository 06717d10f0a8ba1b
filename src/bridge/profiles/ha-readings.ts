import type { Reading } from '../profile-types.js';
import { hexOfColorObject, hexOfColorText, type ColorSpace } from './colors.js';
import { percentOf, type Part, type PercentRange } from './ha-components.js';
import { isPlainObject } from './json-path.js';
import { snake } from './readings.js';
import { looksLikeJson, parseJson } from './sources.js';
import type { CompiledTemplate } from './template-eval.js';
import { knownProperty } from './units.js';

// How Home Assistant discovery reads an entity's messages: its state (through its template,
// in its own words or range), a JSON light's state object, an event entity's event_type, and
// the attributes of json_attributes_topic. ha-discovery.ts learns the entities and routes
// each message to these.

export interface Availability {
  topic: string;
  online: string;
  offline: string;
  template?: CompiledTemplate;
}

export interface Entity {
  deviceId: string;
  property: string;
  kind: string;
  /**
   * A light of the JSON schema or a vacuum: its state topic carries one object (`state`,
   * `brightness`, `battery_level`...), each key read as a property of its own.
   */
  jsonParts?: Part[];
  /**
   * A light of the default schema: brightness, colour temperature and effect have topics of
   * their own, each read (and commanded) as an entity of its own.
   */
  parts?: Entity[];
  stateTopic?: string;
  template?: CompiledTemplate;
  templateError?: string;
  stateOn: string;
  stateOff: string;
  /** A cover's or lock's own words for its states, to the standard ones (open, locked...). */
  states?: Map<string, string>;
  /** Its numbers are read as a percentage of this range. */
  range?: PercentRange;
  /**
   * A valve that reports its position: its state topic carries the position (a number, or
   * `{"position": n, "state": ...}`) or opening/closing, read as `<p>_position` (a
   * percentage of this range) and `<p>` (open, closed, opening or closing).
   */
  valveRange?: PercentRange;
  /** An event entity: each message names an event_type, read as the property's value. */
  event?: boolean;
  /** A default-schema light's colour topic: "r,g,b", "h,s" or "x,y", read as #rrggbb. */
  colorSpace?: ColorSpace;
  /**
   * json_attributes_topic: a JSON object (or what json_attributes_template makes of the
   * message) whose keys are further readings of the device.
   */
  attributesTopic?: string;
  attributesTemplate?: CompiledTemplate;
  unit?: string;
  deviceClass?: string;
  availability: Availability[];
  /** How several availability topics combine (availability_mode): all, any or latest. */
  availabilityMode: 'all' | 'any' | 'latest';
  /** The last state each availability topic reported. */
  availabilityStates: Map<string, boolean>;
}

export type Readings = Record<string, Reading>;

const COLOR_TEXT: Record<ColorSpace, string> = { rgb: 'r,g,b', hs: 'h,s', xy: 'x,y' };

/**
 * An attribute's key as a property name, in snake case (`RestartReason` is
 * `restart_reason`); undefined for a key that leaves no such name (`Signal (dBm)`).
 */
function attributeName(key: string): string | undefined {
  const name = snake(key.trim());
  return /^[a-z0-9_][a-z0-9_.:]*$/.test(name) ? name : undefined;
}

/**
 * A state topic carrying one JSON object: a JSON-schema light's `{"state":"ON",
 * "brightness":128,...}` (on/off under the light's property), or a vacuum's `{"state":
 * "docked","battery_level":61,...}` (its words); each part the config declared under its own
 * property. A `null` state, which Home Assistant takes as unknown, is left out.
 */
export function readJsonState(e: Entity, parts: Part[], json: unknown,
  jsonError: string | undefined): Readings | string {
  if (jsonError) return jsonError;
  if (!isPlainObject(json)) return 'expected a JSON object on this state topic';
  const readings: Readings = {};
  const state = json.state;
  if (e.states && typeof state === 'string') {
    const word = e.states.get(state);
    if (word === undefined) {
      return `unexpected state ${JSON.stringify(state)} (expected one of ` +
        `${[...e.states.keys()].join(', ')})`;
    }
    readings[e.property] = { value: word };
  } else if (!e.states && (state === e.stateOn || state === e.stateOff)) {
    readings[e.property] = { value: state === e.stateOn };
  } else if (state !== undefined && state !== null) {
    const expected = e.states ? `one of ${[...e.states.keys()].join(', ')}`
      : `${e.stateOn} or ${e.stateOff}`;
    return `unexpected state ${JSON.stringify(state)} (expected ${expected})`;
  }
  for (const part of parts) {
    const value = json[part.key];
    if (part.colorSpace) {
      const hex = isPlainObject(value) ? hexOfColorObject(value, json.color_mode) : undefined;
      if (hex) readings[part.property] = { value: hex };
    } else if (typeof value === 'number' || typeof value === 'string') {
      const reading: Reading = { value };
      const unit = part.unit ?? part.capability?.unit;
      if (unit && typeof value === 'number') reading.unit = unit;
      if (part.deviceClass) reading.deviceClass = part.deviceClass;
      readings[part.property] = reading;
    }
  }
  if (Object.keys(readings).length === 0) return 'no state in the message';
  return readings;
}

/** The event_type of an event entity's message (an object, or JSON text of one). */
function eventTypeOf(value: unknown): string | undefined {
  let object = value;
  if (typeof value === 'string' && looksLikeJson(value)) {
    const parsed = parseJson(value);
    object = parsed.ok ? parsed.value : undefined;
  }
  const type = isPlainObject(object) ? object.event_type : undefined;
  return typeof type === 'string' && type !== '' ? type : undefined;
}

/**
 * An entity's attributes (json_attributes_topic): each key with a number, text or boolean
 * is a reading of its device under its own name (`rssi`, `last_seen`), unless the device
 * has a property of that name already, which its own entity reads. Nested values are left
 * out, and no unit is guessed: attributes come without one (Tasmota's RSSI is a
 * percentage, not dBm).
 */
export function readAttributes(e: Entity, text: string, json: unknown,
  jsonError: string | undefined, known: Record<string, unknown>): Readings | string {
  let value: unknown = json;
  if (e.attributesTemplate) {
    try {
      value = e.attributesTemplate.render({ value: text, value_json: json });
    } catch (err) {
      return `json_attributes_template: ${(err as Error).message}`;
    }
    if (typeof value === 'string' && looksLikeJson(value)) {
      const parsed = parseJson(value);
      value = parsed.ok ? parsed.value : undefined;
    }
  } else if (jsonError) {
    return jsonError;
  }
  if (!isPlainObject(value)) return 'attributes are not a JSON object';
  const readings: Readings = {};
  for (const [key, v] of Object.entries(value)) {
    const property = attributeName(key);
    if (!property || Object.hasOwn(known, property)) continue;
    if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') continue;
    readings[property] = { value: v };
  }
  return readings;
}

/**
 * An event entity's message: `{"event_type": "press", ...}`, or what its value_template
 * makes of the payload (the same JSON, as Home Assistant expects it).
 */
function readEvent(e: Entity, text: string, json: unknown, jsonError: string | undefined):
  Reading | string {
  let value: unknown = json;
  if (e.template) {
    try {
      value = e.template.render({ value: text, value_json: json });
    } catch (err) {
      return (err as Error).message;
    }
  } else if (jsonError) {
    return jsonError;
  }
  const type = eventTypeOf(value);
  return type === undefined ? 'an event message names no event_type' : { value: type };
}

/** The message through the entity's value template (the text itself without one). */
function templated(e: Entity, text: string, json: unknown, jsonError: string | undefined):
  { value: unknown } | string {
  if (!e.template) return { value: text };
  if (jsonError && e.template.source.includes('value_json')) return jsonError;
  try {
    return { value: e.template.render({ value: text, value_json: json }) };
  } catch (err) {
    return (err as Error).message;
  }
}

/** A position-reporting valve's state message (see Entity.valveRange). */
export function readPositionValve(e: Entity, text: string, json: unknown,
  jsonError: string | undefined): Readings | string {
  if (e.templateError) return e.templateError;
  if (jsonError && !e.template) return jsonError;
  let value: unknown = json ?? text;
  if (e.template) {
    const rendered = templated(e, text, json, jsonError);
    if (typeof rendered === 'string') return rendered;
    value = rendered.value;
    if (typeof value === 'string' && looksLikeJson(value)) {
      const parsed = parseJson(value);
      if (parsed.ok) value = parsed.value;
    }
  }
  let position: unknown = value;
  let state: unknown;
  if (isPlainObject(value)) {
    if (!('position' in value)) return 'a valve that reports its position needs "position"';
    position = value.position;
    state = value.state;
  } else if (typeof value === 'string' && e.states?.has(value.trim())) {
    state = value.trim();
    position = undefined;
  }
  const readings: Readings = {};
  const word = typeof state === 'string' ? e.states?.get(state) : undefined;
  if (state !== undefined && state !== null && word !== 'opening' && word !== 'closing') {
    return `unexpected state ${JSON.stringify(state)} (expected opening or closing)`;
  }
  if (position !== undefined && position !== null) {
    const n = typeof position === 'number' ? position
      : typeof position === 'string' && position.trim() !== '' ? Number(position) : NaN;
    if (!Number.isFinite(n)) return `expected a position, got ${JSON.stringify(position)}`;
    const percent = percentOf(n, e.valveRange!);
    readings[`${e.property}_position`] = { value: percent, unit: '%' };
    readings[e.property] = { value: word ?? (percent === 0 ? 'closed' : 'open') };
  } else if (word) {
    readings[e.property] = { value: word };
  }
  return Object.keys(readings).length > 0 ? readings : 'no valve position in the message';
}

export function readEntity(e: Entity, text: string, json: unknown, jsonError: string | undefined):
  Reading | string {
  if (e.templateError) return e.templateError;
  if (e.event) return readEvent(e, text, json, jsonError);
  const rendered = templated(e, text, json, jsonError);
  if (typeof rendered === 'string') return rendered;
  const value = rendered.value;
  if (e.template && value === undefined) {
    return `template ${e.template.source} gave no value`;
  }
  const known = knownProperty(e.property);
  const reading = (v: Reading['value']): Reading => {
    const r: Reading = { value: v };
    const unit = e.unit ?? (typeof v === 'number' && !e.deviceClass ? known?.unit : undefined);
    if (unit && typeof v === 'number') r.unit = unit;
    const cls = e.deviceClass ?? known?.deviceClass;
    if (cls) r.deviceClass = cls;
    return r;
  };
  const s = typeof value === 'string' ? value.trim() : value;
  if (e.colorSpace) {
    const hex = hexOfColorText(String(s), e.colorSpace);
    return hex ? reading(hex) : `expected a colour as ${COLOR_TEXT[e.colorSpace]}, got ` +
      JSON.stringify(s);
  }
  if (e.kind === 'binary' || e.kind === 'binary_sensor') {
    if (typeof s === 'boolean') return reading(s);
    if (String(s) === e.stateOn) return reading(true);
    if (String(s) === e.stateOff) return reading(false);
    return `unexpected state ${JSON.stringify(s)} (expected ${e.stateOn} or ${e.stateOff})`;
  }
  if (e.states) {
    const state = e.states.get(String(s));
    return state === undefined ? `unexpected state ${JSON.stringify(s)} (expected one of ` +
      `${[...e.states.keys()].join(', ')})` : reading(state);
  }
  if (typeof s === 'number' || typeof s === 'boolean') {
    return reading(typeof s === 'number' && e.range ? percentOf(s, e.range) : s);
  }
  const n = s === '' ? NaN : Number(s);
  if (e.kind === 'numeric' && !Number.isFinite(n)) {
    return `expected a number, got ${JSON.stringify(s)}`;
  }
  if (e.range && Number.isFinite(n)) return reading(percentOf(n, e.range));
  if (e.kind !== 'enum' && e.kind !== 'text' && Number.isFinite(n)) return reading(n);
  return reading(typeof s === 'string' ? s : JSON.stringify(s));
}
