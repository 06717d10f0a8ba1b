import type { Reading } from '../profile-types.js';
import { hexOfChannels } from './colors.js';
import { getPath, isPlainObject, leaves } from './json-path.js';
import type { LearnedDevice } from './learned.js';
import { holds, looksLikeJson, parseJson } from './sources.js';
import type { FieldSpec, PayloadSpec, Scalar, UnitKeySpec } from './spec.js';
import { compilePattern, renderTemplate, type TopicPattern } from './topic-pattern.js';
import { knownProperty } from './units.js';

/** Readings keyed by property, with the captures each was read under (for commands). */
export interface ReadResult {
  readings: Record<string, Reading>;
  captures: Record<string, Record<string, string>>;
}

export type ReadOutcome = { ok: true; result: ReadResult } | { ok: false; reason: string };

const PROPERTY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

export function snake(key: string): string {
  // DewPoint → dew_point, ApparentPower → apparent_power, but DS18B20 stays one word.
  return key.replace(/([a-z0-9])([A-Z][a-z])/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_').toLowerCase();
}

function toBoolean(text: string, booleans: Record<string, boolean> | undefined):
  boolean | undefined {
  if (!booleans) return undefined;
  if (Object.hasOwn(booleans, text)) return booleans[text];
  const lower = text.toLowerCase();
  const key = Object.keys(booleans).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : booleans[key];
}

class Reader {
  readonly result: ReadResult = { readings: {}, captures: {} };
  /** Units the message itself gives, by device class (see PayloadSpec.unitKeys). */
  unitsByClass: Map<string, string> | undefined;

  constructor(private readonly spec: PayloadSpec, private readonly device: LearnedDevice) {}

  add(property: string, value: unknown, field: FieldSpec, captures: Record<string, string>): void {
    if (!PROPERTY.test(property)) return;
    let v: Reading['value'];
    if (typeof value === 'string') v = toBoolean(value, this.spec.booleans) ?? value;
    else if (typeof value === 'number' || typeof value === 'boolean') v = value;
    else return;
    if (typeof v === 'number' && field.scale !== undefined) v = v * field.scale;

    const learned = this.device.properties[property];
    const known = knownProperty(property);
    const reading: Reading = { value: v };
    const deviceClass = field.deviceClass ?? learned?.deviceClass ?? known?.deviceClass;
    const unit = (deviceClass === undefined ? undefined : this.unitsByClass?.get(deviceClass))
      ?? learned?.unit ?? field.unit ?? (typeof v === 'number' ? known?.unit : undefined);
    if (unit !== undefined && typeof v === 'number') reading.unit = unit;
    if (deviceClass !== undefined) reading.deviceClass = deviceClass;
    this.result.readings[property] = reading;
    this.result.captures[property] = captures;
  }

  readObject(object: Record<string, unknown>, captures: Record<string, string>,
    fields = this.spec.fields): void {
    const listed = new Set<string>();
    for (const [path, f] of Object.entries(fields ?? {})) {
      listed.add(path);
      const field: FieldSpec = typeof f === 'string' ? { property: f } : f;
      let value = getPath(object, path);
      if (value === undefined || value === null) continue;
      if (field.ignore?.includes(value as Scalar)) continue;
      if (field.format === 'color_hex') value = hexOfChannels(value);
      const name = renderTemplate(field.property ?? path, captures).text;
      this.add(name, value, field, captures);
    }
    if (this.spec.others === 'ignore') return;

    const exclude = new Set(this.spec.exclude ?? []);
    const found = leaves(object).filter(({ path, value }) => {
      const joined = path.join('.');
      return !listed.has(joined) && !exclude.has(joined) && !exclude.has(path[0]!)
        && !exclude.has(path[path.length - 1]!) && value !== null && !Array.isArray(value);
    });
    const nameOf = (path: string[], whole: boolean) => {
      const raw = whole ? path.join('_') : path[path.length - 1]!;
      return this.spec.naming === 'snake' ? snake(raw) : raw;
    };
    const leafOnly = this.spec.nested === 'leaf';
    const counts = new Map<string, number>();
    for (const { path } of found) {
      const n = nameOf(path, !leafOnly);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    for (const { path, value } of found) {
      let name = nameOf(path, !leafOnly);
      if ((counts.get(name) ?? 0) > 1 || Object.hasOwn(this.result.readings, name)) {
        name = nameOf(path, true);
      }
      this.add(name, value, {}, captures);
    }
  }

  readScalar(text: string, captures: Record<string, string>): string | undefined {
    const name = renderTemplate(this.spec.property ?? 'value', captures).text;
    const format = this.spec.format ?? 'auto';
    const trimmed = text.trim();
    const datatype = this.device.properties[name]?.datatype;
    const field: FieldSpec = { unit: this.spec.unit, deviceClass: this.spec.deviceClass };

    const asNumber = trimmed === '' ? NaN : Number(trimmed);
    if (format === 'number' || datatype === 'integer' || datatype === 'float') {
      if (!Number.isFinite(asNumber)) return `expected a number, got ${JSON.stringify(trimmed)}`;
      this.add(name, asNumber, field, captures);
      return undefined;
    }
    if (format === 'boolean' || datatype === 'boolean') {
      const b = toBoolean(trimmed, this.spec.booleans ?? { true: true, false: false });
      if (b === undefined) return `expected an on/off state, got ${JSON.stringify(trimmed)}`;
      this.add(name, b, field, captures);
      return undefined;
    }
    if (format === 'string' || datatype !== undefined) {
      this.add(name, text, field, captures);
      return undefined;
    }
    const b = toBoolean(trimmed, this.spec.booleans);
    this.add(name, b ?? (Number.isFinite(asNumber) ? asNumber : text), field, captures);
    return undefined;
  }
}

/** The units a message names in its unit keys, by device class. */
function unitsGiven(unitKeys: Record<string, UnitKeySpec>, object: Record<string, unknown>):
  Map<string, string> {
  const units = new Map<string, string>();
  for (const [key, { deviceClass, names }] of Object.entries(unitKeys)) {
    const given = object[key];
    if (typeof given !== 'string' || given.trim() === '') continue;
    const name = names && Object.hasOwn(names, given) ? names[given]! : given.trim();
    units.set(deviceClass, name);
  }
  return units;
}

/** `each` key patterns, compiled once: profiles are loaded once and never change. */
const keyPatterns = new Map<string, TopicPattern>();

function keyPatternOf(key: string): TopicPattern {
  let pattern = keyPatterns.get(key);
  if (!pattern) keyPatterns.set(key, pattern = compilePattern(key));
  return pattern;
}

/** Reads a payload's readings as the rule's payload spec says. */
export function readPayload(spec: PayloadSpec, text: string, captures: Record<string, string>,
  device: LearnedDevice): ReadOutcome {
  const reader = new Reader(spec, device);
  const format = spec.format ?? 'auto';
  const wantsJson = format === 'json' || (format === 'auto' && looksLikeJson(text))
    || spec.when !== undefined || spec.each !== undefined;

  if (!wantsJson) {
    const reason = reader.readScalar(text, captures);
    return reason ? { ok: false, reason } : { ok: true, result: reader.result };
  }
  const json = parseJson(text);
  if (!json.ok) return json;
  if (!isPlainObject(json.value)) return { ok: false, reason: 'expected a JSON object' };
  if (!holds(spec.when, json.value)) return { ok: true, result: reader.result };
  if (spec.unitKeys) reader.unitsByClass = unitsGiven(spec.unitKeys, json.value);

  if (spec.each) {
    const read = new Set<string>();
    for (const entry of spec.each) {
      const container = getPath(json.value, entry.path);
      const keyPattern = keyPatternOf(entry.key);
      // A list's elements are keyed by their keyField (a NotifyEvent's component).
      type Item = { key: string; id: string; inner: unknown };
      const items: Item[] = Array.isArray(container) && entry.keyField
        ? container.flatMap((inner, i): Item[] => {
          const key = isPlainObject(inner) ? inner[entry.keyField!] : undefined;
          return typeof key === 'string' ? [{ key, id: `${entry.path}\u0000${i}`, inner }] : [];
        })
        : isPlainObject(container) ? Object.entries(container)
          .map(([key, inner]) => ({ key, id: `${entry.path}\u0000${key}`, inner })) : [];
      for (const { key, id, inner } of items) {
        const keyCaptures = keyPattern.match(key);
        if (!keyCaptures || !isPlainObject(inner) || read.has(id)) continue;
        if (entry.where && Object.entries(entry.where)
          .some(([k, allowed]) => !allowed.includes(keyCaptures[k]!))) continue;
        read.add(id);
        reader.readObject(inner, { ...captures, ...keyCaptures }, entry.fields ?? spec.fields);
      }
    }
  } else {
    reader.readObject(json.value, captures);
  }
  return { ok: true, result: reader.result };
}
