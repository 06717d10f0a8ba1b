import { bridgeSchema, type BridgeConfig } from './bridge-schema.js';
import { mqttSchema, type MqttConfig } from './mqtt-schema.js';

/** JSON Schema of the configuration, after the user file is laid over config/default.yaml. */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['server_name', 'data_dir', 'listen', 'registration', 'rooms', 'rate_limits', 'log',
    'mqtt', 'bridge'],
  properties: {
    server_name: {
      type: 'string',
      // A server name is a hostname (DNS name, IPv4 or bracketed IPv6) with an optional port.
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$',
      description: 'a hostname with an optional port, e.g. example.org or 127.0.0.1:8448',
    },
    data_dir: { type: 'string', minLength: 1, description: 'a folder path' },
    public_baseurl: {
      type: ['string', 'null'],
      pattern: '^https?://',
      description: 'an http(s) URL or null',
    },
    listen: {
      type: 'object',
      additionalProperties: false,
      required: ['client'],
      properties: {
        client: {
          type: 'object',
          additionalProperties: false,
          required: ['host', 'port'],
          properties: {
            host: { type: 'string', minLength: 1, description: 'an address to bind' },
            port: {
              type: 'integer', minimum: 0, maximum: 65535,
              description: 'a TCP port number from 0 to 65535',
            },
          },
        },
      },
    },
    registration: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'shared_secret'],
      properties: {
        enabled: { type: 'boolean', description: 'true or false' },
        shared_secret: {
          type: ['string', 'null'], minLength: 16,
          description: 'a string of 16 characters or more, or null',
        },
      },
    },
    rooms: {
      type: 'object',
      additionalProperties: false,
      required: ['default_version', 'signing_worker'],
      properties: {
        default_version: {
          type: 'string', enum: ['6', '7', '8', '9', '10', '11', '12'],
          description: 'a room version from "6" to "12", as a string',
        },
        signing_worker: { type: 'boolean', description: 'true or false' },
      },
    },
    rate_limits: {
      type: 'object',
      additionalProperties: false,
      required: ['login_per_minute', 'register_per_minute'],
      properties: {
        login_per_minute: { type: 'integer', minimum: 1, description: 'a positive integer' },
        register_per_minute: { type: 'integer', minimum: 1, description: 'a positive integer' },
      },
    },
    mqtt: mqttSchema,
    bridge: bridgeSchema,
    log: {
      type: 'object',
      additionalProperties: false,
      required: ['level'],
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          description: 'one of fatal, error, warn, info, debug, trace, silent',
        },
      },
    },
  },
} as const;

export interface Config {
  server_name: string;
  data_dir: string;
  public_baseurl: string | null;
  listen: { client: { host: string; port: number } };
  registration: { enabled: boolean; shared_secret: string | null };
  rooms: { default_version: string; signing_worker: boolean };
  rate_limits: { login_per_minute: number; register_per_minute: number };
  mqtt: MqttConfig;
  bridge: BridgeConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}
