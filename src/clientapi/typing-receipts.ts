import { badJson, forbidden, invalidParam, missingParam, notFound } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { LoadedRoom } from '../rooms/room-service.js';
import type { ReceiptRecord } from '../storage/level/receipts.js';
import { putAccountData, serialize } from './account-data.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { bodyObject, optInteger, optString } from './validate.js';

const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);
const DEFAULT_TYPING_MS = 30_000;

async function requireJoined(hs: Homeserver, req: AuthedRequest): Promise<LoadedRoom> {
  const room = await hs.rooms.getRoom(req.params.roomId!);
  if (!room || hs.rooms.membership(room, req.user.userId) !== 'join') {
    throw forbidden('You are not joined to this room');
  }
  return room;
}

/** The event a receipt or marker points at; it must be in the room (404 otherwise). */
async function requireEvent(hs: Homeserver, room: LoadedRoom, eventId: string) {
  const event = await hs.events.getEvent(eventId);
  if (!event || event.room_id !== room.roomId) throw notFound(`Event ${eventId} not found`);
  return event;
}

/**
 * Stores a receipt at a new stream position. A receipt never moves back to an earlier
 * event: one for an older event than the current receipt is accepted and ignored.
 * Private receipts (m.read.private) are stored like public ones; their type is what keeps
 * them out of everyone's /sync but the owner's, and only the owner is woken.
 */
function putReceipt(hs: Homeserver, room: LoadedRoom, userId: string, receiptType: string,
  eventId: string, eventPos: number, threadId?: string): Promise<void> {
  const key = { room_id: room.roomId, receipt_type: receiptType, user_id: userId,
    thread_id: threadId };
  const lock = ['rc', room.roomId, receiptType, threadId ?? '', userId].join('\u0000');
  return serialize(lock, async () => {
    const previous = await hs.receipts.get(key);
    if (previous) {
      const before = await hs.events.getEvent(previous.event_id);
      if (previous.event_id === eventId || (before && before.pos > eventPos)) return;
    }
    const pos = hs.stream.allocate();
    const record: ReceiptRecord = { ...key, event_id: eventId, ts: Date.now(), pos };
    if (threadId === undefined) delete record.thread_id;
    await hs.db.write([...hs.receipts.putOps(record, previous), hs.stream.counterOp()]);
    hs.stream.markDurable(pos);
    if (receiptType === 'm.read.private') hs.notifier.notify({ userIds: [userId] });
    else hs.notifier.notify({ roomId: room.roomId });
  });
}

/** The fully-read marker is room account data of type m.fully_read ("Fully read markers"). */
async function putFullyRead(hs: Homeserver, room: LoadedRoom, userId: string, eventId: string):
  Promise<void> {
  await putAccountData(hs, userId, room.roomId, 'm.fully_read', { event_id: eventId });
}

export function mountTypingAndReceipts(api: ClientApi): void {
  const { hs } = api;

  // PUT /rooms/{roomId}/typing/{userId}
  api.authed('PUT', '/rooms/:roomId/typing/:userId', async (req) => {
    if (req.params.userId !== req.user.userId) {
      throw forbidden('Cannot set the typing state of another user');
    }
    const body = bodyObject(req.body);
    if (body.typing === undefined) throw missingParam("'typing' is required");
    if (typeof body.typing !== 'boolean') {
      throw badJson("'typing' must be a boolean");
    }
    const timeout = optInteger(body, 'timeout') ?? DEFAULT_TYPING_MS;
    if (timeout < 0) throw badJson("'timeout' must not be negative");
    const room = await requireJoined(hs, req);
    hs.typing.setTyping(room.roomId, req.user.userId, body.typing, timeout);
    return {};
  });

  // POST /rooms/{roomId}/receipt/{receiptType}/{eventId}
  api.authed('POST', '/rooms/:roomId/receipt/:receiptType/:eventId', async (req) => {
    const receiptType = req.params.receiptType!;
    if (!RECEIPT_TYPES.has(receiptType)) {
      throw invalidParam(`Unknown receipt type ${receiptType}`);
    }
    const threadId = optString(bodyObject(req.body), 'thread_id');
    if (threadId === '') throw invalidParam("'thread_id' must not be empty");
    if (threadId !== undefined && receiptType === 'm.fully_read') {
      throw invalidParam("'thread_id' cannot be used with m.fully_read");
    }
    const room = await requireJoined(hs, req);
    const event = await requireEvent(hs, room, req.params.eventId!);
    // Spec: m.fully_read here is the same as /read_markers; it is not an m.receipt.
    if (receiptType === 'm.fully_read') {
      await putFullyRead(hs, room, req.user.userId, event.event_id);
    } else {
      await putReceipt(hs, room, req.user.userId, receiptType, event.event_id, event.pos, threadId);
    }
    return {};
  });

  // POST /rooms/{roomId}/read_markers
  api.authed('POST', '/rooms/:roomId/read_markers', async (req) => {
    const body = bodyObject(req.body);
    const fullyRead = optString(body, 'm.fully_read');
    const read = optString(body, 'm.read');
    const readPrivate = optString(body, 'm.read.private');
    const room = await requireJoined(hs, req);
    // Every event is checked before anything is written, so a bad ID changes nothing.
    const events = await Promise.all([fullyRead, read, readPrivate].map((id) =>
      id === undefined ? undefined : requireEvent(hs, room, id)));
    const [fullyReadEvent, readEvent, privateEvent] = events;
    const userId = req.user.userId;
    if (fullyReadEvent) await putFullyRead(hs, room, userId, fullyReadEvent.event_id);
    if (readEvent) await putReceipt(hs, room, userId, 'm.read', readEvent.event_id, readEvent.pos);
    if (privateEvent) {
      await putReceipt(hs, room, userId, 'm.read.private', privateEvent.event_id, privateEvent.pos);
    }
    return {};
  });
}
