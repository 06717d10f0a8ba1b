import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Stops the server and opens a new one on the same data folder. */
  restart(): Promise<TestServer>;
}

interface Teardown { teardown(fn: () => unknown): void }

/**
 * A real homeserver on a free loopback port with its data in a temp folder, stopped and
 * removed when the test ends.
 */
export async function startTestServer(t: Teardown, overrides: Record<string, unknown> = {},
  dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'switchboard-test-'));
  const config = loadConfig({
    env: {},
    overrides: {
      server_name: 'test.local',
      data_dir: dir,
      listen: { client: { host: '127.0.0.1', port: 0 } },
      registration: { enabled: true, shared_secret: 'test-shared-secret-0123456789' },
      rate_limits: { login_per_minute: 10_000, register_per_minute: 10_000 },
      log: { level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' },
      // The device bridge and its broker only where a test asks for them (test/bridge):
      // elsewhere they would all compete for port 1883.
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, websocket: { port: null } },
      bridge: { enabled: false },
      ...overrides,
    },
  });
  const server = await startServer(config, createLogger(config.log.level));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  if (!dataDir) t.teardown(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });
  else t.teardown(close);
  return {
    ...server,
    dataDir: dir,
    close,
    async restart() {
      await close();
      return startTestServer(t, overrides, dir);
    },
  };
}

export interface TestUser {
  userId: string;
  deviceId: string;
  token: string;
}

/** Registers a user straight through the account service and logs them in. */
export async function createUser(server: RunningServer, localpart: string,
  password = 'correct horse battery'): Promise<TestUser> {
  const userId = await server.hs.accounts.register(localpart, password);
  const session = await server.hs.accounts.login(userId);
  return { userId, deviceId: session.device_id, token: session.access_token };
}

/** JSON over real HTTP; returns status and parsed body. */
export async function call(server: RunningServer, method: string, path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {}):
  Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const url = path.startsWith('/') ? server.clientUrl + path
    : `${server.clientUrl}/_matrix/client/v3/${path}`;
  const response = await fetch(url, { method, headers, body: payload });
  const text = await response.text();
  let body: any = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: response.status, body };
}
