import { closeSync, fdatasyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Latency of the disk's own durable write: append 1.5 KB (an event's size) and fdatasync,
 * back to back for `durationMs`, in `dir`. Every durable answer of the server waits for at
 * least one of these, so their tail bounds the server's tail. Sorted, in milliseconds.
 */
export async function fsyncLatency(dir: string, durationMs: number): Promise<number[]> {
  const path = join(dir, 'bench-fsync.bin');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1536, 0x61);
  const out: number[] = [];
  try {
    const end = performance.now() + durationMs;
    while (performance.now() < end) {
      const t0 = performance.now();
      writeSync(fd, chunk);
      fdatasyncSync(fd);
      out.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  return out.sort((a, b) => a - b);
}
