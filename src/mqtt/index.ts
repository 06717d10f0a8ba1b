import type { Logger } from 'pino';
import type { MqttConfig } from '../config/mqtt-schema.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { ExternalClient } from './external-client.js';
import type { MqttTransport } from './transport.js';

export type { MqttMessage, MqttTransport, MessageHandler, TransportStats } from './transport.js';
export { NotHandledError } from './transport.js';

/**
 * The MQTT side of the bridge for `mqtt.mode`: the embedded broker keeps its state in
 * `<dataDir>/mqtt`; the external client's default client ID is derived from `serverName`.
 */
export function createMqttTransport(config: MqttConfig, dataDir: string, log: Logger,
  serverName = 'localhost'): MqttTransport {
  const child = log.child({ module: 'mqtt' });
  return config.mode === 'external'
    ? new ExternalClient(config, serverName, child)
    : new EmbeddedBroker(config, dataDir, child);
}
