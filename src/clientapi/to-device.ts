import type { Homeserver } from '../homeserver.js';
import { badJson, missingParam } from '../http/errors.js';
import type { WriteOp } from '../storage/level/database.js';
import { ToDeviceStore } from '../storage/level/to-device.js';
import type { ClientApi, Requester } from './context.js';
import { isObject } from './keys-json.js';
import { bodyObject, optObject } from './validate.js';

const TXN_SCOPE = 'sendToDevice';

/**
 * Queues the messages of one request in the inboxes of their target devices at one stream
 * position, with the transaction ID in the same write. Users of other servers are skipped
 * (no federation yet); unknown users and devices are skipped as the spec allows.
 */
async function queueMessages(hs: Homeserver, sender: Requester, type: string, txnId: string,
  messages: Record<string, unknown>): Promise<void> {
  const inbox = new ToDeviceStore(hs.db);
  const targets: Array<{ userId: string; deviceId: string; content: Record<string, unknown> }> = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!isObject(byDevice)) throw badJson(`'messages.${userId}' must be an object`);
    if (!hs.rooms.isLocalUser(userId)) continue;
    const devices = new Set((await hs.accounts.listDevices(userId)).map((d) => d.device_id));
    for (const [deviceId, content] of Object.entries(byDevice)) {
      if (!isObject(content)) throw badJson(`'messages.${userId}.${deviceId}' must be an object`);
      // '*' means every device of the user (send-to-device messaging).
      const ids = deviceId === '*' ? [...devices] : devices.has(deviceId) ? [deviceId] : [];
      for (const id of ids) targets.push({ userId, deviceId: id, content });
    }
  }

  const pos = hs.stream.allocate();
  const ops: WriteOp[] = targets.map((target, index) => inbox.putOp(target.userId,
    target.deviceId, pos, index, { type, sender: sender.userId, content: target.content }));
  ops.push(hs.txns.putOp(sender.userId, sender.deviceId, TXN_SCOPE, txnId, { pos }));
  ops.push(hs.stream.counterOp());
  await hs.db.write(ops);
  hs.stream.markDurable(pos);
  if (targets.length > 0) hs.notifier.notify({ userIds: targets.map((t) => t.userId) });
}

/** Mounts send-to-device messaging (end-to-end encryption module, "Send-to-Device messaging"). */
export function mountToDevice(api: ClientApi): void {
  const { hs } = api;
  /** Requests of one transaction still running, so that a retry waits for the first one. */
  const inFlight = new Map<string, Promise<void>>();

  // PUT /sendToDevice/{eventType}/{txnId}
  api.authed('PUT', '/sendToDevice/:eventType/:txnId', async (req) => {
    const body = bodyObject(req.body);
    const messages = optObject(body, 'messages');
    if (!messages) throw missingParam("'messages' is required");
    const { userId, deviceId } = req.user;
    const txnId = req.params.txnId!;
    const key = [userId, deviceId, txnId].join('\u0000');

    const running = inFlight.get(key);
    if (running) {
      await running;
      return {};
    }
    const work = (async () => {
      // A transaction ID already used by this device is answered without sending again.
      if (await hs.txns.get(userId, deviceId, TXN_SCOPE, txnId)) return;
      await queueMessages(hs, req.user, req.params.eventType!, txnId, messages);
      req.raw.log.debug({ user_id: userId, type: req.params.eventType }, 'to-device queued');
    })();
    inFlight.set(key, work);
    try {
      await work;
    } finally {
      inFlight.delete(key);
    }
    return {};
  });
}
