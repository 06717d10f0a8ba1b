// The MQTT bridge benchmark: end-to-end from a device's QoS 1 publish to the reading event a
// Matrix client sees in /sync. The server runs as its own process (embedded broker, bridge,
// 1,000 generic devices); raw aedes QoS 1 throughput is measured in the same run as the
// reference. Then external mode: the same bridge reading a Mosquitto of its own, compared with
// the embedded figure. Run alone it prints its table; bench.ts adds benchMqtt()'s rows to its
// own.

import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { registerUser, SHARED_SECRET, type BenchUser } from './bench-cs-api.js';
import {
  cleanup, cpuOf, fmtInt, fmtMiB, fmtMs, freePort, JsonClient, MAIN_JS, makeTempDir, ok, percentile,
  printProfile, printTable, rssOf, SERVER_NODE_FLAGS, sleep, spawnNode, stopChild, type Row,
} from './bench-lib.js';
import { benchRawAedes } from './bench-mqtt-raw.js';
import { Mosquitto, mosquittoMissing } from './mosquitto.js';

const DEVICES = 1000;
const CLIENTS = 100;
const SATURATION_MS = 5000;
const STEADY_RATE = 1000;
const STEADY_MS = 10_000;
const SETTLE_MS = 3000;
const TARGET = { eventsPerSecond: 10_000, p99Ms: 20, rssMiB: 128 };
/** External mode: devices and publishers on a Mosquitto, and how far they may run ahead. */
const EXTERNAL_DEVICES = 100;
const EXTERNAL_CLIENTS = 20;
const EXTERNAL_AHEAD = 5000;
const CS = '/_matrix/client/v3';
const MiB = 1024 * 1024;

interface BridgeServer { proc: ReturnType<typeof spawnNode>; url: string; mqttUrl: string }

async function spawnBridgeServer(owner: string, nodeArgs: string[],
  externalUrl?: string): Promise<BridgeServer> {
  const dir = await makeTempDir('switchboard-bench-mqtt-');
  const [port, mqttPort] = [await freePort(), await freePort()];
  const mqtt = externalUrl ? { mode: 'external', url: externalUrl }
    : { mode: 'embedded', host: '127.0.0.1', port: mqttPort, websocket: { port: null } };
  const config = {
    server_name: 'bench.local', data_dir: join(dir, 'data'),
    listen: { client: { host: '127.0.0.1', port } },
    registration: { enabled: false, shared_secret: SHARED_SECRET },
    rate_limits: { login_per_minute: 1_000_000, register_per_minute: 1_000_000 },
    log: { level: 'warn' },
    mqtt,
    // Every message is a new value and no ceiling applies: each publish is one event.
    bridge: { enabled: true, owners: [owner], rate: { max_events_per_second: 0 },
      generic_topics: [{ pattern: 'bench/{device}/state' }] },
  };
  const file = join(dir, 'config.yaml');
  await writeFile(file, JSON.stringify(config)); // JSON is valid YAML
  const proc = spawnNode([...SERVER_NODE_FLAGS, ...nodeArgs, MAIN_JS, '--config', file]);
  const url = `http://127.0.0.1:${port}`;
  const probe = new JsonClient(url);
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    const up = await probe.request('GET', '/_matrix/client/versions').then((r) => r.status === 200,
      () => false);
    if (up) break;
    if (i > 500) throw new Error('server did not start');
    await sleep(20);
  }
  probe.close();
  return { proc, url, mqttUrl: externalUrl ?? `mqtt://127.0.0.1:${mqttPort}` };
}

interface SyncFollower {
  /** How long the first (initial) /sync took, once it is done. */
  initialMs: Promise<number>;
  /** Resolves once a /sync came back with no new event: the follower has caught up. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A /sync long-poll loop calling `onEvent` with each timeline event as it arrives. The
 * phases of the benchmark wait for it: the initial sync first, then a quiet sync between
 * the saturation run and the steady one, so one phase's backlog is not timed in the next.
 */
function followSync(url: string, user: BenchUser, onEvent: (e: any) => void): SyncFollower {
  const client = new JsonClient(url, user.token);
  let running = true;
  let quietWaiters: Array<() => void> = [];
  let markInitial: (ms: number) => void = () => {};
  const initialMs = new Promise<number>((resolve) => { markInitial = resolve; });
  const loop = (async () => {
    const started = performance.now();
    const first = ok(await client.request('GET', `${CS}/sync?timeout=0`), 'sync');
    markInitial(performance.now() - started);
    let since: string = first.next_batch;
    while (running) {
      const reply = await client.request('GET', `${CS}/sync?timeout=1000&since=${since}`);
      const body = ok(reply, 'sync');
      since = body.next_batch;
      let events = 0;
      for (const room of Object.values<any>(body.rooms?.join ?? {})) {
        for (const e of room.timeline?.events ?? []) {
          events++;
          onEvent(e);
        }
      }
      if (events === 0) {
        for (const resolve of quietWaiters) resolve();
        quietWaiters = [];
      }
    }
  })();
  return {
    initialMs,
    caughtUp: () => new Promise<void>((resolve) => quietWaiters.push(resolve)),
    stop: async () => {
      running = false;
      await loop;
      client.close();
    },
  };
}

const topicOf = (d: number) => `bench/dev${d}/state`;

async function createDevices(clients: MqttClient[], devices = DEVICES, retain = false):
  Promise<number> {
  const started = performance.now();
  await Promise.all(clients.map(async (c, i) => {
    for (let d = i; d < devices; d += clients.length) {
      await c.publishAsync(topicOf(d), '{"seq":0}', { qos: 1, retain });
    }
  }));
  return devices / ((performance.now() - started) / 1000);
}

/**
 * Joins the owner to every device room. Through an external broker a room may not exist yet
 * when its first publish was acknowledged (by the broker): the join is tried again then.
 */
async function joinAll(url: string, user: BenchUser, devices = DEVICES): Promise<void> {
  const client = new JsonClient(url, user.token, 20);
  const pending: string[] = [];
  for (let d = 0; d < devices; d++) pending.push(`#device_generic_dev${d}:bench.local`);
  const until = performance.now() + 30_000;
  await Promise.all(Array.from({ length: 20 }, async () => {
    for (let alias = pending.pop(); alias; alias = pending.pop()) {
      const path = `${CS}/join/${encodeURIComponent(alias)}`;
      let reply = await client.request('POST', path, {});
      while (reply.status === 404 && performance.now() < until) {
        await sleep(50);
        reply = await client.request('POST', path, {});
      }
      ok(reply, 'join');
    }
  }));
  client.close();
}

/** Every client keeps publishing to its devices; acknowledged publishes per second. */
async function saturate(clients: MqttClient[], seen: { count: number }, pid: number,
  durationMs: number):
  Promise<{ acked: number; synced: number; cpuMain: number; cpuAll: number;
    cpuClients: number }> {
  let running = true;
  let acked = 0;
  let seq = 1;
  const loops = clients.map(async (c, i) => {
    for (let d = i; running; d = (d + clients.length) % DEVICES) {
      await c.publishAsync(topicOf(d), `{"seq":${seq++}}`, { qos: 1 });
      acked++;
    }
  });
  await sleep(500);
  const [a0, s0, t0, c0] = [acked, seen.count, performance.now(), await cpuOf(pid)];
  const own0 = process.cpuUsage();
  await sleep(durationMs);
  const seconds = (performance.now() - t0) / 1000;
  const c1 = await cpuOf(pid);
  const own = process.cpuUsage(own0);
  const events = acked - a0;
  const result = { acked: events / seconds, synced: (seen.count - s0) / seconds,
    cpuMain: (c1.main - c0.main) / events, cpuAll: (c1.all - c0.all) / events,
    cpuClients: (own.user + own.system) / 1e6 / events };
  running = false;
  await Promise.all(loops);
  return result;
}

/** One publish per millisecond, device after device; latency to the event in /sync. */
async function steady(clients: MqttClient[], sentAt: Map<number, number>,
  latencies: number[]): Promise<number> {
  const total = (STEADY_RATE * STEADY_MS) / 1000;
  const base = 10_000_000;
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / STEADY_RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const d = n % DEVICES;
    sentAt.set(base + n, performance.now());
    void clients[d % clients.length]!.publishAsync(topicOf(d), `{"seq":${base + n}}`, { qos: 1 });
  }
  await sleep(2000);
  latencies.sort((a, b) => a - b);
  return total;
}

/**
 * External mode: the devices publish QoS 1 to a Mosquitto as fast as it takes them, and the
 * bridge reads them from it as one client. The broker acknowledges the devices itself, so
 * the figure is counted where it matters, as reading events arriving in the owner's /sync.
 * Returns null (and says why) when Mosquitto is not installed.
 */
export async function benchExternal(durationMs = SATURATION_MS):
  Promise<{ synced: number; brokerAcked: number } | null> {
  const missing = mosquittoMissing();
  if (missing) {
    console.log(`external mode not measured: ${missing}`);
    return null;
  }
  const mosquitto = new Mosquitto(await makeTempDir('switchboard-bench-mosquitto-'),
    await freePort());
  await mosquitto.start();
  let server: BridgeServer | undefined;
  try {
    server = await spawnBridgeServer('@listener:bench.local', [], mosquitto.url);
    const listener = await registerUser(server.url, 'listener');
    const clients = await Promise.all(Array.from({ length: EXTERNAL_CLIENTS }, () =>
      connectAsync(mosquitto.url, { reconnectPeriod: 0 })));
    // Retained: the bridge may not have subscribed yet when its HTTP listener answers.
    await createDevices(clients, EXTERNAL_DEVICES, true);
    await joinAll(server.url, listener, EXTERNAL_DEVICES);
    const seen = { count: 0 };
    const follower = followSync(server.url, listener, (e) => {
      if (e.content?.['org.switchboard.readings']?.seq !== undefined) seen.count++;
    });
    await follower.initialMs;
    let running = true;
    let published = 0;
    let seq = 1;
    const base = seen.count;
    const loops = clients.map(async (c, i) => {
      for (let d = i; running; d = (d + clients.length) % EXTERNAL_DEVICES) {
        // Mosquitto acknowledges at once; the publishers stay a bounded way ahead.
        while (running && published - (seen.count - base) > EXTERNAL_AHEAD) await sleep(1);
        await c.publishAsync(topicOf(d), `{"seq":${seq++}}`, { qos: 1 });
        published++;
      }
    });
    await sleep(500);
    const [s0, p0, t0] = [seen.count, published, performance.now()];
    await sleep(durationMs);
    const seconds = (performance.now() - t0) / 1000;
    const result = { synced: (seen.count - s0) / seconds, brokerAcked: (published - p0) / seconds };
    running = false;
    await Promise.all(loops);
    await follower.stop();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    return result;
  } finally {
    if (server) await stopChild(server.proc);
    await mosquitto.stop();
  }
}

export interface BenchMqttOptions {
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Stop after the saturation run (for profiling it). */
  saturationOnly?: boolean;
  saturationMs?: number;
}

export async function benchMqtt(options: BenchMqttOptions = {}): Promise<Row[]> {
  const rows: Row[] = [];
  const raw = await benchRawAedes();
  console.log(`raw aedes QoS 1: ${fmtInt(raw.perSecond)} msgs/s`);

  const ownerName = 'listener';
  const server = await spawnBridgeServer(`@${ownerName}:bench.local`, options.nodeArgs ?? []);
  try {
    const listener = await registerUser(server.url, ownerName);
    // The broker starts after the HTTP listener, once the bridge has subscribed.
    for (let i = 0; ; i++) {
      const up = await connectAsync(server.mqttUrl, { reconnectPeriod: 0 })
        .then((c) => c.endAsync(true).then(() => true), () => false);
      if (up) break;
      if (i > 250) throw new Error('the MQTT broker did not start');
      await sleep(20);
    }
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () =>
      connectAsync(server.mqttUrl, { reconnectPeriod: 0 })));
    const created = await createDevices(clients);
    console.log(`${DEVICES} devices (room, puppet, space link each) at ${fmtInt(created)}/s`);
    await joinAll(server.url, listener);
    await sleep(2000);
    const settledRss = await rssOf(server.proc.pid!);

    const seen = { count: 0 };
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    const follower = followSync(server.url, listener, (e) => {
      const seq = Number(e.content?.['org.switchboard.readings']?.seq?.value);
      if (!Number.isFinite(seq)) return;
      seen.count++;
      const at = sentAt.get(seq);
      if (at !== undefined) latencies.push(performance.now() - at);
    });
    const initialSyncMs = await follower.initialMs;
    console.log(`initial /sync of the owner (${DEVICES} device rooms): ${fmtMs(initialSyncMs)}`);
    const sat = await saturate(clients, seen, server.proc.pid!,
      options.saturationMs ?? SATURATION_MS);
    await follower.caughtUp();
    rows.push({ metric: 'MQTT QoS 1 to stored event, saturation',
      measured: `${fmtInt(sat.acked)}/s`,
      target: `>= ${fmtInt(TARGET.eventsPerSecond)}/s`,
      comparison: `raw aedes QoS 1 ${fmtInt(raw.perSecond)}/s (${Math.round((100 * sat.acked)
        / raw.perSecond)}%); seen in /sync ${fmtInt(sat.synced)}/s`,
      meets: sat.acked >= TARGET.eventsPerSecond });
    rows.push({ metric: 'server CPU per event at saturation',
      measured: `${fmtInt(sat.cpuMain * 1e6)} µs`, target: '-',
      comparison: `main thread; all threads ${fmtInt(sat.cpuAll * 1e6)} µs (LevelDB, GC ` +
        `helpers); the bench's MQTT clients and /sync follower ` +
        `${fmtInt(sat.cpuClients * 1e6)} µs` });
    if (options.saturationOnly) {
      await follower.stop();
      await Promise.all(clients.map((c) => c.endAsync(true)));
      return rows;
    }
    // The saturation run leaves work behind (LevelDB compacting ~20k fresh events, a full
    // garbage collection): a steady-state figure starts after it, not in it.
    await sleep(SETTLE_MS);
    const sent = await steady(clients, sentAt, latencies);
    await follower.stop();
    const rss = await rssOf(server.proc.pid!);
    await Promise.all(clients.map((c) => c.endAsync(true)));

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    rows.push({ metric: `owner's initial /sync, ${fmtInt(DEVICES)} device rooms`,
      measured: fmtMs(initialSyncMs), target: '-', comparison: 'before the load runs' });
    rows.push({ metric: 'MQTT publish to /sync, p50 at 1,000/s', measured: fmtMs(p50), target: '-',
      comparison: `${latencies.length} of ${sent} seen over ${DEVICES} devices` });
    rows.push({ metric: 'MQTT publish to /sync, p99 at 1,000/s', measured: fmtMs(p99),
      target: `< ${TARGET.p99Ms} ms`, comparison: `${DEVICES} devices, ${CLIENTS} MQTT clients`,
      meets: p99 < TARGET.p99Ms && latencies.length === sent });
    // Judged on the server holding its devices; the figure after the load runs above (tens
    // of thousands of events) is printed beside it, since V8 keeps heap it has grown.
    rows.push({ metric: `server RSS with ${fmtInt(DEVICES)} devices`,
      measured: fmtMiB(settledRss), target: `< ${TARGET.rssMiB} MiB`,
      comparison: `devices created and settled; after the load runs above ${fmtMiB(rss)}`,
      meets: settledRss < TARGET.rssMiB * MiB });
  } finally {
    await stopChild(server.proc);
  }
  const external = await benchExternal();
  if (external) {
    const embedded = rows[0]!.measured;
    rows.push({ metric: 'external mode (Mosquitto), to event in /sync', measured:
      `${fmtInt(external.synced)}/s`, target: '-', comparison: `embedded mode above ${embedded}; ` +
      `Mosquitto took the devices' publishes at ${fmtInt(external.brokerAcked)}/s; ` +
      `${EXTERNAL_DEVICES} devices, the bridge one MQTT client` });
  }
  return rows;
}

// Run alone: `node dist/scripts/bench-mqtt.js [--saturation] [--profile]`; --profile runs
// the server under --cpu-prof and prints its top functions by self time afterwards, and
// copies the profile to ./bench-mqtt.cpuprofile (for Chrome DevTools or speedscope).
if (import.meta.url === `file://${process.argv[1]}`) {
  const profile = process.argv.includes('--profile');
  const profileDir = profile ? await makeTempDir('switchboard-bench-prof-') : undefined;
  try {
    // Under the profiler the saturation run is longer, so it outweighs the set-up.
    printTable(await benchMqtt({ saturationOnly: process.argv.includes('--saturation'),
      saturationMs: profile ? 20_000 : undefined,
      nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [] }));
    if (profileDir) {
      await printProfile(profileDir);
      const file = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
      if (file) await copyFile(join(profileDir, file), 'bench-mqtt.cpuprofile');
    }
  } finally {
    await cleanup();
  }
}
