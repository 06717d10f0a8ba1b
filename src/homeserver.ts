import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountService } from './accounts/account-service.js';
import type { Config } from './config/schema.js';
import { BatchSigner } from './crypto/batch-signer.js';
import { loadOrCreateSigningKey } from './crypto/signing-key.js';
import { RateLimiter } from './http/rate-limit.js';
import type { ServerIdentity } from './rooms/event-factory.js';
import { RoomService } from './rooms/room-service.js';
import { AccountDataStore } from './storage/level/account-data.js';
import { AccountStore } from './storage/level/accounts.js';
import { Database } from './storage/level/database.js';
import { EventStore } from './storage/level/events.js';
import { ReceiptStore } from './storage/level/receipts.js';
import { DirectoryStore, FilterStore, TransactionStore } from './storage/level/small-stores.js';
import { StateGroupStore } from './storage/level/state-groups.js';
import { StreamCounter } from './storage/level/stream.js';
import { Notifier } from './sync/notifier.js';
import { TypingTracker } from './sync/typing.js';

/** Everything the API areas work with, opened once per process. */
export interface Homeserver {
  config: Readonly<Config>;
  log: Logger;
  identity: ServerIdentity;
  db: Database;
  accounts: AccountService;
  accountStore: AccountStore;
  events: EventStore;
  stream: StreamCounter;
  notifier: Notifier;
  rooms: RoomService;
  /** Signs events for the rooms engine (see rooms/event-signing.ts). */
  signer: BatchSigner;
  accountData: AccountDataStore;
  receipts: ReceiptStore;
  filters: FilterStore;
  txns: TransactionStore;
  directory: DirectoryStore;
  typing: TypingTracker;
  limits: { login: RateLimiter; register: RateLimiter };
  close(): Promise<void>;
}

/** Opens storage and the signing key and wires the services together. */
export async function openHomeserver(config: Readonly<Config>, log: Logger): Promise<Homeserver> {
  const key = await loadOrCreateSigningKey(config.data_dir);
  const identity: ServerIdentity = { serverName: config.server_name, key };
  const db = await Database.open(join(config.data_dir, 'db'));
  const stream = await StreamCounter.open(db);
  const groups = await StateGroupStore.open(db);
  const events = new EventStore(db);
  const notifier = new Notifier(() => stream.durable);
  const accountStore = new AccountStore(db);
  // Nobody waits for a signature (see rooms/event-signing.ts): with a worker, while the
  // server signs many, every batch goes to it, however small.
  const signer = new BatchSigner(key, { minBatch: 1, worker: config.rooms.signing_worker,
    log: log.child({ module: 'signer' }) });
  const rooms = new RoomService({
    db, events, groups, stream, notifier, identity, signer, log: log.child({ module: 'rooms' }),
  });
  const resigned = await rooms.signing.recover();
  if (resigned > 0) {
    log.warn({ module: 'rooms', events: resigned }, 'signed again events whose signatures ' +
      'were not stored before the last stop');
  }
  return {
    config,
    log,
    identity,
    db,
    accounts: new AccountService(db, accountStore, config.server_name),
    accountStore,
    events,
    stream,
    notifier,
    rooms,
    signer,
    accountData: new AccountDataStore(db),
    receipts: new ReceiptStore(db, stream.durable),
    filters: new FilterStore(db),
    txns: new TransactionStore(db),
    directory: new DirectoryStore(db),
    typing: new TypingTracker(notifier),
    limits: {
      login: new RateLimiter(config.rate_limits.login_per_minute),
      register: new RateLimiter(config.rate_limits.register_per_minute),
    },
    close: async () => {
      // The signatures still being made are finished (inline) and written first.
      await signer.close();
      await rooms.signing.close();
      await db.close();
    },
  };
}
