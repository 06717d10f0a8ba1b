import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/bridge-schema.js';
import { packageRoot } from '../config/load.js';
import type { MqttTransport } from '../mqtt/transport.js';
import { Bridge } from './bridge.js';
import type { HomeserverPort } from './homeserver-port.js';
import { loadProfiles, type GenericTopic } from './profiles/index.js';

export { Bridge, type BridgeStats } from './bridge.js';

/** The generic profile's topics, from the config's snake_case keys. */
function genericTopics(config: BridgeConfig): GenericTopic[] {
  return (config.generic_topics ?? []).map(({ device_class, command_topic, command_payload,
    ...rest }) => {
    const topic: GenericTopic = { ...rest };
    if (device_class !== undefined) topic.deviceClass = device_class;
    if (command_topic !== undefined) topic.commandTopic = command_topic;
    if (command_payload !== undefined) topic.commandPayload = command_payload;
    return topic;
  });
}

/**
 * Loads the configured profiles from devices/ and builds the bridge over a homeserver port
 * and an MQTT transport. Start it (bridge.start()) before the transport.
 */
export async function createBridge(config: BridgeConfig, port: HomeserverPort,
  transport: MqttTransport, log: Logger, profilesDir = join(packageRoot(), 'devices')):
  Promise<Bridge> {
  const options = { generic: genericTopics(config),
    ...(config.max_payload_bytes === undefined
      ? {}
      : { maxPayloadBytes: config.max_payload_bytes }) };
  const profiles = await loadProfiles(profilesDir,
    config.profiles ? [...config.profiles] : undefined, options);
  return new Bridge(config, port, transport, profiles, log.child({ module: 'bridge' }));
}
