/** The `mqtt` section: which broker the bridge reads devices from (see config/default.yaml). */
const port = (what: string) => ({
  type: 'integer', minimum: 0, maximum: 65535,
  description: `a TCP port number from 0 to 65535 for ${what}`,
}) as const;

const portOrNull = (what: string) => ({
  type: ['integer', 'null'], minimum: 0, maximum: 65535,
  description: `a TCP port number from 0 to 65535 for ${what}, or null to turn it off`,
}) as const;

const pathOrNull = { type: ['string', 'null'], minLength: 1, description: 'a file path or null' };

const stringOrNull = (what: string) => ({
  type: ['string', 'null'], minLength: 1, description: `${what} or null`,
}) as const;

// A filter may use + for one level and # for the rest; %u and %c stand for the user name
// and the client ID (as in Mosquitto's ACL patterns).
const filters = {
  type: 'array',
  description: 'a list of topic filters such as ["tasmota/%u/#", "zigbee2mqtt/+/set"]',
  items: {
    type: 'string', minLength: 1,
    // [MQTT-4.7.1-2] # only as the whole last level; [MQTT-4.7.1-3] + only as a whole level.
    pattern: '^(#|(\\+|[^#+/]*)(/(\\+|[^#+/]*))*(/#)?)$',
    description: 'a topic filter where + and # stand alone in their level, # last',
  },
} as const;

const user = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password_hash'],
  properties: {
    username: { type: 'string', minLength: 1, description: 'a user name' },
    password_hash: {
      type: 'string', pattern: '^scrypt\\$',
      description: 'a hash printed by npm run hash-password (scrypt$...)',
    },
    publish: filters,
    subscribe: filters,
  },
} as const;

export const mqttSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: {
      type: 'string', enum: ['embedded', 'external'],
      description: '"embedded" (a broker inside Switchboard) or "external" (an existing broker)',
    },
    host: { type: 'string', minLength: 1, description: 'an address to bind' },
    port: port('MQTT over TCP'),
    websocket: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: portOrNull('MQTT over WebSocket'),
        path: { type: 'string', pattern: '^/', description: 'a URL path such as /mqtt' },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: port('MQTT over TLS'),
        cert: pathOrNull,
        key: pathOrNull,
      },
    },
    allow_anonymous: { type: 'boolean', description: 'true or false' },
    users: {
      type: 'array',
      description: 'a list of device users, each with username, password_hash and ACLs',
      items: user,
    },
    url: {
      type: ['string', 'null'], pattern: '^(mqtts?|wss?)://',
      description: 'a broker URL (mqtt://, mqtts://, ws:// or wss://) or null',
    },
    username: stringOrNull('a user name'),
    password: stringOrNull('a password'),
    client_id: stringOrNull('an MQTT client ID'),
    client_tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: pathOrNull,
        cert: pathOrNull,
        key: pathOrNull,
        reject_unauthorized: { type: 'boolean', description: 'true or false' },
      },
    },
    shared_group: {
      type: ['string', 'null'], pattern: '^[^/#+]+$',
      description: 'a shared-subscription group name without / + # or null',
    },
  },
} as const;

export interface MqttUser {
  username: string;
  password_hash: string;
  /** Topic filters this user may publish to; absent means every topic. */
  publish?: readonly string[];
  /** Topic filters this user may subscribe within; absent means every topic. */
  subscribe?: readonly string[];
}

export interface MqttConfig {
  mode: 'embedded' | 'external';
  // embedded
  host?: string;
  port?: number;
  websocket?: { port?: number | null; path?: string };
  tls?: { port?: number; cert?: string | null; key?: string | null };
  allow_anonymous?: boolean;
  users?: readonly MqttUser[];
  // external
  url?: string | null;
  username?: string | null;
  password?: string | null;
  client_id?: string | null;
  client_tls?: {
    ca?: string | null; cert?: string | null; key?: string | null;
    reject_unauthorized?: boolean;
  };
  shared_group?: string | null;
}
