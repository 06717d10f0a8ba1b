// A Mosquitto of our own for the external-mode tests and benchmark: Debian's binary, started
// on a loopback port with its config and persistence in a temp folder.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export { freePort } from './bench-lib.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function mosquittoMissing(): string | null {
  return existsSync(MOSQUITTO) ? null
    : `${MOSQUITTO} is not installed (apt-get install mosquitto; .ci/run installs it)`;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A Mosquitto of the test's own on a loopback port, with persistence in `dir`; no system
 * service is used. Mosquitto's default of 1,000 queued messages per client silently drops
 * QoS 1 messages in a burst, hence max_queued_messages.
 */
export class Mosquitto {
  private process: ChildProcess | null = null;
  readonly url: string;

  constructor(private readonly dir: string, readonly port: number) {
    this.url = `mqtt://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'mosquitto.conf'), [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 100000',
      // Run as the invoking user: as root, Mosquitto would switch to a user that cannot
      // write the temp folder.
      'user root',
      'log_dest none',
      '',
    ].join('\n'));
  }

  async start(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.process = child;
    const end = Date.now() + 5000;
    while (!(await accepting(this.port))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
      if (Date.now() > end) throw new Error('mosquitto did not start within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM: Mosquitto writes its persistence file on the way out. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
