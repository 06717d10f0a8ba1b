import { forbidden, MatrixError, notFound } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { AccountDataRecord } from '../storage/level/account-data.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { pushRulesFor } from './push-rules.js';
import { bodyObject, checkRoomId, type Json } from './validate.js';

/**
 * Types the server maintains itself, which clients may not write through this API
 * (client-server API, "Client Config": 405 M_BAD_JSON). m.fully_read goes through
 * /read_markers; m.push_rules through /pushrules.
 */
const SERVER_CONTROLLED = new Set(['m.fully_read', 'm.push_rules']);

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call with the same key has finished, so read-modify-write
 * sequences (previous stream position, push rule edits, receipts) never interleave.
 */
export function serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const settled = run.then(() => undefined, () => undefined);
  queues.set(key, settled);
  void settled.then(() => { if (queues.get(key) === settled) queues.delete(key); });
  return run;
}

/**
 * Stores one piece of account data ('' room for global) at a new stream position and wakes
 * the user's /sync. `update` gets the current content and returns the new one (or undefined
 * to leave it unchanged).
 */
export function updateAccountData(hs: Homeserver, userId: string, roomId: string, type: string,
  update: (current: Json | undefined) => Json | undefined): Promise<AccountDataRecord | undefined> {
  return serialize(`ad\u0000${userId}\u0000${roomId}\u0000${type}`, async () => {
    const previous = await hs.accountData.get(userId, roomId, type);
    const content = update(previous?.content);
    if (content === undefined) return previous;
    // Allocation and the queued write happen in one synchronous step (stream ordering).
    const pos = hs.stream.allocate();
    const record: AccountDataRecord = { room_id: roomId, type, content, pos };
    await hs.db.write([...hs.accountData.putOps(userId, record, previous?.pos),
      hs.stream.counterOp()]);
    hs.stream.markDurable(pos);
    hs.notifier.notify({ userIds: [userId] });
    return record;
  });
}

/** Stores account data wholesale. */
export function putAccountData(hs: Homeserver, userId: string, roomId: string, type: string,
  content: Json): Promise<AccountDataRecord | undefined> {
  return updateAccountData(hs, userId, roomId, type, () => content);
}

function requireSelf(req: AuthedRequest, verb: string): string {
  const userId = req.params.userId!;
  if (userId !== req.user.userId) {
    throw forbidden(`Cannot ${verb} account data for other users`);
  }
  return userId;
}

function checkWritable(type: string): void {
  if (SERVER_CONTROLLED.has(type)) {
    throw new MatrixError('M_BAD_JSON', `Cannot set ${type} through this API`, {}, 405);
  }
}

export function mountAccountData(api: ClientApi): void {
  const { hs } = api;

  // PUT /user/{userId}/account_data/{type}
  api.authed('PUT', '/user/:userId/account_data/:type', async (req) => {
    const userId = requireSelf(req, 'add');
    const type = req.params.type!;
    checkWritable(type);
    await putAccountData(hs, userId, '', type, bodyObject(req.body));
    return {};
  });

  // GET /user/{userId}/account_data/{type}
  api.authed('GET', '/user/:userId/account_data/:type', async (req) => {
    const userId = requireSelf(req, 'get');
    const type = req.params.type!;
    const record = await hs.accountData.get(userId, '', type);
    if (record) return record.content;
    // Push rules exist from the start (the server defaults) even before anything is stored.
    if (type === 'm.push_rules') return pushRulesFor(hs, userId);
    throw notFound('Account data not found');
  });

  // PUT /user/{userId}/rooms/{roomId}/account_data/{type}
  api.authed('PUT', '/user/:userId/rooms/:roomId/account_data/:type', async (req) => {
    const userId = requireSelf(req, 'add');
    const roomId = checkRoomId(req.params.roomId!);
    const type = req.params.type!;
    checkWritable(type);
    await putAccountData(hs, userId, roomId, type, bodyObject(req.body));
    return {};
  });

  // GET /user/{userId}/rooms/{roomId}/account_data/{type}
  api.authed('GET', '/user/:userId/rooms/:roomId/account_data/:type', async (req) => {
    const userId = requireSelf(req, 'get');
    const roomId = checkRoomId(req.params.roomId!);
    const record = await hs.accountData.get(userId, roomId, req.params.type!);
    if (!record) throw notFound('Account data not found');
    return record.content;
  });
}
