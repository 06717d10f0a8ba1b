import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Bridge } from './bridge/index.js';
import { mountClientApi } from './clientapi/index.js';
import type { Config } from './config/schema.js';
import { openHomeserver, type Homeserver } from './homeserver.js';
import { createHttpServer } from './http/server.js';
import type { MqttTransport } from './mqtt/index.js';

export interface RunningServer {
  hs: Homeserver;
  app: FastifyInstance;
  /** The MQTT broker or client and the device bridge, unless bridge.enabled is false. */
  mqtt?: MqttTransport;
  bridge?: Bridge;
  /** The client API's base URL, e.g. http://127.0.0.1:8008 */
  clientUrl: string;
  close(): Promise<void>;
}

/** Opens storage, mounts every API area and starts listening. */
export async function startServer(config: Readonly<Config>, log: Logger): Promise<RunningServer> {
  const hs = await openHomeserver(config, log);
  const app = createHttpServer(log);
  mountClientApi(app, hs);
  try {
    await app.listen({ host: config.listen.client.host, port: config.listen.client.port });
  } catch (err) {
    await hs.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.client.port;
  const host = config.listen.client.host.includes(':') ? `[${config.listen.client.host}]`
    : config.listen.client.host;
  const clientUrl = `http://${host}:${port}`;
  log.info({ module: 'main', listener: 'client', url: clientUrl, server_name: config.server_name },
    'client-server API listening');
  const stopHttp = async () => {
    await app.close();
    await hs.close();
  };
  let bridged: Awaited<ReturnType<typeof startBridge>> = {};
  try {
    bridged = await startBridge(config, hs, log);
  } catch (err) {
    await stopHttp();
    throw err;
  }
  const { mqtt, bridge } = bridged;
  return {
    hs, app, clientUrl, mqtt, bridge,
    async close() {
      // MQTT first, so nothing new is accepted; then the bridge finishes what it holds.
      await mqtt?.close();
      await bridge?.stop();
      await stopHttp();
    },
  };
}

/** The bridge reads devices through the MQTT transport once it is subscribed. */
async function startBridge(config: Readonly<Config>, hs: Homeserver, log: Logger):
  Promise<{ mqtt?: MqttTransport; bridge?: Bridge }> {
  if (!config.bridge.enabled) return {};
  // Loaded only now: the client API is already listening, and a server without the bridge
  // never loads the MQTT stack at all.
  const [{ createBridge }, { LocalHomeserver }, { createMqttTransport }] = await Promise.all([
    import('./bridge/index.js'), import('./bridge/local-homeserver.js'), import('./mqtt/index.js'),
  ]);
  // Puppets live in an exclusive namespace: /register answers M_EXCLUSIVE there.
  hs.accounts.reservedPrefixes.push(config.bridge.puppet_prefix ?? '_device_');
  const mqtt = createMqttTransport(config.mqtt, config.data_dir, log, config.server_name);
  const bridge = await createBridge(config.bridge, new LocalHomeserver(hs), mqtt, log);
  try {
    await bridge.start();
    await mqtt.start();
  } catch (err) {
    await mqtt.close().catch(() => undefined);
    await bridge.stop();
    throw err;
  }
  log.info({ module: 'main', listener: 'mqtt', ...mqtt.describe() }, 'mqtt bridge running');
  return { mqtt, bridge };
}
