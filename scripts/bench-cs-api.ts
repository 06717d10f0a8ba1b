// Client-Server API measurements against a server running as its own process: message
// throughput of concurrent keep-alive clients, send-to-/sync latency at a paced rate, start
// time, and the reference points each is printed beside (the HTTP ceiling of GET /versions,
// the durable writer on its own, a bare Node process).

import { createHmac } from 'node:crypto';
import { join } from 'node:path';

import { Database } from '../src/storage/level/database.js';
import {
  JsonClient, LeanJsonClient, makeTempDir, ok, removeTempDir, sleep, spawnNode, spawnServer,
  stopChild, type Reply,
} from './bench-lib.js';

export const SHARED_SECRET = 'bench-shared-secret-0123456789';
const CS = '/_matrix/client/v3';

export interface BenchUser {
  userId: string;
  token: string;
}

/** Registers through the shared-secret route, as operator tooling does. */
export async function registerUser(url: string, username: string): Promise<BenchUser> {
  const client = new JsonClient(url);
  try {
    const { nonce } = ok(await client.request('GET', '/_synapse/admin/v1/register'), 'nonce');
    const password = `bench password ${username}`;
    const mac = createHmac('sha1', SHARED_SECRET)
      .update([nonce, username, password, 'notadmin'].join('\u0000')).digest('hex');
    const body = ok(await client.request('POST', '/_synapse/admin/v1/register',
      { nonce, username, password, admin: false, mac }), `register ${username}`);
    return { userId: body.user_id, token: body.access_token };
  } finally {
    client.close();
  }
}

/** Creates a public room as `owner` and joins every user of `members` to it. */
export async function createRoom(url: string, owner: BenchUser, members: BenchUser[] = []):
  Promise<string> {
  const client = new JsonClient(url, owner.token);
  const { room_id: roomId } = ok(await client.request('POST', `${CS}/createRoom`,
    { preset: 'public_chat' }), 'createRoom');
  client.close();
  for (const member of members) {
    const c = new JsonClient(url, member.token);
    ok(await c.request('POST', `${CS}/join/${encodeURIComponent(roomId)}`, {}), 'join');
    c.close();
  }
  return roomId as string;
}

export interface Throughput {
  perSecond: number;
  completed: number;
  errors: number;
  firstError?: string;
  /** CPU time of this (the client) process per completed request, in µs. */
  clientCpuUs: number;
}

/**
 * Runs one request loop per client, each request sent as soon as the previous answer came
 * back, for `warmupMs` + `durationMs`; counts the 200s completed inside the measured window.
 */
async function closedLoops<C>(clients: C[], warmupMs: number, durationMs: number,
  op: (client: C, index: number, seq: number) => Promise<Reply>): Promise<Throughput> {
  const from = performance.now() + warmupMs;
  const until = from + durationMs;
  const result: Throughput = { perSecond: 0, completed: 0, errors: 0, clientCpuUs: 0 };
  let cpuFrom: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  await Promise.all(clients.map(async (client, index) => {
    for (let seq = 0; performance.now() < until; seq++) {
      const reply = await op(client, index, seq);
      const now = performance.now();
      if (now >= from) cpuFrom ??= process.cpuUsage();
      if (now >= until) cpu ??= process.cpuUsage(cpuFrom);
      if (reply.status !== 200) {
        result.errors += 1;
        result.firstError ??= `HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 160)}`;
      } else if (now >= from && now < until) {
        result.completed += 1;
      }
    }
  }));
  result.perSecond = result.completed / (durationMs / 1000);
  if (cpu) result.clientCpuUs = (cpu.user + cpu.system) / Math.max(1, result.completed);
  return result;
}

/** Each user sends m.room.message back-to-back into its room (rooms[i % rooms.length]). */
export async function sendThroughput(url: string, users: BenchUser[], rooms: string[],
  label: string, warmupMs: number, durationMs: number): Promise<Throughput> {
  const clients = users.map((u) => new LeanJsonClient(url, u.token));
  try {
    return await closedLoops(clients, warmupMs, durationMs, (client, i, seq) => {
      const room = encodeURIComponent(rooms[i % rooms.length]!);
      return client.request('PUT', `${CS}/rooms/${room}/send/m.room.message/${label}-${i}-${seq}`,
        { msgtype: 'm.text', body: `bench message ${seq} from client ${i}` });
    });
  } finally {
    for (const c of clients) c.close();
  }
}

/** The same loop against GET /versions: what this server's HTTP layer can answer at most. */
export async function versionsThroughput(url: string, clientCount: number, warmupMs: number,
  durationMs: number): Promise<Throughput> {
  const clients = Array.from({ length: clientCount }, () => new LeanJsonClient(url));
  try {
    return await closedLoops(clients, warmupMs, durationMs,
      (client) => client.request('GET', '/_matrix/client/versions'));
  } finally {
    for (const c of clients) c.close();
  }
}

/** A stored message event of ordinary size, as the writer would get it. */
const SAMPLE_VALUE = {
  type: 'm.room.message', room_id: '!bench:bench.local', sender: '@user0:bench.local',
  content: { msgtype: 'm.text', body: 'bench message 1234 from client 5' },
  origin_server_ts: 1718000000000, depth: 1234, prev_events: ['$' + 'x'.repeat(43)],
  auth_events: ['$' + 'a'.repeat(43), '$' + 'b'.repeat(43), '$' + 'c'.repeat(43)],
  hashes: { sha256: 'h'.repeat(43) },
  signatures: { 'bench.local': { 'ed25519:a': 's'.repeat(86) } },
};

/**
 * The durable writer alone, in this process on a fresh LevelDB: `writers` concurrent loops
 * each awaiting one synced put of an event-sized value. This is the ceiling of durable
 * sends at that concurrency, since each send waits for its own fsync-ed batch.
 */
export async function durableWriterRate(writers: number, durationMs: number):
  Promise<{ perSecond: number; meanBatch: number }> {
  const dir = await makeTempDir('switchboard-bench-db-');
  const db = await Database.open(join(dir, 'db'));
  try {
    const until = performance.now() + durationMs;
    let done = 0;
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let seq = 0; performance.now() < until; seq++) {
        await db.write([{ type: 'put', key: `bench/${w}/${seq}`, value: SAMPLE_VALUE }]);
        done += 1;
      }
    }));
    const { batches, ops } = db.writer.stats;
    return { perSecond: done / (durationMs / 1000), meanBatch: ops / Math.max(1, batches) };
  } finally {
    await db.close();
    await removeTempDir(dir);
  }
}

export interface Latency {
  /** Send-to-/sync-arrival times in ms, ascending. */
  delivery: number[];
  /** Send-to-200 times of the PUTs in ms, ascending. */
  ack: number[];
  sent: number;
  sendErrors: number;
  achievedRate: number;
  syncs: number;
  limitedSyncs: number;
}

/**
 * `sender` sends `perTick` messages every `tickMs` (a fixed schedule, not waiting for
 * answers) for `durationMs`, each carrying its send time; `receiver` long-polls /sync and
 * records when each one arrives. Both run in this process, so their clocks are one clock.
 */
export async function syncLatency(url: string, sender: BenchUser, receiver: BenchUser,
  roomId: string, perTick: number, tickMs: number, durationMs: number): Promise<Latency> {
  const run = `lat${Date.now()}`;
  const out: Latency = { delivery: [], ack: [], sent: 0, sendErrors: 0, achievedRate: 0,
    syncs: 0, limitedSyncs: 0 };
  const recv = new JsonClient(url, receiver.token);
  const send = new JsonClient(url, sender.token, 256);
  const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 500 } } }));
  let since = ok(await recv.request('GET', `${CS}/sync?timeout=0&filter=${filter}`),
    'initial sync').next_batch as string;
  const ticks = Math.round(durationMs / tickMs);
  const expected = ticks * perTick;
  let sendingDone = false;

  const receiving = (async () => {
    while (out.delivery.length < expected) {
      let reply: Reply;
      try {
        reply = await recv.request('GET',
          `${CS}/sync?since=${encodeURIComponent(since)}&timeout=30000&filter=${filter}`);
      } catch (err) {
        if (sendingDone) break; // closed on purpose at the deadline
        throw err;
      }
      const now = performance.now();
      const body = ok(reply, 'sync');
      out.syncs += 1;
      since = body.next_batch;
      const joined = body.rooms?.join?.[roomId];
      if (joined?.timeline?.limited) out.limitedSyncs += 1;
      for (const event of joined?.timeline?.events ?? []) {
        const content = event.content ?? {};
        if (content.bench_run === run && typeof content.bench_sent_us === 'number') {
          out.delivery.push(now - content.bench_sent_us / 1000);
        }
      }
    }
  })();

  const path = (seq: number) =>
    `${CS}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${run}-${seq}`;
  const inflight: Array<Promise<void>> = [];
  const t0 = performance.now() + 20;
  for (let tick = 0; tick < ticks; tick++) {
    const wait = t0 + tick * tickMs - performance.now();
    if (wait > 0) await sleep(wait);
    for (let j = 0; j < perTick; j++) {
      const seq = tick * perTick + j;
      const sentAt = performance.now();
      inflight.push(send.request('PUT', path(seq), { msgtype: 'm.text',
        body: `latency probe ${seq}`, bench_run: run, bench_sent_us: Math.round(sentAt * 1000) })
        .then((r) => {
          if (r.status === 200) out.ack.push(performance.now() - sentAt);
          else out.sendErrors += 1;
        }, () => { out.sendErrors += 1; }));
      out.sent += 1;
    }
  }
  out.achievedRate = out.sent / ((performance.now() - t0) / 1000);
  await Promise.all(inflight);

  // Whatever has not arrived 3 s after the last answer counts as not seen.
  const deadline = sleep(3000).then(() => { sendingDone = true; recv.close(); });
  await Promise.race([receiving, deadline]);
  sendingDone = true;
  recv.close();
  send.close();
  await receiving;
  out.delivery.sort((a, b) => a - b);
  out.ack.sort((a, b) => a - b);
  return out;
}

export interface Startup {
  /** Spawn to first 200 from GET /versions, per run. */
  readyMs: number[];
  /** The process's own startup_ms from its "switchboard started" line, per run. */
  loggedMs: number[];
}

/**
 * Starts the server `runs` times, each on a fresh data folder, and stops it again; with
 * `bridge`, as `npm start` runs it by default (embedded broker and device bridge).
 */
export async function startupTimes(runs: number, bridge = false): Promise<Startup> {
  const out: Startup = { readyMs: [], loggedMs: [] };
  for (let i = 0; i < runs; i++) {
    const server = await spawnServer({ sharedSecret: SHARED_SECRET, logLevel: 'info', bridge });
    try {
      out.readyMs.push(server.readyMs);
      let logged: number | undefined;
      for (let waited = 0; logged === undefined && waited < 2000; waited += 10) {
        for (const line of server.lines) {
          if (!line.includes('switchboard started')) continue;
          logged = (JSON.parse(line) as { startup_ms: number }).startup_ms;
        }
        if (logged === undefined) await sleep(10);
      }
      if (logged === undefined) throw new Error('no "switchboard started" line with startup_ms');
      out.loggedMs.push(logged);
    } finally {
      await stopChild(server.proc);
      await removeTempDir(server.dataDir);
    }
  }
  return out;
}

/** Spawn-to-exit of `node -e 0`, per run: the floor any Node program starts from. */
export async function bareNodeSpawnMs(runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const child = spawnNode(['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    out.push(performance.now() - started);
  }
  return out;
}
