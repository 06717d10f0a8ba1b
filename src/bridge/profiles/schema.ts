import { checkSchema, type Problem, type SchemaNode } from '../../config/check.js';
import { captureNames, compilePattern } from './topic-pattern.js';
import type { CommandsSpec, ProfileSpec, RuleSpec } from './spec.js';

/**
 * The profile file format as a schema, checked with the config checker (which names each
 * failing field by its dotted key) plus the checks a schema cannot say: patterns compile,
 * map values have the right type, each rule kind has its section.
 */
const str: SchemaNode = { type: 'string', minLength: 1, description: 'a non-empty string' };
const source: SchemaNode = { type: ['string', 'array'], items: str,
  description: 'a source: "{capture}" template, JSON path, or a list of them' };
const scalar: SchemaNode = { type: ['string', 'number', 'boolean'], description: 'a scalar' };
const scalars: SchemaNode = { type: 'array', items: scalar, description: 'a list of scalars' };
const map: SchemaNode = { type: 'object', description: 'a map' };
const qos: SchemaNode = { type: 'integer', enum: [0, 1, 2], description: 'a QoS of 0, 1 or 2' };
const condition: SchemaNode = {
  type: 'object', additionalProperties: false, required: ['path', 'in'],
  properties: { path: { type: 'string' }, in: scalars },
};
const colorHex: SchemaNode = { type: 'string', enum: ['color_hex'], description: 'color_hex' };
const capabilityKind: SchemaNode = { type: 'string', enum: ['binary', 'numeric', 'enum', 'text'],
  description: 'binary, numeric, enum or text' };

function object(properties: Record<string, SchemaNode>, required: string[] = []): SchemaNode {
  return { type: 'object', additionalProperties: false, required, properties };
}

const command = object({ topic: str, payload: { type: 'string' }, qos,
  retain: { type: 'boolean' }, confirms: { type: 'boolean' } }, ['topic', 'payload']);

const propertyCommands = object({
  on: command, off: command, toggle: command, set: command, get: command,
});

const commands = object({
  qos, retain: { type: 'boolean' }, defaultProperty: source, names: map,
  binary: object({ on: scalar, off: scalar }, ['on', 'off']),
  on: command, off: command, toggle: command, set: command, get: command, getAll: command,
  properties: map,
});

const capabilityDecl = object({ kind: capabilityKind, property: str, valueOn: scalar,
  valueOff: scalar, min: { type: 'number' }, max: { type: 'number' },
  values: { type: 'array', items: str, description: 'a list of strings' }, format: colorHex },
['kind']);

const unitKey = object({ deviceClass: str, names: map }, ['deviceClass']);

const rule: SchemaNode = object({
  pattern: str,
  kind: { type: 'string', description: 'a rule kind: readings, availability, info, device-list, ' +
    'event, property-meta, entity-discovery or ignore', enum: ['readings', 'availability', 'info',
    'device-list', 'event', 'property-meta', 'entity-discovery', 'ignore'] },
  retained: { type: 'boolean' },
  where: map,
  known_names: { type: 'array', items: str },
  device: object({ id: source, name: source }),
  payload: object({
    format: { type: 'string', enum: ['auto', 'json', 'number', 'boolean', 'string'],
      description: 'auto, json, number, boolean or string' },
    property: str, unit: str, deviceClass: str, fields: map,
    others: { type: 'string', enum: ['flatten', 'ignore'], description: 'flatten or ignore' },
    naming: { type: 'string', enum: ['keep', 'snake'], description: 'keep or snake' },
    nested: { type: 'string', enum: ['path', 'leaf'], description: 'path or leaf' },
    exclude: { type: 'array', items: str }, booleans: map, when: condition,
    unitKeys: map,
    each: { type: 'array',
      items: object({ path: { type: 'string' }, key: str, keyField: str, where: map,
        fields: map }, ['path', 'key']) },
  }),
  availability: object({ path: str, online: scalars, offline: scalars, ignore: scalars },
    ['online', 'offline']),
  info: object({ format: { type: 'string', enum: ['json', 'string'] }, friendlyName: source,
    model: source, vendor: source, description: source }),
  event: object({ when: condition, newName: source,
    update: { type: 'string', enum: ['removed', 'renamed'], description: 'removed or renamed' } },
  ['when', 'update']),
  list: object({ path: { type: 'string' }, skip: condition, model: source, vendor: source,
    description: source,
    capabilities: object({ path: { type: 'string' }, children: str, property: str, kind: str,
      kinds: map, values: str, min: str, max: str, unit: str, valueOn: str, valueOff: str,
      access: object({ path: str, bit: { type: 'integer', minimum: 1 } }, ['path', 'bit']),
      composite: object({ kind: str, name: str, kinds: map, formats: map },
        ['kind', 'name', 'kinds']) },
    ['path', 'property', 'kind', 'kinds']) }),
  meta: object({ property: str, attribute: str }, ['property', 'attribute']),
  discovery: object({ abbreviations: map, deviceAbbreviations: map, baseTopicKey: str,
    deviceComponent: str,
    id: source, friendlyName: source, property: source, model: source, vendor: source,
    components: map }, ['id', 'property', 'components']),
  capability: { ...capabilityDecl, type: ['object', 'array'], items: capabilityDecl,
    description: 'a capability { kind, property, ... } or a list of them' },
  commands,
}, ['pattern', 'kind']);

const profileSchema: SchemaNode = object({
  name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'a lowercase name' },
  description: { type: 'string' },
  maxPayloadBytes: { type: 'integer', minimum: 1, description: 'a positive byte count' },
  events: { type: 'array', items: str, description: 'a list of property names' },
  rules: { type: 'array', items: rule, description: 'a list of rules' },
  configRule: { type: 'object' },
  commands,
}, ['name', 'rules']);

const fieldSpec = object({ property: str, unit: str, deviceClass: str,
  scale: { type: 'number' }, ignore: scalars, format: colorHex });

const SECTION: Partial<Record<RuleSpec['kind'], keyof RuleSpec>> = {
  availability: 'availability', 'device-list': 'list', event: 'event',
  'property-meta': 'meta', 'entity-discovery': 'discovery',
};

function checkMap(value: unknown, field: string, ok: (v: unknown) => boolean, what: string):
  Problem[] {
  if (value === undefined) return [];
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => !ok(v))
    .map(([k, v]) => ({
      field: `${field}.${k}`, message: `expected ${what}, got ${JSON.stringify(v)}`,
    }));
}

function checkRule(rule: RuleSpec, field: string): Problem[] {
  const problems: Problem[] = [];
  try {
    compilePattern(rule.pattern);
  } catch (err) {
    problems.push({ field: `${field}.pattern`, message: (err as Error).message });
  }
  const section = SECTION[rule.kind];
  if (section && rule[section] === undefined) {
    problems.push({
      field: `${field}.${section}`, message: `missing (a ${rule.kind} rule needs it)`,
    });
  }
  const captures = new Set(captureNames(rule.pattern));
  for (const key of Object.keys(rule.where ?? {})) {
    if (!captures.has(key)) {
      problems.push({ field: `${field}.where.${key}`, message: 'no such capture' });
    }
  }
  for (const [i, key] of (rule.known_names ?? []).entries()) {
    if (!captures.has(key)) {
      problems.push({ field: `${field}.known_names.${i}`, message: 'no such capture' });
    }
  }
  const isString = (v: unknown) => typeof v === 'string';
  const isList = (v: unknown) => Array.isArray(v) && v.every(isString);
  problems.push(...checkMap(rule.where, `${field}.where`, isList, 'a list of strings'));
  problems.push(...checkMap(rule.payload?.booleans, `${field}.payload.booleans`,
    (v) => typeof v === 'boolean', 'true or false'));
  const isUnitKey = (v: unknown) => checkSchema(unitKey, v).length === 0
    && Object.values((v as { names?: object }).names ?? {}).every(isString);
  problems.push(...checkMap(rule.payload?.unitKeys, `${field}.payload.unitKeys`, isUnitKey,
    '{ deviceClass, names } with names a map of strings'));
  const isField = (v: unknown) => isString(v) || checkSchema(fieldSpec, v).length === 0;
  const fieldMessage =
    'a property name or { property, unit, deviceClass, scale, ignore, format }';
  problems.push(...checkMap(rule.payload?.fields, `${field}.payload.fields`, isField,
    fieldMessage));
  for (const [i, each] of (rule.payload?.each ?? []).entries()) {
    problems.push(...checkMap(each.fields, `${field}.payload.each.${i}.fields`, isField,
      fieldMessage));
    problems.push(...checkMap(each.where, `${field}.payload.each.${i}.where`, isList,
      'a list of strings'));
    const keyCaptures = new Set(captureNames(each.key));
    for (const key of Object.keys(each.where ?? {})) {
      if (!keyCaptures.has(key)) {
        problems.push({ field: `${field}.payload.each.${i}.where.${key}`,
          message: 'no such capture' });
      }
    }
  }
  const isKind = (v: unknown) => ['binary', 'numeric', 'enum', 'text'].includes(v as string);
  problems.push(...checkMap(rule.list?.capabilities?.kinds, `${field}.list.capabilities.kinds`,
    isKind, 'binary, numeric, enum or text'));
  problems.push(...checkMap(rule.list?.capabilities?.composite?.kinds,
    `${field}.list.capabilities.composite.kinds`, isKind, 'binary, numeric, enum or text'));
  problems.push(...checkMap(rule.list?.capabilities?.composite?.formats,
    `${field}.list.capabilities.composite.formats`, (v) => v === 'color_hex', 'color_hex'));
  problems.push(...checkMap(rule.discovery?.components, `${field}.discovery.components`,
    (v) => ['binary', 'numeric', 'enum', 'text', 'sensor', 'binary_sensor'].includes(v as string),
    'binary, numeric, enum, text, sensor or binary_sensor'));
  return problems;
}

/** Every problem of a parsed profile file, each under its dotted field. */
export function checkProfile(value: unknown): Problem[] {
  const problems = checkSchema(profileSchema, value);
  if (problems.length > 0) return problems;
  const spec = value as ProfileSpec;
  problems.push(...spec.rules.flatMap((r, i) => checkRule(r, `rules.${i}`)));
  if (spec.configRule) {
    const template = { ...spec.configRule, pattern: 'x' } as RuleSpec;
    problems.push(...checkSchema(rule, template)
      .map((p) => ({ ...p, field: `configRule.${p.field}` })));
  }
  const commandSets: Array<[string, CommandsSpec | undefined]> = [['commands', spec.commands],
    ...spec.rules.map((r, i): [string, CommandsSpec | undefined] =>
      [`rules.${i}.commands`, r.commands])];
  for (const [field, set] of commandSets) {
    problems.push(...checkMap(set?.names, `${field}.names`, (v) => typeof v === 'string',
      'a string'));
    for (const [name, own] of Object.entries(set?.properties ?? {})) {
      problems.push(...checkSchema(propertyCommands, own, [field, 'properties', name]));
    }
  }
  return problems;
}
