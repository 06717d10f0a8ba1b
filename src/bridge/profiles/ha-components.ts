import { colorSpaceOf, type ColorSpace } from './colors.js';
import type { Capability, EntityCommand } from './learned.js';

// What Home Assistant's MQTT components are made of, as discovery reads them: the parts an
// entity has beside its own state (a light's brightness, a cover's position, a thermostat's
// setpoint...), each with its config keys and how it is set, and the components moved by
// words (a cover opens, a lock locks). ha-discovery.ts reads and commands entities with them.

export type Config = Record<string, unknown>;

/** A config value as text (numbers and booleans too), else undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * A number from the config, or Home Assistant's default for it. Numbers written as text
 * count too: Home Assistant coerces them, and Zigbee2MQTT announces a thermostat's
 * min_temp and max_temp as "5" and "30".
 */
export function num(config: Config, key: string, fallback: number): number {
  const v = config[key];
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** Only the parts the config has topics for. */
function announced(parts: Part[], config: Config): Part[] {
  return parts.filter((p) => {
    const keys = partKeys(p);
    return typeof config[keys.stateTopic] === 'string'
      || typeof config[keys.commandTopic] === 'string';
  });
}

/**
 * A property an entity has beside its own state: a light's brightness, a cover's position, a
 * fan's speed, a thermostat's setpoint... Its JSON key (and topic prefix), and how it is set.
 * Its config keys are `<key>_state_topic`, `<key>_value_template`, `<key>_command_topic` and
 * `<key>_command_template` unless `keys` names others.
 */
export interface Part {
  key: string;
  property: string;
  capability?: Capability;
  keys?: { stateTopic: string; template: string; commandTopic: string; commandTemplate: string };
  /** Its commands are answered as sent, not confirmed by a reading. */
  unconfirmed?: boolean;
  /** How a part without a capability (read only) is read, its unit and device class. */
  kind?: string;
  unit?: string;
  deviceClass?: string;
  /** A percentage the device writes in a range of its own (a cover's position and tilt). */
  range?: PercentRange;
  /** A light's colour: read as #rrggbb and set from it, in the light's own colour space. */
  colorSpace?: ColorSpace;
}

/**
 * Components moved by words: a cover or a valve opens, closes and stops (a valve only where
 * its config says how), a button is pressed, a lock locks, unlocks and (where its config
 * says how) opens. Each command with its payload key and Home Assistant's default payload
 * (null: only when the config gives one) and the state it leads to (a lock's command is
 * confirmed when the lock reports it; a cover moves for longer than a command waits, so its
 * commands are answered as sent); each state with its default word.
 */
export interface Worded {
  commands: Array<{ value: string;
    /** The config key of its payload; without one, `fallback` is always its payload. */
    key?: string; fallback: string | null; state?: string;
    /** Offered only where supported_features lists this, when the config has that list. */
    feature?: string;
    /**
     * It goes to a topic of its own, `<value>_command_topic` (offered only where the config
     * names one), through `<value>_command_template` (a lawn mower's start_mowing...).
     */
    ownTopic?: boolean }>;
  states: Array<[state: string, fallback: string]>;
  /** The features Home Assistant assumes when the config lists no supported_features. */
  defaultFeatures?: string[];
}

/** What Home Assistant takes a vacuum to support when its config does not say. */
const VACUUM_FEATURES = ['start', 'stop', 'return_home', 'battery', 'clean_spot'];

/** The supported_features a config lists, else `fallback` (undefined: everything). */
function featuresOf(config: Config, fallback?: string[]): string[] | undefined {
  return Array.isArray(config.supported_features)
    ? config.supported_features.map(String) : fallback;
}

/** An alarm panel's arming commands, each offered where its supported_features say so. */
const ARMING = ['arm_home', 'arm_away', 'arm_night', 'arm_vacation', 'arm_custom_bypass'];

export const WORDED: Record<string, Worded> = {
  cover: {
    commands: [{ value: 'open', key: 'payload_open', fallback: 'OPEN' },
      { value: 'close', key: 'payload_close', fallback: 'CLOSE' },
      { value: 'stop', key: 'payload_stop', fallback: 'STOP' }],
    states: [['open', 'open'], ['opening', 'opening'], ['closed', 'closed'],
      ['closing', 'closing'], ['stopped', 'stopped']],
  },
  valve: {
    commands: [{ value: 'open', key: 'payload_open', fallback: 'OPEN' },
      { value: 'close', key: 'payload_close', fallback: 'CLOSE' },
      { value: 'stop', key: 'payload_stop', fallback: null }],
    states: [['open', 'open'], ['opening', 'opening'], ['closed', 'closed'],
      ['closing', 'closing']],
  },
  button: {
    commands: [{ value: 'press', key: 'payload_press', fallback: 'PRESS' }],
    states: [],
  },
  // Its states are Home Assistant's own words; arming takes its exit delay, longer than a
  // command waits, so its commands are answered as sent.
  alarm_control_panel: {
    commands: [
      ...ARMING.map((value) => ({ value, key: `payload_${value}`,
        fallback: value.toUpperCase(), feature: value })),
      { value: 'disarm', key: 'payload_disarm', fallback: 'DISARM' },
      { value: 'trigger', key: 'payload_trigger', fallback: 'TRIGGER', feature: 'trigger' },
    ],
    states: ['disarmed', 'armed_home', 'armed_away', 'armed_night', 'armed_vacation',
      'armed_custom_bypass', 'pending', 'triggered', 'arming', 'disarming']
      .map((state) => [state, state]),
  },
  // A vacuum reports its state in the JSON of its state topic. It takes a while to start,
  // dock or stop, so its commands are answered as sent.
  vacuum: {
    commands: [
      { value: 'start', key: 'payload_start', fallback: 'start', feature: 'start' },
      { value: 'pause', key: 'payload_pause', fallback: 'pause', feature: 'pause' },
      { value: 'stop', key: 'payload_stop', fallback: 'stop', feature: 'stop' },
      { value: 'return_to_base', key: 'payload_return_to_base', fallback: 'return_to_base',
        feature: 'return_home' },
      { value: 'clean_spot', key: 'payload_clean_spot', fallback: 'clean_spot',
        feature: 'clean_spot' },
      { value: 'locate', key: 'payload_locate', fallback: 'locate', feature: 'locate' },
    ],
    states: ['cleaning', 'docked', 'idle', 'paused', 'returning', 'error']
      .map((state) => [state, state]),
    defaultFeatures: VACUUM_FEATURES,
  },
  // A lawn mower's commands each have a topic of their own, and send their own name.
  lawn_mower: {
    commands: ['start_mowing', 'pause', 'dock']
      .map((value) => ({ value, fallback: value, ownTopic: true })),
    states: ['mowing', 'paused', 'docked', 'returning', 'error'].map((state) => [state, state]),
  },
  lock: {
    commands: [{ value: 'lock', key: 'payload_lock', fallback: 'LOCK', state: 'locked' },
      { value: 'unlock', key: 'payload_unlock', fallback: 'UNLOCK', state: 'unlocked' },
      { value: 'open', key: 'payload_open', fallback: null, state: 'open' }],
    states: [['locked', 'LOCKED'], ['unlocked', 'UNLOCKED'], ['locking', 'LOCKING'],
      ['unlocking', 'UNLOCKING'], ['jammed', 'JAMMED'], ['open', 'OPEN'], ['opening', 'OPENING']],
  },
};

/**
 * A worded component's commands, as an enum and the payloads it is sent as; a command is
 * left out when the config sets its payload to null (a cover that cannot stop), or names
 * no topic for a command that needs one of its own.
 */
export function wordedCommands(words: Worded, property: string, config: Config): {
  capability: Capability; payloads: Record<string, string>; states: Record<string, string>;
  topics: NonNullable<EntityCommand['valueTopics']>;
} {
  const payloads: Record<string, string> = {};
  const states: Record<string, string> = {};
  const topics: NonNullable<EntityCommand['valueTopics']> = {};
  const features = featuresOf(config, words.defaultFeatures);
  for (const { value, key, fallback, state, feature, ownTopic } of words.commands) {
    if (feature && features && !features.includes(feature)) continue;
    if (ownTopic) {
      const topic = str(config[`${value}_command_topic`]);
      if (!topic) continue;
      const template = str(config[`${value}_command_template`]);
      topics[value] = template ? { topic, template } : { topic };
    }
    const payload = key === undefined ? fallback
      : config[key] === null ? undefined : str(config[key]) ?? fallback;
    if (payload === undefined || payload === null) continue;
    payloads[value] = payload;
    if (state) states[value] = state;
  }
  return { capability: { property, kind: 'enum', values: Object.keys(payloads) }, payloads,
    states, topics };
}

/** A worded component's words for its states (state_open...) to the standard ones. */
export function wordedStates(words: Worded, config: Config): Map<string, string> {
  return new Map(words.states.map(([state, fallback]) =>
    [str(config[`state_${state}`]) ?? fallback, state]));
}

/**
 * A cover's position and tilt, each when its config has topics for it: percentages, as Home
 * Assistant shows them, that the device writes from position_closed (default 0) to
 * position_open (default 100), and from tilt_min (0) to tilt_max (100).
 */
function coverParts(property: string, config: Config): Part[] {
  const parts = [
    percentPart(property, 'position', positionRange(config),
      { stateTopic: 'position_topic', template: 'position_template',
        commandTopic: 'set_position_topic', commandTemplate: 'set_position_template' }),
    percentPart(property, 'tilt', { closed: num(config, 'tilt_min', 0),
      open: num(config, 'tilt_max', 100), variable: 'tilt_position' },
    { stateTopic: 'tilt_status_topic', template: 'tilt_status_template',
      commandTopic: 'tilt_command_topic', commandTemplate: 'tilt_command_template' }),
  ];
  return announced(parts, config);
}

/** A percentage (0 to 100) the device writes in `range`, answered as sent: it moves a while. */
function percentPart(property: string, key: string, range: PercentRange, keys: Part['keys']):
  Part {
  return { key, property: `${property}_${key}`, unconfirmed: true, keys, range,
    capability: { property: `${property}_${key}`, kind: 'numeric', min: 0, max: 100,
      unit: '%' } };
}

/** A cover's or valve's position: position_closed (default 0) is 0 %, position_open 100 %. */
function positionRange(config: Config): PercentRange {
  return { closed: num(config, 'position_closed', 0), open: num(config, 'position_open', 100),
    variable: 'position' };
}

/**
 * A fan's speed (in the device's own range, speed_range_min to speed_range_max, which Home
 * Assistant maps to a percentage), preset mode (one of preset_modes), direction (forward
 * or reverse) and oscillation (on or off, in its own payloads), each when its config has
 * topics for it.
 */
function fanParts(property: string, config: Config): Part[] {
  const parts: Part[] = [
    { key: 'speed', property: `${property}_speed`,
      capability: { property: `${property}_speed`, kind: 'numeric',
        min: num(config, 'speed_range_min', 1), max: num(config, 'speed_range_max', 100) },
      keys: { stateTopic: 'percentage_state_topic', template: 'percentage_value_template',
        commandTopic: 'percentage_command_topic',
        commandTemplate: 'percentage_command_template' } },
    { key: 'preset_mode', property: `${property}_preset_mode`,
      capability: { property: `${property}_preset_mode`, kind: 'enum',
        values: Array.isArray(config.preset_modes) ? config.preset_modes.map(String) : [] },
      keys: { stateTopic: 'preset_mode_state_topic', template: 'preset_mode_value_template',
        commandTopic: 'preset_mode_command_topic',
        commandTemplate: 'preset_mode_command_template' } },
    { key: 'direction', property: `${property}_direction`,
      capability: { property: `${property}_direction`, kind: 'enum',
        values: ['forward', 'reverse'] } },
    { key: 'oscillation', property: `${property}_oscillation`,
      capability: { property: `${property}_oscillation`, kind: 'binary',
        valueOn: str(config.payload_oscillation_on) ?? 'oscillate_on',
        valueOff: str(config.payload_oscillation_off) ?? 'oscillate_off' } },
  ];
  return announced(parts, config);
}

/**
 * A valve that reports its position (reports_position): its percentage, read from the
 * valve's own state topic (see Entity.valveRange) and set on its command topic.
 */
function valveParts(property: string, config: Config): Part[] {
  if (config.reports_position !== true) return [];
  return [percentPart(property, 'position', positionRange(config),
    { stateTopic: '-', template: '-', commandTopic: 'command_topic',
      commandTemplate: 'command_template' })];
}

/**
 * A vacuum's battery level (read) and fan speed (read, and set on set_fan_speed_topic to one
 * of fan_speed_list), where its supported_features include them: keys of its state's JSON.
 */
function vacuumParts(property: string, config: Config): Part[] {
  const features = featuresOf(config, VACUUM_FEATURES)!;
  const parts: Part[] = [];
  if (features.includes('battery')) {
    parts.push({ key: 'battery_level', property: `${property}_battery`, kind: 'sensor',
      unit: '%', deviceClass: 'battery' });
  }
  if (features.includes('fan_speed')) {
    parts.push({ key: 'fan_speed', property: `${property}_fan_speed`,
      capability: { property: `${property}_fan_speed`, kind: 'enum',
        values: listed(config, 'fan_speed_list', []) },
      keys: { stateTopic: '-', template: '-', commandTopic: 'set_fan_speed_topic',
        commandTemplate: '-' } });
  }
  return parts;
}

/**
 * Home Assistant's defaults for a thermostat: its setpoint range (°C), its target humidity
 * range (%), and its modes, fan modes and swing modes.
 */
interface ClimateDefaults {
  minTemp: number; maxTemp: number; minHumidity: number; maxHumidity: number; modes: string[];
}

const CLIMATE: ClimateDefaults = { minTemp: 7, maxTemp: 35, minHumidity: 30, maxHumidity: 99,
  modes: ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only'] };
/**
 * A water heater is a thermostat with other defaults (43.3 to 60 °C, 110 to 140 °F); a
 * humidifier has a target humidity from 0 to 100 % and modes only as its config lists them.
 */
const WATER_HEATER: ClimateDefaults = { ...CLIMATE, minTemp: 130 / 3, maxTemp: 60,
  modes: ['off', 'eco', 'electric', 'gas', 'heat_pump', 'high_demand', 'performance'] };
const HUMIDIFIER: ClimateDefaults = { ...CLIMATE, minHumidity: 0, maxHumidity: 100, modes: [] };
const FAN_MODES = ['auto', 'low', 'medium', 'high'];
const SWING_MODES = ['on', 'off'];

/** The values of an enum the config lists under `key`, else Home Assistant's defaults. */
function listed(config: Config, key: string, fallback: string[]): string[] {
  const values = config[key];
  return Array.isArray(values) ? values.map(String) : fallback;
}

/**
 * A thermostat (climate) as properties of its own, each on the topics its config names:
 * read, `<p>_current_temperature`, `<p>_current_humidity` and `<p>_action`; read and set,
 * `<p>_temperature` (the setpoint, min_temp to max_temp), `<p>_temperature_low` and
 * `<p>_temperature_high` (a range's two setpoints, in the same limits),
 * `<p>_target_humidity`, and `<p>_mode`, `<p>_fan_mode`, `<p>_swing_mode` and
 * `<p>_preset_mode` (each one of its list).
 */
function climateParts(property: string, config: Config, defaults = CLIMATE): Part[] {
  const fahrenheit = config.temperature_unit === 'F';
  const unit = fahrenheit ? '°F' : '°C';
  const degrees = (celsius: number) => (fahrenheit ? celsius * 9 / 5 + 32 : celsius);
  const keys = (state: string, template: string, command: string) => ({ stateTopic: state,
    template, commandTopic: `${command}_command_topic`,
    commandTemplate: `${command}_command_template` });
  const reading = (key: string, kind: string, partUnit?: string): Part => ({ key, kind,
    property: `${property}_${key}`, unit: partUnit, keys: keys(`${key}_topic`,
      `${key}_template`, '-') });
  const setpoint = (key: string): Part => ({ key, property: `${property}_${key}`, unit,
    deviceClass: 'temperature',
    capability: { property: `${property}_${key}`, kind: 'numeric',
      min: num(config, 'min_temp', Math.round(degrees(defaults.minTemp) * 10) / 10),
      max: num(config, 'max_temp', Math.round(degrees(defaults.maxTemp) * 10) / 10), unit },
    keys: keys(`${key}_state_topic`, `${key}_state_template`, key) });
  const choice = (key: string, values: string[], template = `${key}_state_template`): Part =>
    ({ key, property: `${property}_${key}`,
      capability: { property: `${property}_${key}`, kind: 'enum', values },
      keys: keys(`${key}_state_topic`, template, key) });
  const parts: Part[] = [
    reading('current_temperature', 'sensor', unit),
    reading('current_humidity', 'sensor', '%'),
    setpoint('temperature'),
    setpoint('temperature_low'),
    setpoint('temperature_high'),
    { key: 'target_humidity', property: `${property}_target_humidity`, unit: '%',
      capability: { property: `${property}_target_humidity`, kind: 'numeric',
        min: num(config, 'min_humidity', defaults.minHumidity),
        max: num(config, 'max_humidity', defaults.maxHumidity), unit: '%' },
      keys: keys('target_humidity_state_topic', 'target_humidity_state_template',
        'target_humidity') },
    choice('mode', listed(config, 'modes', defaults.modes)),
    choice('fan_mode', listed(config, 'fan_modes', FAN_MODES)),
    choice('swing_mode', listed(config, 'swing_modes', SWING_MODES)),
    // Unlike the others, a preset mode's state template is a value template.
    choice('preset_mode', listed(config, 'preset_modes', []), 'preset_mode_value_template'),
    reading('action', 'text'),
  ];
  return announced(parts, config);
}

/**
 * A device's own number for a percentage and back: `closed` is 0 %, `open` 100 % (either
 * may be the larger); `variable` names the percentage for command templates.
 */
export interface PercentRange { closed: number; open: number; variable: string }

/** The percentage (0 to 100, whole) a device's number stands for. */
export function percentOf(n: number, range: PercentRange): number {
  const span = range.open - range.closed;
  const percent = span === 0 ? 0 : ((n - range.closed) / span) * 100;
  return Math.round(Math.min(100, Math.max(0, percent)));
}

/** The device's own number (whole) for a percentage. */
export function deviceNumberOf(percent: number, range: PercentRange): number {
  return Math.round(range.closed + (percent / 100) * (range.open - range.closed));
}

export function partKeys(part: Part): NonNullable<Part['keys']> {
  return part.keys ?? { stateTopic: `${part.key}_state_topic`,
    template: `${part.key}_value_template`, commandTopic: `${part.key}_command_topic`,
    commandTemplate: `${part.key}_command_template` };
}

/** Home Assistant's defaults for a light's brightness scale and colour temperature range. */
const BRIGHTNESS_SCALE = 255;
const MIN_MIREDS = 153;
const MAX_MIREDS = 500;
const MIN_KELVIN = 2000;
const MAX_KELVIN = 6535;

/**
 * A light's attributes beside on/off, as its config declares them: brightness (a number up
 * to brightness_scale), colour temperature (mireds, or kelvin with color_temp_kelvin), effect
 * (one of effect_list) and colour (as #rrggbb, whatever the light's own colour space). The
 * default schema declares each by its topics, the JSON schema by flags and
 * supported_color_modes.
 */
function lightParts(property: string, config: Config, json: boolean): Part[] {
  const modes = Array.isArray(config.supported_color_modes)
    ? config.supported_color_modes.map(String) : [];
  const topics = (key: string) => typeof config[`${key}_state_topic`] === 'string'
    || typeof config[`${key}_command_topic`] === 'string';
  const has = (key: string, modeImplies: (mode: string) => boolean) => json
    ? config[key] === true || modes.some(modeImplies)
    : topics(key);
  const parts: Part[] = [];
  if (has('brightness', (m) => m !== 'onoff')) {
    const max = num(config, 'brightness_scale', BRIGHTNESS_SCALE);
    parts.push({ key: 'brightness', property: `${property}_brightness`,
      capability: { property: `${property}_brightness`, kind: 'numeric', min: 0, max } });
  }
  if (has('color_temp', (m) => m === 'color_temp')) {
    const kelvin = config.color_temp_kelvin === true;
    const cap: Capability = { property: `${property}_color_temp`, kind: 'numeric',
      min: kelvin ? num(config, 'min_kelvin', MIN_KELVIN) : num(config, 'min_mireds', MIN_MIREDS),
      max: kelvin ? num(config, 'max_kelvin', MAX_KELVIN) : num(config, 'max_mireds', MAX_MIREDS),
      unit: kelvin ? 'K' : 'mired' };
    parts.push({ key: 'color_temp', property: cap.property, capability: cap });
  }
  if (has('effect', () => false)) {
    const values = Array.isArray(config.effect_list) ? config.effect_list.map(String) : [];
    parts.push({ key: 'effect', property: `${property}_effect`,
      capability: { property: `${property}_effect`, kind: 'enum', values } });
  }
  // Its colour, from the JSON state's `color` or the default schema's rgb, hs or xy topics
  // (the first it has). Answered as sent: a light may report it back normalised.
  const space = json ? colorSpaceOf(modes)
    : (['rgb', 'hs', 'xy'] as const).find((key) => topics(key));
  if (space) {
    parts.push({ key: json ? 'color' : space, property: `${property}_color`, unconfirmed: true,
      colorSpace: space,
      capability: { property: `${property}_color`, kind: 'text', format: 'color_hex' } });
  }
  // Read only: which of its modes the light is in (color_temp, rgb...).
  if (json && modes.length > 0) {
    parts.push({ key: 'color_mode', property: `${property}_color_mode` });
  }
  return parts;
}

/** An entity's parts, as its component and config declare them. */
export function partsOf(component: string, property: string, config: Config, jsonLight: boolean):
  Part[] {
  switch (component) {
    case 'light': return lightParts(property, config, jsonLight);
    case 'cover': return coverParts(property, config);
    case 'climate': return climateParts(property, config);
    case 'water_heater': return climateParts(property, config, WATER_HEATER);
    case 'humidifier': return climateParts(property, config, HUMIDIFIER);
    case 'fan': return fanParts(property, config);
    case 'vacuum': return vacuumParts(property, config);
    case 'valve': return valveParts(property, config);
    default: return [];
  }
}
