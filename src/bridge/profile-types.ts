/**
 * What a device profile (devices/*.yaml, data not code) turns MQTT messages into, and what
 * it turns chat commands into. The bridge core works only with these shapes.
 */

/** One measured or reported property of a device. */
export interface Reading {
  value: number | string | boolean;
  unit?: string;
  /** e.g. temperature, humidity, battery, power (Home Assistant's device classes). */
  deviceClass?: string;
}

export interface DeviceInfo {
  model?: string;
  vendor?: string;
  description?: string;
  /** Properties the device can be commanded to change, with their kind. */
  capabilities?: Array<{ property: string; kind: 'binary' | 'numeric' | 'enum' | 'text';
    values?: string[]; min?: number; max?: number; unit?: string;
    /** Text only: the form a value must have; `color_hex` is a colour as #rrggbb. */
    format?: 'color_hex';
    /** Binary only: how the device writes on and off (Zigbee2MQTT value_on/value_off). */
    valueOn?: string | number | boolean; valueOff?: string | number | boolean }>;
}

/** The outcome of one MQTT message for one device. */
export type DeviceUpdate =
  | { kind: 'readings'; readings: Record<string, Reading> }
  | { kind: 'availability'; online: boolean }
  /** Discovery or metadata: the device exists and this is what it is. */
  | { kind: 'info'; friendlyName?: string; info: DeviceInfo }
  /** The device was removed (empty HA config, Zigbee2MQTT removal). */
  | { kind: 'removed' }
  | { kind: 'renamed'; friendlyName: string };

/**
 * `updates` may be empty: the message was the profile's and needs nothing done (a repeated
 * device list, a Homie attribute, a cleared retained topic). `deviceId` is empty only then,
 * when the message concerned no device at all.
 */
export interface ParsedMessage {
  /** Profile name plus the device's own ID: stable across renames. */
  profile: string;
  deviceId: string;
  friendlyName?: string;
  updates: DeviceUpdate[];
  /**
   * Further devices the same message spoke of (a Zigbee2MQTT device list, a state topic that
   * several discovered devices share): handle each like the top-level one.
   */
  more?: ParsedMessage[];
  /**
   * Topics learned from this message (Home Assistant discovery's state and availability
   * topics) that the bridge must now subscribe to, ordinarily (never shared): they carry
   * retained data. Profile.subscriptions() lists them too from now on.
   */
  subscribe?: string[];
}

/** A message the profile recognised by topic but could not read. */
export interface ParseFailure {
  profile: string;
  reason: string;
}

/** A chat command, already parsed from `!on`, `!set brightness 50`, ... */
export type DeviceCommand =
  | { kind: 'on' | 'off' | 'toggle' }
  | { kind: 'set'; property: string; value: string }
  | { kind: 'get'; property?: string };

export interface OutgoingPublish {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The property whose next reported value confirms the command, if any. */
  confirms?: { property: string; value?: string | number | boolean };
}
