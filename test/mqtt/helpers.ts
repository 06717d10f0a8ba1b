import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { MqttConfig } from '../../src/config/mqtt-schema.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';

type Test = { teardown(fn: () => unknown): void };

/** A logger whose lines are kept for assertions. */
export function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-mqtt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Embedded {
  broker: EmbeddedBroker;
  port: number;
  url: string;
  dir: string;
  lines: Array<Record<string, unknown>>;
}

/** An embedded broker on free loopback ports; WebSocket off unless asked for. */
export async function startEmbedded(t: Test, config: Partial<MqttConfig> = {},
  dir = tempDir(t)): Promise<Embedded> {
  const { log, lines } = captureLog();
  const broker = new EmbeddedBroker({
    mode: 'embedded', host: '127.0.0.1', port: 0, websocket: { port: null }, ...config,
  }, dir, log);
  await broker.start();
  t.teardown(() => broker.close());
  const port = broker.describe().tcp_port as number;
  return { broker, port, url: `mqtt://127.0.0.1:${port}`, dir, lines };
}

/** An MQTT.js client that is ended (forcibly) at teardown. */
export async function client(t: Test, url: string,
  options: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  t.teardown(() => c.endAsync(true));
  return c;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
export async function waitFor(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await delay(10);
  }
  return true;
}
