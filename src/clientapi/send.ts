import { MatrixError, forbidden, notFound } from '../http/errors.js';
import { newPending, type Pending } from '../rooms/room-service.js';
import { actionPowerLevel } from '../rooms/power-levels.js';
import type { StoredEvent } from '../storage/level/events.js';
import type { ClientApi, AuthedRequest } from './context.js';
import { toClientEvent } from './client-event.js';
import { bodyObject, optString } from './validate.js';
import { readablePosition, readableUpTo, visibleEvents } from './visibility.js';

export function mountSend(api: ClientApi): void {
  const { hs } = api;
  const { rooms } = hs;
  /** Sends of one transaction ID still in flight, so a retry waits for the first one. */
  const inFlight = new Map<string, Promise<{ event_id: string }>>();

  /**
   * Sends an event once per (device, transaction ID): a retried request gets the first
   * answer (client-server API, "Transaction identifiers"). The transaction is stored in the
   * same durable batch as the event.
   */
  async function sendOnce(req: AuthedRequest, roomId: string,
    build: (pending: Pending) => Promise<StoredEvent>): Promise<{ event_id: string }> {
    const { userId, deviceId } = req.user;
    const txnId = req.params.txnId!;
    const scope = 'send\u0000' + roomId;
    const key = [userId, deviceId, roomId, txnId].join('\u0000');
    const running = inFlight.get(key);
    if (running) return running;
    const work = (async () => {
      const done = await hs.txns.get<{ event_id: string }>(userId, deviceId, scope, txnId);
      if (done) return done;
      const pending = newPending();
      const event = await build(pending);
      const result = { event_id: event.event_id };
      pending.ops.push(hs.txns.putOp(userId, deviceId, scope, txnId, result));
      await rooms.commit(pending, roomId);
      return result;
    })();
    inFlight.set(key, work);
    try {
      return await work;
    } finally {
      inFlight.delete(key);
    }
  }

  // PUT /rooms/{roomId}/send/{eventType}/{txnId}
  api.authed('PUT', '/rooms/:roomId/send/:eventType/:txnId', async (req) => {
    const roomId = req.params.roomId!;
    const content = bodyObject(req.body);
    return sendOnce(req, roomId, async (pending) => {
      const room = await rooms.requireRoom(roomId);
      return rooms.buildEvent(room, { type: req.params.eventType!, sender: req.user.userId,
        content }, pending, { txn: { device_id: req.user.deviceId, txn_id: req.params.txnId! } });
    });
  });

  // PUT /rooms/{roomId}/redact/{eventId}/{txnId}
  api.authed('PUT', '/rooms/:roomId/redact/:eventId/:txnId', async (req) => {
    const roomId = req.params.roomId!;
    const body = bodyObject(req.body);
    const reason = optString(body, 'reason');
    return sendOnce(req, roomId, async (pending) => {
      const room = await rooms.requireRoom(roomId);
      const target = await hs.events.getEvent(req.params.eventId!);
      if (!target || target.room_id !== roomId) throw notFound('Event not found');
      // Redacting someone else's event needs the redact level (v3+ "Handling redactions").
      const own = target.pdu.sender === req.user.userId;
      if (!own && rooms.powerLevel(room, req.user.userId) < actionPowerLevel('redact',
        rooms.lookup(room))) {
        throw forbidden("You don't have permission to redact this event");
      }
      return rooms.buildEvent(room, {
        type: 'm.room.redaction', sender: req.user.userId, redacts: target.event_id,
        content: reason === undefined ? {} : { reason },
      }, pending, { txn: { device_id: req.user.deviceId, txn_id: req.params.txnId! },
        redactionTarget: target });
    });
  });

  // PUT /rooms/{roomId}/state/{eventType}/{stateKey}
  const putState = async (req: AuthedRequest) => {
    const content = bodyObject(req.body);
    const type = req.params.eventType!;
    const stateKey = req.params.stateKey ?? '';
    if (type === 'm.room.member') {
      const membership = content.membership;
      if (typeof membership !== 'string') {
        throw new MatrixError('M_BAD_JSON', "'membership' is required");
      }
    }
    const event = await rooms.sendEvent(req.params.roomId!, {
      type, state_key: stateKey, sender: req.user.userId, content,
    });
    return { event_id: event.event_id };
  };
  api.authed('PUT', '/rooms/:roomId/state/:eventType/:stateKey', putState);
  api.authed('PUT', '/rooms/:roomId/state/:eventType', putState);

  // GET /rooms/{roomId}/state/{eventType}/{stateKey}
  const getState = async (req: AuthedRequest) => {
    const room = await rooms.requireRoom(req.params.roomId!);
    const upTo = await readableUpTo(hs, room, req.user.userId);
    let event = rooms.stateEvent(room, req.params.eventType!, req.params.stateKey ?? '');
    if (upTo !== Infinity && event && event.pos > upTo) event = undefined;
    if (!event) throw notFound('Event not found.');
    if (req.query.format === 'event') return toClientEvent(event, req.user);
    return event.pdu.content;
  };
  api.authed('GET', '/rooms/:roomId/state/:eventType/:stateKey', getState);
  api.authed('GET', '/rooms/:roomId/state/:eventType', getState);

  // GET /rooms/{roomId}/event/{eventId}
  // The spec declares only 404 here, for an unknown room as for an unknown event.
  api.authed('GET', '/rooms/:roomId/event/:eventId', async (req) => {
    const room = await rooms.getRoom(req.params.roomId!);
    if (!room) throw notFound('Event not found.');
    // A room the user may not read hides its events as an unknown room does.
    const upTo = await readablePosition(hs, room, req.user.userId) ?? -1;
    const visible = await visibleEvents(hs, room, req.user.userId);
    const event = await hs.events.getEvent(req.params.eventId!);
    if (!event || event.room_id !== room.roomId || event.pos > upTo
      || (visible && !visible(event))) {
      throw notFound('Event not found.');
    }
    return toClientEvent(event, req.user);
  });
}
