// Helpers for the benchmarks: percentiles, the results table, a keep-alive JSON client,
// spawning the server as its own process (so its RSS and CPU profile are its own) and
// cleaning up every child and temp folder, also when a run fails.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type Dispatcher } from 'undici';

/** The server entry point beside this script in the same build folder (dist/ or dist-bench/). */
export const MAIN_JS = fileURLToPath(new URL('../src/main.js', import.meta.url));

/**
 * The Node.js flags `npm start` gives the server (package.json scripts.start), so the bench
 * measures the process users run.
 */
export const SERVER_NODE_FLAGS: string[] = (() => {
  // The nearest: scripts/ when a test loads this file, the root from dist/scripts/.
  const file = ['../package.json', '../../package.json'].map((p) => new URL(p, import.meta.url))
    .find((url) => existsSync(url))!;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const words = String(pkg.scripts?.start ?? '').split(/\s+/);
  const node = words.indexOf('node');
  return node < 0 ? [] : words.slice(node + 1).filter((w) => w.startsWith('--'));
})();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
export const fmtMiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export interface Row {
  metric: string;
  measured: string;
  target: string;
  comparison: string;
  /** Undefined for rows that only inform (no target). */
  meets?: boolean;
}

/** Prints rows as a plain-text table; long comparison cells wrap onto continuation lines. */
export function printTable(rows: Row[]): void {
  const head = ['metric', 'measured', 'target', 'comparison (same run)', 'verdict'];
  const cells = rows.map((r) => [r.metric, r.measured, r.target, r.comparison,
    r.meets === undefined ? '-' : r.meets ? 'meets' : 'MISSES']);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (i === 3 ? 0
    : c[i]!.length))));
  width[3] = Math.max(head[3]!.length, ...cells.map((c) => Math.min(c[3]!.length, 56)));
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(width[i]!)).join(' | ');
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) {
    const parts = wrap(c[3]!, width[3]!);
    console.log(line([c[0]!, c[1]!, c[2]!, parts[0]!, c[4]!]));
    for (const more of parts.slice(1)) console.log(line(['', '', '', more, '']));
  }
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out;
}

export interface Reply { status: number; body: any }

/** A reply's body: parsed JSON, the text when it is not JSON, undefined when empty. */
function replyBody(text: string): unknown {
  try { return text ? JSON.parse(text) : undefined; } catch { return text; }
}

/** The headers of a JSON request with an optional access token. */
function jsonHeaders(token: string | undefined, payload: string | undefined):
  Record<string, string> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

/** JSON over node:http with its own keep-alive agent (one socket unless told otherwise). */
export class JsonClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, public token?: string, maxSockets = 1) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: unknown, timeoutMs = 45_000): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = jsonHeaders(this.token, payload);
    if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers,
        agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0,
            body: replyBody(Buffer.concat(chunks).toString('utf8')) });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The same requests through undici, a leaner HTTP client than node:http (about half the CPU
 * per request here): for the throughput loops, where the client shares the two cores with
 * the server and every microsecond it spends is one the server does not get. One
 * connection per client, one request at a time, as a Matrix client does.
 */
export class LeanJsonClient {
  private readonly client: Client;

  constructor(baseUrl: string, public token?: string) {
    this.client = new Client(baseUrl, { pipelining: 1 });
  }

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.client.request({ method: method as Dispatcher.HttpMethod, path,
      headers: jsonHeaders(this.token, payload), body: payload });
    return { status: res.statusCode, body: replyBody(await res.body.text()) };
  }

  close(): void {
    void this.client.close();
  }
}

/** Throws unless the reply has status 200; returns its body. */
export function ok(reply: Reply, what: string): any {
  if (reply.status !== 200) {
    throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
  }
  return reply.body;
}

/** A free loopback TCP port (asked of the kernel, then released for the child to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Spawns a node child that is killed by cleanup() if the bench stops early. */
export function spawnNode(args: string[], pipeStdout = false): ChildProcess {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', pipeStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Waits for a child to exit; SIGTERM first, SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child still running and removes every temp folder. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 2000)));
  await Promise.all([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
  tempDirs.clear();
}

// Last resort when the process exits without reaching cleanup() (an exception, Ctrl-C).
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * CPU seconds a process has used so far (user + system, from /proc, Linux): `main` is its
 * main thread (the JavaScript event loop, the server's bottleneck), `all` every thread
 * (LevelDB, libuv pool, GC helpers, and the signing worker where it is on).
 */
export async function cpuOf(pid: number): Promise<{ main: number; all: number }> {
  const ticks = async (path: string) => {
    const stat = await readFile(path, 'utf8');
    // Fields after the command name (which may hold spaces) start after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  };
  const [main, all] = await Promise.all([ticks(`/proc/${pid}/task/${pid}/stat`),
    ticks(`/proc/${pid}/stat`)]);
  return { main, all };
}

/** USER_HZ, the unit of /proc CPU times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

export interface ServerChild {
  proc: ChildProcess;
  url: string;
  dataDir: string;
  /** Milliseconds from spawn to the first successful GET /_matrix/client/versions. */
  readyMs: number;
  /** Lines the server wrote on stdout (its pino log). */
  lines: string[];
}

export interface ServerOptions {
  sharedSecret: string;
  /** Run the MQTT bridge and its embedded broker too (on free ports); off by default. */
  bridge?: boolean;
  logLevel?: string;
  nodeArgs?: string[];
}

/** Starts `node main.js --config <tmp yaml>` with a fresh data folder on a free port. */
export async function spawnServer(options: ServerOptions): Promise<ServerChild> {
  const dir = await makeTempDir('switchboard-bench-');
  const port = await freePort();
  const config = {
    server_name: 'bench.local',
    data_dir: join(dir, 'data'),
    listen: { client: { host: '127.0.0.1', port } },
    registration: { enabled: false, shared_secret: options.sharedSecret },
    rate_limits: { login_per_minute: 1_000_000, register_per_minute: 1_000_000 },
    log: { level: options.logLevel ?? 'warn' },
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, websocket: { port: null } },
    bridge: { enabled: options.bridge ?? false },
  };
  const file = join(dir, 'config.yaml');
  await writeFile(file, JSON.stringify(config, null, 2)); // JSON is valid YAML

  const started = performance.now();
  const proc = spawnNode([...SERVER_NODE_FLAGS, ...(options.nodeArgs ?? []), MAIN_JS,
    '--config', file], true);
  const lines: string[] = [];
  let rest = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    if (lines.length < 1000) lines.push(...parts);
  });
  const url = `http://127.0.0.1:${port}`;
  const readyMs = await waitListening(proc, port, 10_000) - started;
  return { proc, url, dataDir: dir, readyMs, lines };
}

/** Polls GET /versions on a fresh connection every 2 ms; returns the time of the first 200. */
async function waitListening(proc: ChildProcess, port: number, limitMs: number): Promise<number> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/_matrix/client/versions',
        agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
    if (status === 200) return performance.now();
    await sleep(2);
  }
  throw new Error(`server not listening on ${port} after ${limitMs} ms`);
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[] }>;
  samples: number[];
}

/**
 * Self time in a V8 .cpuprofile as shares of all samples, two ways: per function (keyed by
 * name, file and line, so one function reached through many stacks adds up) and per package
 * or source file (each sample goes to the innermost frame in node_modules or in our build).
 */
export async function topSelfTime(profilePath: string, count = 10): Promise<{
  functions: Array<{ name: string; share: number }>;
  modules: Array<{ name: string; share: number }>;
}> {
  const profile = JSON.parse(await readFile(profilePath, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  const functionOf = (id: number): string => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? ` ${basename(url)}:${lineNumber + 1}` : '';
    return `${functionName || '(anonymous)'}${where}`;
  };
  const moduleOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
      if (pkg) return pkg[1]!;
      const ours = /\/dist[^/]*\/((src|scripts)\/.*)$/.exec(url);
      if (ours) return ours[1]!;
    }
    const name = byId.get(id)!.callFrame.functionName;
    return name.startsWith('(') ? name : 'node internals';
  };
  const tally = (key: (id: number) => string) => {
    const hits = new Map<string, number>();
    for (const id of profile.samples) hits.set(key(id), (hits.get(key(id)) ?? 0) + 1);
    return [...hits].sort((a, b) => b[1] - a[1]).slice(0, count)
      .map(([name, n]) => ({ name, share: n / profile.samples.length }));
  };
  return { functions: tally(functionOf), modules: tally(moduleOf) };
}

/** Prints the top self time of the one .cpuprofile a server wrote into `dir`. */
export async function printProfile(dir: string, title = 'Server CPU profile', count = 15):
  Promise<void> {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no .cpuprofile');
  const top = await topSelfTime(join(dir, file), count);
  console.log(`\n${title}. Top self time by function:`);
  for (const { name, share } of top.functions) {
    console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
  console.log('Top self time by package or source file (innermost frame there):');
  for (const { name, share } of top.modules) {
    console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}
