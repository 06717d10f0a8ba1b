import type { DeviceInfo } from '../profile-types.js';

export type Capability = NonNullable<DeviceInfo['capabilities']>[number];

/** How a Home Assistant entity is commanded, as its discovery message said. */
export interface EntityCommand {
  component: string;
  commandTopic: string;
  payloadOn?: string;
  payloadOff?: string;
  commandTemplate?: string;
  /**
   * A JSON-schema light: commands are one JSON object with `state` and this key (`state`
   * itself for on and off, `brightness`, `color_temp` or `effect` for its parts).
   */
  jsonKey?: string;
  /**
   * A percentage sent as the device's own number in this range (a cover's position: 0 % is
   * `closed`, 100 % `open`); command templates get the percentage as `variable`.
   */
  range?: { closed: number; open: number; variable: string };
  /** A light's colour is sent in this space (rgb when absent): as an object or as text. */
  colorSpace?: 'rgb' | 'hs' | 'xy';
  /** What each value of an enum is sent as (a cover's open, close, stop). */
  payloads?: Record<string, string>;
  /**
   * Values of an enum that each go to a topic of their own, through that topic's template
   * if it has one (a lawn mower's start_mowing, pause and dock).
   */
  valueTopics?: Record<string, { topic: string; template?: string }>;
  /** The state that confirms each value of an enum (a lock's lock: locked). */
  confirmStates?: Record<string, string>;
  /**
   * Whether the property's next reading confirms a command (a cover moves for longer than a
   * command waits, so its commands are answered as sent).
   */
  confirms?: boolean;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** What a profile learned about one property from the messages it has read. */
export interface LearnedProperty {
  /** The topic captures where the property was last seen ({node}, {channel}, ...). */
  captures?: Record<string, string>;
  unit?: string;
  deviceClass?: string;
  /** Homie `$datatype`: integer, float, boolean, string, enum, color, ... */
  datatype?: string;
  /** Homie `$format`: "0:100" for numbers, "a,b,c" for enums. */
  format?: string;
  settable?: boolean;
  /** The kind of value last reported. */
  type?: 'number' | 'boolean' | 'string';
  /** The pattern of the rule that read it, when that rule has commands of its own. */
  rule?: string;
  /** Commandable with this capability (from the rule or the device's own description). */
  capability?: Capability;
  /** It reports events, not state (a Home Assistant event entity): each report counts. */
  event?: boolean;
  entity?: EntityCommand;
}

/**
 * What a profile learned about a device. Plain JSON, so the bridge core may persist it and
 * pass it back to buildCommand after a restart (Profile.learned(deviceId) gives it).
 */
export interface LearnedDevice {
  friendlyName?: string;
  properties: Record<string, LearnedProperty>;
  /** The device's full list from a device listing (Zigbee2MQTT exposes), when it has one. */
  capabilities?: Capability[];
}

/** The capabilities a device has: its listing's, else those learned property by property. */
export function capabilitiesOf(device: LearnedDevice): Capability[] | undefined {
  if (device.capabilities) return device.capabilities;
  const caps = Object.values(device.properties)
    .flatMap((p) => (p.capability ? [p.capability] : []));
  return caps.length > 0 ? caps : undefined;
}

/** Capabilities of a Homie-style property from its datatype and format. */
export function capabilityFromMeta(property: string, p: LearnedProperty): Capability | undefined {
  if (!p.settable || !p.datatype) return undefined;
  switch (p.datatype) {
    case 'boolean':
      return { property, kind: 'binary', valueOn: true, valueOff: false };
    case 'integer':
    case 'float': {
      const [min, max] = (p.format ?? '').split(':').map((x) => (x === '' ? NaN : Number(x)));
      const cap: Capability = { property, kind: 'numeric' };
      if (Number.isFinite(min)) cap.min = min;
      if (Number.isFinite(max)) cap.max = max;
      if (p.unit) cap.unit = p.unit;
      return cap;
    }
    case 'enum':
      return { property, kind: 'enum', values: (p.format ?? '').split(',').filter(Boolean) };
    default:
      return { property, kind: 'text' };
  }
}
