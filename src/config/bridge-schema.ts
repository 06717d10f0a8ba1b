/** The `bridge` section: how MQTT devices become Matrix rooms (see config/default.yaml). */
const userId = {
  type: 'string', pattern: '^@[^:]+:.+$',
  description: 'a Matrix user ID such as @alice:example.org',
} as const;

const rateFields = {
  on_change_only: { type: 'boolean', description: 'true or false' },
  deadband: { type: 'number', minimum: 0, description: 'a number of 0 or more' },
  min_interval_ms: { type: 'integer', minimum: 0, description: 'milliseconds, 0 or more' },
  max_events_per_second: {
    type: 'number', minimum: 0, description: 'events per second per device, 0 for no ceiling',
  },
} as const;

const genericTopic = {
  type: 'object',
  additionalProperties: false,
  required: ['pattern'],
  properties: {
    pattern: {
      type: 'string', minLength: 1,
      description: 'a topic pattern with {captures}, e.g. sensors/{device}/state',
    },
    id: { type: 'string', minLength: 1, description: 'a capture or JSON field' },
    name: { type: 'string', minLength: 1, description: 'a capture or JSON field' },
    property: { type: 'string', minLength: 1, description: 'a property name' },
    unit: { type: 'string', minLength: 1, description: 'a unit such as °C' },
    device_class: { type: 'string', minLength: 1, description: 'a device class such as humidity' },
    retained: { type: 'boolean', description: 'true or false' },
    command_topic: {
      type: 'string', minLength: 1,
      description: 'a topic with the pattern\'s {captures} (and {property}), e.g. ' +
        'sensors/{device}/set',
    },
    command_payload: {
      type: 'string', enum: ['json', 'value'],
      description: 'json ({"<property>": <value>}) or value (the value alone)',
    },
  },
} as const;

export const bridgeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled'],
  properties: {
    enabled: { type: 'boolean', description: 'true or false' },
    owners: { type: 'array', description: 'a list of Matrix user IDs', items: userId },
    alias_prefix: {
      type: 'string', pattern: '^[a-z0-9._=-]+$',
      description: 'lower-case letters, digits and ._=-',
    },
    puppet_prefix: {
      type: 'string', pattern: '^[a-z0-9._=-]+$',
      description: 'lower-case letters, digits and ._=-',
    },
    space_name: { type: 'string', minLength: 1, description: 'a room name' },
    command_power_level: { type: 'integer', minimum: 0, maximum: 100, description: '0 to 100' },
    command_timeout_seconds: { type: 'number', minimum: 0.1, description: 'seconds, 0.1 or more' },
    profiles: {
      type: ['array', 'null'],
      description: 'a list of profile names (files in devices/ without .yaml), or null for all',
      items: { type: 'string', pattern: '^[a-z0-9-]+$', description: 'a profile name' },
    },
    generic_topics: {
      type: 'array', description: 'a list of { pattern, id, name, property, unit, ... }',
      items: genericTopic,
    },
    max_payload_bytes: { type: 'integer', minimum: 1, description: 'a positive number of bytes' },
    rate: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...rateFields,
        overrides: {
          type: 'array',
          description: 'a list of { profile, property, on_change_only, deadband, ... }',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              profile: { type: 'string', minLength: 1, description: 'a profile name' },
              property: { type: 'string', minLength: 1, description: 'a property name' },
              ...rateFields,
            },
          },
        },
      },
    },
  },
} as const;

export interface RateSettings {
  on_change_only: boolean;
  deadband: number;
  min_interval_ms: number;
  max_events_per_second: number;
}

export interface RateOverride extends Partial<RateSettings> {
  profile?: string;
  property?: string;
}

export interface GenericTopicConfig {
  pattern: string;
  id?: string;
  name?: string;
  property?: string;
  unit?: string;
  device_class?: string;
  retained?: boolean;
  command_topic?: string;
  command_payload?: 'json' | 'value';
}

export interface BridgeConfig {
  enabled: boolean;
  owners?: readonly string[];
  alias_prefix?: string;
  puppet_prefix?: string;
  space_name?: string;
  command_power_level?: number;
  command_timeout_seconds?: number;
  profiles?: readonly string[] | null;
  generic_topics?: readonly GenericTopicConfig[];
  max_payload_bytes?: number;
  rate?: Partial<RateSettings> & { overrides?: readonly RateOverride[] };
}
