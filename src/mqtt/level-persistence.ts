import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Level } from 'level';

/**
 * The embedded broker's sessions, queued QoS 1/2 messages, in-flight QoS 2 packets, wills and
 * retained messages, in a LevelDB of its own under <data_dir>/mqtt (LevelDB allows one
 * process per folder, and the homeserver's database is another folder).
 *
 * aedes-persistence-level's async class implements the persistence interface of
 * aedes-persistence 11, the one aedes 1.2 calls (it passes that package's abstract suite on
 * level 10). Its default export wraps the class in a callback adapter for older aedes, so
 * the class is loaded directly.
 */
export interface BrokerPersistence {
  setup(broker: unknown): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<RetainedPacket>;
  /** Rejects when no QoS 2 packet with this message ID is awaiting PUBREL. */
  incomingGetPacket(client: unknown, packet: unknown): Promise<unknown>;
  destroy(): Promise<void>;
}

export interface RetainedPacket {
  topic: string;
  payload: Buffer | Uint8Array;
  qos: 0 | 1 | 2;
}

type PersistenceClass = new (db: Level<string, Buffer>) => BrokerPersistence;

const require = createRequire(import.meta.url);
const AsyncLevelPersistence =
  require('aedes-persistence-level/asyncPersistence.js') as PersistenceClass;

export async function openBrokerPersistence(folder: string): Promise<BrokerPersistence> {
  await mkdir(folder, { recursive: true });
  // Small: sessions, subscriptions, retained messages and queues for offline clients.
  const db = new Level<string, Buffer>(folder, { valueEncoding: 'buffer',
    cacheSize: 1 << 20, writeBufferSize: 1 << 20 });
  await db.open();
  return new AsyncLevelPersistence(db);
}
