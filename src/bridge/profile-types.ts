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
    values?: string[]; min?: number; max?: number; unit?: string }>;
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

export interface ParsedMessage {
  /** Profile name plus the device's own ID: stable across renames. */
  profile: string;
  deviceId: string;
  friendlyName?: string;
  updates: DeviceUpdate[];
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
