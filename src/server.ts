import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { mountClientApi } from './clientapi/index.js';
import type { Config } from './config/schema.js';
import { openHomeserver, type Homeserver } from './homeserver.js';
import { createHttpServer } from './http/server.js';

export interface RunningServer {
  hs: Homeserver;
  app: FastifyInstance;
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
  return {
    hs, app, clientUrl,
    async close() {
      await app.close();
      await hs.close();
    },
  };
}
