// `npm run bench`: the Client-Server API figures (the homeserver alone, bridge off) with
// their targets, each printed beside a reference measured in the same run, then the crypto
// table. The server runs as a child process with a temp config and data folder, so its RSS
// and CPU are its own.
// `npm run bench -- --no-mqtt` skips the MQTT bridge part.
// `npm run bench -- --profile` also runs the send loop once under --cpu-prof and prints the
// server's top functions by self time.

import { cpus, loadavg } from 'node:os';

import { benchCrypto } from './bench-crypto.js';
import {
  SHARED_SECRET, bareNodeSpawnMs, createRoom, durableWriterRate, registerUser, sendThroughput,
  startupTimes, syncLatency, versionsThroughput, type BenchUser,
} from './bench-cs-api.js';
import { fsyncLatency } from './bench-disk.js';
import { benchMqtt } from './bench-mqtt.js';
import {
  cleanup, fmtInt, fmtMiB, fmtMs, makeTempDir, median, percentile, printTable, rssOf, sleep,
  printProfile, spawnNode, spawnServer, stopChild, type Row,
} from './bench-lib.js';

const CLIENTS = 10;
const WARMUP_MS = 500;
const SEND_MS = 5000;
const SETTLE_MS = 3000;
const STARTUP_RUNS = 5;
const TARGET = { sendsPerSecond: 5000, p99Ms: 10, idleMiB: 70, startupMs: 500 };

const MiB = 1024 * 1024;
const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`;

async function registerUsers(url: string, count: number, prefix: string): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i++) users.push(await registerUser(url, `${prefix}${i}`));
  return users;
}

async function measureServer(rows: Row[]): Promise<void> {
  // Idle: the server and a bare Node process start together and settle for the same time.
  const server = await spawnServer({ sharedSecret: SHARED_SECRET });
  const bare = spawnNode(['-e', 'setTimeout(() => {}, 1e9)']);
  await sleep(SETTLE_MS);
  const idleRss = await rssOf(server.proc.pid!);
  const bareRss = await rssOf(bare.pid!);
  await stopChild(bare);
  console.log(`server idle RSS ${fmtMiB(idleRss)}; bare node ${fmtMiB(bareRss)}`);
  // The same with the MQTT bridge and its embedded broker running (no devices yet).
  const bridged = await spawnServer({ sharedSecret: SHARED_SECRET, bridge: true });
  await sleep(SETTLE_MS);
  const bridgedRss = await rssOf(bridged.proc.pid!);
  await stopChild(bridged.proc);

  const users = await registerUsers(server.url, CLIENTS, 'user');
  const [listener] = await registerUsers(server.url, 1, 'listener');
  const latencyRoom = await createRoom(server.url, users[0]!, [listener!]);
  const sharedRoom = await createRoom(server.url, users[0]!, users.slice(1));
  const ownRooms: string[] = [];
  for (const user of users) ownRooms.push(await createRoom(server.url, user));

  // Latency at a steady 1,000 messages/s: one message every millisecond for 10 s, after 3 s
  // at the same rate that are not counted (the server's JIT warms up); the warm-up's own
  // figures are printed too.
  console.log('send-to-/sync latency at 1,000 messages/s: 3 s warm-up, then 10 s measured ...');
  const warm = await syncLatency(server.url, users[0]!, listener!, latencyRoom, 1, 1, 3_000);
  console.log(`  warm-up: p50 ${fmtMs(percentile(warm.delivery, 50))}, p99 ` +
    `${fmtMs(percentile(warm.delivery, 99))}, max ${fmtMs(warm.delivery.at(-1) ?? NaN)}, ` +
    `${fmtInt(warm.delivery.length)}/${fmtInt(warm.sent)} seen`);
  const lat = await syncLatency(server.url, users[0]!, listener!, latencyRoom, 1, 1, 10_000);
  // What the disk itself does meanwhile: every durable answer waits for one fdatasync.
  const disk = await fsyncLatency(server.dataDir, 3000);
  const lost = lat.sent - lat.delivery.length;
  const p50 = percentile(lat.delivery, 50);
  const p99 = percentile(lat.delivery, 99);
  console.log(`  sent ${fmtInt(lat.sent)} at ${fmtInt(lat.achievedRate)}/s, delivered ` +
    `${fmtInt(lat.delivery.length)} in ${fmtInt(lat.syncs)} syncs (${lat.limitedSyncs} limited), ` +
    `send errors ${lat.sendErrors}; max ${fmtMs(lat.delivery.at(-1) ?? NaN)}`);
  await sleep(1000);
  const afterRss = await rssOf(server.proc.pid!);

  console.log('GET /versions, 10 keep-alive clients ...');
  const versions = await versionsThroughput(server.url, CLIENTS, WARMUP_MS, SEND_MS);
  console.log('sends, 10 clients in one shared room ...');
  const shared = await sendThroughput(server.url, users, [sharedRoom], 'shared',
    WARMUP_MS, SEND_MS);
  console.log('sends, 10 clients each in its own room ...');
  const own = await sendThroughput(server.url, users, ownRooms, 'own', WARMUP_MS, SEND_MS);
  const finalRss = await rssOf(server.proc.pid!);
  await stopChild(server.proc);
  console.log('durable writer alone, 10 concurrent one-put writers ...');
  const writer = await durableWriterRate(CLIENTS, 2000);

  for (const [name, t] of
    [['shared room', shared], ['own rooms', own], ['versions', versions]] as const) {
    if (t.errors > 0) console.log(`  ${name}: ${t.errors} errors, first: ${t.firstError}`);
  }
  const sendComparison = (t: typeof shared): string =>
    `GET /versions same loop ${fmtInt(versions.perSecond)}/s (sends = ` +
    `${pct(t.perSecond, versions.perSecond)}); durable writer 10x1 put ` +
    `${fmtInt(writer.perSecond)}/s (batch ${writer.meanBatch.toFixed(1)}); the clients' own ` +
    `CPU ${fmtInt(t.clientCpuUs)} µs per send (${fmtInt(versions.clientCpuUs)} per GET)`;
  rows.push(
    { metric: 'sends/s, 10 clients, 1 shared room', measured: fmtInt(shared.perSecond),
      target: `>= ${fmtInt(TARGET.sendsPerSecond)}`, comparison: sendComparison(shared),
      meets: shared.perSecond >= TARGET.sendsPerSecond && shared.errors === 0 },
    { metric: 'sends/s, 10 clients, 10 rooms', measured: fmtInt(own.perSecond),
      target: `>= ${fmtInt(TARGET.sendsPerSecond)}`, comparison: sendComparison(own),
      meets: own.perSecond >= TARGET.sendsPerSecond && own.errors === 0 },
    { metric: 'send->/sync p50 @1k msg/s', measured: fmtMs(p50), target: '-',
      comparison: `PUT answered p50 ${fmtMs(percentile(lat.ack, 50))}; the 3 s warm-up ` +
        `before it p50 ${fmtMs(percentile(warm.delivery, 50))}, p99 ` +
        `${fmtMs(percentile(warm.delivery, 99))}` },
    { metric: 'send->/sync p99 @1k msg/s', measured: fmtMs(p99),
      target: `< ${TARGET.p99Ms} ms`,
      comparison: `PUT answered p99 ${fmtMs(percentile(lat.ack, 99))}; raw fdatasync here ` +
        `p50 ${fmtMs(percentile(disk, 50))}, p99 ${fmtMs(percentile(disk, 99))}, max ` +
        `${fmtMs(disk.at(-1) ?? NaN)}; ` +
        `${fmtInt(lat.delivery.length)}/${fmtInt(lat.sent)} seen in /sync` +
        (lost ? ` (${lat.limitedSyncs} limited timelines)` : ''),
      meets: p99 < TARGET.p99Ms && lost === 0 && lat.sendErrors === 0 },
    { metric: 'server RSS idle', measured: fmtMiB(idleRss), target: `< ${TARGET.idleMiB} MiB`,
      comparison: `bare node ${fmtMiB(bareRss)} (+${fmtMiB(idleRss - bareRss)})`,
      meets: idleRss < TARGET.idleMiB * MiB },
    { metric: 'server RSS idle, MQTT bridge on', measured: fmtMiB(bridgedRss), target: '-',
      comparison: `homeserver alone ${fmtMiB(idleRss)} (+${fmtMiB(bridgedRss - idleRss)} ` +
        'for the embedded broker and the bridge)' },
    { metric: 'server RSS after 10k events', measured: fmtMiB(afterRss), target: '-',
      comparison: `idle ${fmtMiB(idleRss)}; after all send loops ${fmtMiB(finalRss)}` },
  );
}

async function measureStartup(rows: Row[]): Promise<void> {
  console.log(`start to listening, ${STARTUP_RUNS} runs ...`);
  const startup = await startupTimes(STARTUP_RUNS);
  const bare = await bareNodeSpawnMs(STARTUP_RUNS);
  const bridged = await startupTimes(STARTUP_RUNS, true);
  const list = (v: number[]) => v.map((x) => Math.round(x)).join(', ');
  console.log(`  spawn->listening ms: ${list(startup.readyMs)}; startup_ms logged: ` +
    `${list(startup.loggedMs)}; node -e 0 ms: ${list(bare)}; with the bridge, startup_ms ` +
    `logged: ${list(bridged.loggedMs)}`);
  const ready = median(startup.readyMs);
  rows.push(
    { metric: `spawn->listening (median of ${STARTUP_RUNS})`, measured: fmtMs(ready),
      target: `< ${TARGET.startupMs} ms`,
      comparison: `node -e 0 spawn->exit ${fmtMs(median(bare))}; max ` +
        `${fmtMs(Math.max(...startup.readyMs))}`,
      meets: ready < TARGET.startupMs },
    { metric: 'startup_ms logged (median)', measured: fmtMs(median(startup.loggedMs)),
      target: `< ${TARGET.startupMs} ms`, comparison: 'the process\'s own performance.now()',
      meets: median(startup.loggedMs) < TARGET.startupMs },
    { metric: 'startup_ms logged, bridge on (median)', measured: fmtMs(median(bridged.loggedMs)),
      target: '-', comparison: `homeserver alone ${fmtMs(median(startup.loggedMs))}; as npm ` +
        'start runs by default: the MQTT stack, device profiles, broker and bridge too' },
  );
}

/** Runs the shared-room send loop on a server under --cpu-prof; prints top self time. */
async function profileSends(): Promise<void> {
  const dir = await makeTempDir('switchboard-bench-prof-');
  const server = await spawnServer({ sharedSecret: SHARED_SECRET,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  const users = await registerUsers(server.url, CLIENTS, 'prof');
  const room = await createRoom(server.url, users[0]!, users.slice(1));
  const t = await sendThroughput(server.url, users, [room], 'prof', WARMUP_MS, SEND_MS);
  await stopChild(server.proc);
  await printProfile(dir, 'Server CPU profile of the shared-room send loop ' +
    `(${fmtInt(t.perSecond)} sends/s under the profiler; start and setup included)`, 10);
}

async function main(): Promise<void> {
  console.log(`Switchboard bench: node ${process.version}, ${cpus().length} CPUs ` +
    `(${cpus()[0]?.model ?? 'unknown'}); client and server share them.`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}` +
    (loadavg()[0]! > cpus().length / 2 ? ' (a busy machine: expect lower figures)' : '') + '\n');
  const rows: Row[] = [];
  await measureServer(rows);
  await measureStartup(rows);
  console.log('\nClient-Server API');
  printTable(rows);
  const missed = rows.filter((r) => r.meets === false).map((r) => r.metric);
  console.log(missed.length ? `\nMISSED: ${missed.join('; ')}` : '\nAll targets met.');
  if (!process.argv.includes('--no-mqtt')) {
    console.log('\nMQTT bridge: 1,000 devices on the embedded broker ...');
    const mqttRows = await benchMqtt();
    console.log('\nMQTT bridge');
    printTable(mqttRows);
    const mqttMissed = mqttRows.filter((r) => r.meets === false).map((r) => r.metric);
    console.log(mqttMissed.length ? `\nMISSED: ${mqttMissed.join('; ')}` : '\nAll targets met.');
  }
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  await benchCrypto();
  if (process.argv.includes('--profile')) await profileSends();
}

try {
  await main();
} finally {
  await cleanup();
}
