// Signing in batches, after the event-loop turn that asked: an Ed25519 signature costs
// ~30-45 µs of CPU here, the largest single item of a bridged reading's cost, and nobody
// waits for it (rooms/event-signing.ts). Where the server is given a worker thread
// (rooms.signing_worker), a worker signs a whole batch per message (~1 µs of main-thread time
// per signature at batches of 100), and only while the rate is high: a few events at a time,
// or one burst such as a room's creation, are signed inline, so a quiet server never starts
// it. The worker is a JavaScript engine of its own: 13-19 MiB more RSS with 1,000 devices on
// the 2-core test machine, for 10-20 % more MQTT events/s at saturation (2026-12-04).
// node:crypto's own threadpool form was tried too: as fast as the worker, but 141-151 MiB
// with 1,000 devices where the worker took 136 (each pool thread keeps memory of its own).

import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SigningKey } from './signing-key.js';

/** Below this many signatures in one turn of the event loop, signing inline is cheaper. */
const WORKER_MIN_BATCH = 8;
/**
 * The worker starts only once this many signatures were made within a second: a burst such
 * as a room's creation (ten events at once) is not worth its start-up and memory.
 */
const WORKER_MIN_RATE = 500;
/**
 * The worker is stopped after this long without work, so its memory goes back; not sooner,
 * since each start costs 50-150 ms of CPU here.
 */
const WORKER_IDLE_MS = 10_000;
const SIGNATURE_BYTES = 64;

// The worker's whole program, plain CommonJS: it runs from a string so that it needs no file
// of its own, under tsc's output and the test loader alike. It imports the seed once and
// answers each batch (messages packed back to back, with their end offsets) in one buffer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const key = createPrivateKey({ key: Buffer.concat([prefix, Buffer.from(workerData)]),
  format: 'der', type: 'pkcs8' });
parentPort.on('message', ({ bytes, ends }) => {
  const out = Buffer.allocUnsafe(${SIGNATURE_BYTES} * ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    sign(null, bytes.subarray(start, ends[i]), key).copy(out, ${SIGNATURE_BYTES} * i);
    start = ends[i];
  }
  parentPort.postMessage(out, [out.buffer]);
});
`;

interface Request {
  message: Uint8Array;
  resolve: (signature: Uint8Array) => void;
  reject: (err: Error) => void;
}

/**
 * Signs messages with the server's key, batching the requests of one event-loop turn. The
 * answers do not come in any promised order; callers that must keep an order (the durable
 * writer keeps events in stream order) wait for them where the order is kept.
 */
export class BatchSigner {
  private queue: Request[] = [];
  private scheduled = false;
  private inFlight: Request[] | undefined;
  private worker: Worker | undefined;
  /** Whether `worker` runs yet; batches go to it only then. */
  private workerOnline = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Signatures made inline and in the worker, for benchmarks and tests. */
  readonly stats = { inline: 0, worker: 0, workerStarts: 0 };

  private readonly minBatch: number;
  private readonly log: Logger | undefined;

  private readonly minRate: number;
  /** Whether a worker thread may sign (else every signature is made inline). */
  private readonly useWorker: boolean;
  /** Signatures counted in the current one-second window, and the window's start. */
  private windowCount = 0;
  private windowStart = 0;
  private lastWindowCount = 0;

  constructor(private readonly key: SigningKey,
    options: { minBatch?: number; minRate?: number; worker?: boolean; log?: Logger } = {}) {
    this.minBatch = options.minBatch ?? WORKER_MIN_BATCH;
    this.minRate = options.minRate ?? WORKER_MIN_RATE;
    this.useWorker = options.worker ?? true;
    this.log = options.log;
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Stops the worker; whatever it still held, and what is queued, is signed inline. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.workerOnline = false;
    this.signInline(this.inFlight ?? []);
    this.inFlight = undefined;
    this.signInline(this.takeQueue());
    await worker?.terminate();
  }

  /**
   * A small batch is signed inline at once, even while the worker is busy: a message to the
   * worker costs more than a few signatures (~20 µs measured at one per message). A large
   * one goes to the worker, or waits for the batch it is signing and then goes.
   */
  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const busy = this.worker !== undefined || this.recentRate() >= this.minRate;
    if (!this.useWorker || this.queue.length < this.minBatch || !busy) {
      this.signInline(this.takeQueue());
    } else if (!this.workerOnline) {
      // A worker takes 50-150 ms to start here: the batch is signed inline meanwhile rather
      // than made to wait (a PUT's answer waited that long whenever the worker started).
      this.ensureWorker();
      this.signInline(this.takeQueue());
    } else if (this.inFlight === undefined) {
      this.post(this.takeQueue());
    }
  }

  /** Signatures asked for in the last full second or this one, whichever is more. */
  private recentRate(): number {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.lastWindowCount = now - this.windowStart < 2000 ? this.windowCount : 0;
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount += this.queue.length;
    return Math.max(this.windowCount, this.lastWindowCount);
  }

  private takeQueue(): Request[] {
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  private signInline(batch: Request[]): void {
    for (const request of batch) {
      try {
        request.resolve(this.key.sign(request.message));
        this.stats.inline++;
      } catch (err) {
        request.reject(err as Error);
      }
    }
  }

  private post(batch: Request[]): void {
    let total = 0;
    const ends = new Uint32Array(batch.length);
    for (let i = 0; i < batch.length; i++) ends[i] = total += batch[i]!.message.byteLength;
    const bytes = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const { message } of batch) {
      bytes.set(message, offset);
      offset += message.byteLength;
    }
    clearTimeout(this.idleTimer);
    this.inFlight = batch;
    this.ensureWorker().postMessage({ bytes, ends }, [bytes.buffer, ends.buffer]);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true, workerData: this.key.seed,
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    worker.unref();
    worker.once('online', () => {
      if (this.worker !== worker) return;
      this.workerOnline = true;
      this.idleTimer = setTimeout(() => void this.stopIdle(), WORKER_IDLE_MS).unref();
    });
    worker.on('message', (signatures: Buffer) => this.answered(signatures));
    worker.on('error', (err) => {
      this.log?.error({ err }, 'signing worker failed; signing inline');
      this.workerFailed(worker);
    });
    // terminate() exits with 1 too, but only after this.worker stopped pointing at it.
    worker.on('exit', () => this.workerFailed(worker));
    this.worker = worker;
    this.stats.workerStarts++;
    return worker;
  }

  private answered(signatures: Buffer): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    for (let i = 0; i < batch.length; i++) {
      batch[i]!.resolve(signatures.subarray(SIGNATURE_BYTES * i, SIGNATURE_BYTES * (i + 1)));
    }
    this.stats.worker += batch.length;
    // What queued meanwhile goes at once: it already waited for this answer.
    if (this.queue.length > 0) this.flush();
    else this.idleTimer = setTimeout(() => void this.stopIdle(), WORKER_IDLE_MS).unref();
  }

  private async stopIdle(): Promise<void> {
    if (this.inFlight || this.queue.length > 0 || !this.worker) return;
    const worker = this.worker;
    this.worker = undefined;
    this.workerOnline = false;
    await worker.terminate();
  }

  /** A worker that died: what it held is signed inline, and the next batch starts a new one. */
  private workerFailed(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.workerOnline = false;
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    this.signInline(batch);
    if (this.queue.length > 0) this.flush();
  }
}
