/**
 * The shape of a profile file (devices/*.yaml) after YAML parsing; schema.ts checks a file
 * against it. The shipped profiles are the worked examples.
 *
 * A Source says where a value comes from: a string with `{capture}` placeholders is filled
 * from the topic's captures; any other string is a dotted JSON path into the payload; a
 * list tries each in turn and takes the first that gives a value.
 */
export type Source = string | string[];
export type Scalar = string | number | boolean;
export type CapabilityKind = 'binary' | 'numeric' | 'enum' | 'text';

export interface Condition { path: string; in: Scalar[] }

export interface FieldSpec {
  property?: string;
  unit?: string;
  deviceClass?: string;
  /** Multiplies numbers (e.g. mV reported, V wanted: 0.001). */
  scale?: number;
  /** Values that are no reading (a Shelly input's btn_down and btn_up beside single_push). */
  ignore?: Scalar[];
  /** color_hex: a list [r, g, b] (0 to 255 each), read as #rrggbb. */
  format?: 'color_hex';
}

export interface PayloadSpec {
  /** auto: a JSON object is read by fields, anything else as one scalar. */
  format?: 'auto' | 'json' | 'number' | 'boolean' | 'string';
  /** The property a scalar payload reports, e.g. "{name}" or "state". */
  property?: string;
  unit?: string;
  deviceClass?: string;
  /** JSON path → property name or field spec. Listed fields come first. */
  fields?: Record<string, string | FieldSpec>;
  /** What to do with JSON leaves not named in fields (default flatten: one per leaf). */
  others?: 'flatten' | 'ignore';
  /** Flattened leaves keep their key, or are snake_cased (ApparentPower → apparent_power). */
  naming?: 'keep' | 'snake';
  /**
   * A nested leaf is named by its whole path joined with `_` (color.x → color_x, the default)
   * or by its last key alone (AM2301.Temperature → Temperature), the path only when two
   * leaves would share a name.
   */
  nested?: 'path' | 'leaf';
  /** Paths (and top-level keys) never reported. */
  exclude?: string[];
  /** Strings that mean a boolean state, e.g. { ON: true, OFF: false }. */
  booleans?: Record<string, boolean>;
  /**
   * Top-level keys whose value is the unit of the message's readings of one device class
   * (Tasmota's `TempUnit: F` beside its temperatures), spelt as `names` maps it, else as sent.
   */
  unitKeys?: Record<string, UnitKeySpec>;
  /** Read the message only when this holds (e.g. method NotifyStatus). */
  when?: Condition;
  /**
   * Read the keys of the object at `path` whose name matches `key` (with captures), each by
   * the first entry that takes it, with that entry's own fields if it has them (Shelly's
   * NotifyStatus carries "switch:0", "temperature:0"... side by side).
   */
  each?: EachSpec[];
}

export interface UnitKeySpec {
  deviceClass: string;
  /** The unit for each value of the key (C: °C); a value not listed is the unit as it is. */
  names?: Record<string, string>;
}

export interface EachSpec {
  path: string;
  /**
   * The pattern each entry's key must match. Where `path` holds a list (Shelly's
   * NotifyEvent `events`), each element's `keyField` is its key.
   */
  key: string;
  keyField?: string;
  /** Allowed values per key capture, as a rule's `where` (e.g. channel: ["0"]). */
  where?: Record<string, string[]>;
  fields?: Record<string, string | FieldSpec>;
}

export interface AvailabilitySpec {
  /** JSON path to the state when the payload is a JSON object ({"state":"online"}). */
  path?: string;
  online: Scalar[];
  offline: Scalar[];
  /** Payloads that say nothing about availability (Homie init, sleeping, alert). */
  ignore?: Scalar[];
}

export interface InfoSpec {
  format?: 'json' | 'string';
  friendlyName?: Source;
  model?: Source;
  vendor?: Source;
  description?: Source;
}

export interface EventSpec {
  when: Condition;
  update: 'removed' | 'renamed';
  /** For renamed: the new friendly name. */
  newName?: Source;
}

export interface CapabilitiesSpec {
  path: string;
  /** Nested lists to descend into (Zigbee2MQTT `features` of a light or switch). */
  children?: string;
  property: string;
  kind: string;
  kinds: Record<string, CapabilityKind>;
  values?: string;
  min?: string;
  max?: string;
  unit?: string;
  valueOn?: string;
  valueOff?: string;
  /** Only entries whose access field has this bit set can be commanded. */
  access?: { path: string; bit: number };
  /**
   * Entries of this kind name (Zigbee2MQTT `composite`) hold the parts of one property
   * (`color` has `x` and `y`): their children are not walked as properties of their own.
   * Those whose `name` field is listed under `kinds` are commanded as a whole, with that
   * kind (color_xy: text, so `!set color #ff8800`).
   */
  composite?: { kind: string; name: string; kinds: Record<string, CapabilityKind>;
    /** The form of a composite's value by its name (color_xy: color_hex). */
    formats?: Record<string, 'color_hex'> };
}

export interface DeviceListSpec {
  path?: string;
  skip?: Condition;
  model?: Source;
  vendor?: Source;
  description?: Source;
  capabilities?: CapabilitiesSpec;
}

export interface MetaSpec {
  /** The property the attribute belongs to, e.g. "{property}". */
  property: string;
  /** Which attribute: datatype, unit, settable, format or name (Homie's `$` attributes). */
  attribute: string;
}

export interface DiscoverySpec {
  /** Short keys the discovery payload may use, e.g. stat_t: state_topic. */
  abbreviations?: Record<string, string>;
  deviceAbbreviations?: Record<string, string>;
  /** The key whose value replaces a leading or trailing `~` in topics. */
  baseTopicKey?: string;
  /**
   * The component level that marks a device-based config (`device`): its `components` map
   * holds the entities, each with its `platform`.
   */
  deviceComponent?: string;
  /** Sources in the expanded payload (plus topic captures). */
  id: Source;
  friendlyName?: Source;
  property: Source;
  model?: Source;
  vendor?: Source;
  /** Component → how its entity is read and commanded; others are read as sensors. */
  components: Record<string, CapabilityKind | 'sensor' | 'binary_sensor'>;
}

export interface CapabilityDecl {
  kind: CapabilityKind;
  /** The commandable property, e.g. "switch_{channel}" (default: each reading of the kind). */
  property?: string;
  valueOn?: Scalar;
  valueOff?: Scalar;
  /** A numeric property's range. */
  min?: number;
  max?: number;
  /** An enum property's values, as the device is sent them. */
  values?: string[];
  /** A text property's form: color_hex, a colour as #rrggbb. */
  format?: 'color_hex';
}

export interface RuleSpec {
  pattern: string;
  kind: 'readings' | 'availability' | 'info' | 'device-list' | 'event' | 'property-meta'
    | 'entity-discovery' | 'ignore';
  /** The topic carries retained or discovery data: never share-subscribe it. */
  retained?: boolean;
  /** Allowed values per capture, e.g. component: [switch, light]. */
  where?: Record<string, string[]>;
  /**
   * Captures that, when they span several levels, must be a friendly name the profile knows
   * (from a device list): `zigbee2mqtt/kitchen/lamp` is the device "kitchen/lamp" only if the
   * list has it, and is not a device at all when it is the attribute topic of "kitchen".
   */
  known_names?: string[];
  /** Device ID and friendly name; with only a name, the ID is the one learned for that name. */
  device?: { id?: Source; name?: Source };
  payload?: PayloadSpec;
  availability?: AvailabilitySpec;
  info?: InfoSpec;
  event?: EventSpec;
  list?: DeviceListSpec;
  meta?: MetaSpec;
  discovery?: DiscoverySpec;
  /**
   * Properties read by this rule can be commanded, with this kind; a list when the rule reads
   * several (a light's on/off and brightness): the first that fits a property is its own.
   */
  capability?: CapabilityDecl | CapabilityDecl[];
  /**
   * How the properties this rule reads are commanded, in place of the profile's `commands`
   * (the generic profile's configured topics each have their own command topic).
   */
  commands?: CommandsSpec;
}

export interface CommandSpec {
  topic: string;
  payload: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** Whether the property's next reported value confirms the command (default true). */
  confirms?: boolean;
}

export interface CommandsSpec {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** The property on, off and toggle act on, first one the device has. */
  defaultProperty?: string | string[];
  /** Property → the device's own name for it, filled into {name} (default: the property). */
  names?: Record<string, string>;
  /** How a binary value is written when the device did not say (default ON / OFF). */
  binary?: { on: Scalar; off: Scalar };
  on?: CommandSpec;
  off?: CommandSpec;
  toggle?: CommandSpec;
  set?: CommandSpec;
  get?: CommandSpec;
  /** `!get` without a property. */
  getAll?: CommandSpec;
  /**
   * Commands of their own for some properties, by a name that may hold the captures where
   * the property was read ("light_{channel}"): such a property is commanded with these
   * (on, off, toggle, set, get) instead of the ones above, whichever rule read it.
   */
  properties?: Record<string, PropertyCommands>;
}

/** A property's own commands; qos, retain and binary come from the enclosing commands. */
export type PropertyCommands = Pick<CommandsSpec, 'on' | 'off' | 'toggle' | 'set' | 'get'>;

export interface ProfileSpec {
  name: string;
  description?: string;
  maxPayloadBytes?: number;
  /**
   * Properties that report events, not state (Zigbee2MQTT's `action`): a report that repeats
   * the last one is a new event and goes out, and an empty one is no event at all. A `*`
   * stands for any text (`input_*_event`).
   */
  events?: string[];
  rules: RuleSpec[];
  commands?: CommandsSpec;
  /** generic.yaml only: the rule each configured topic pattern becomes. */
  configRule?: Omit<RuleSpec, 'pattern'>;
}
