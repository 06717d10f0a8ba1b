import type { Homeserver } from '../homeserver.js';
import type { WriteOp } from '../storage/level/database.js';
import { e2eKeyStore } from '../storage/level/e2e-keys.js';
import { usersSharingRooms } from '../sync/e2ee-section.js';

/**
 * Writes `ops` together with a device-list change for each of `userIds` at one new stream
 * position, then wakes the /sync of everyone sharing a room with them, so their clients
 * refetch the keys (end-to-end encryption module, "Tracking the device list for a user").
 */
export async function writeDeviceListChange(hs: Homeserver, userIds: string[], ops: WriteOp[]):
  Promise<number> {
  const keys = e2eKeyStore(hs.db);
  const pos = hs.stream.allocate();
  const batch = [...ops, ...userIds.map((user) => keys.deviceListChangeOp(user, pos)),
    hs.stream.counterOp()];
  await hs.db.write(batch);
  hs.stream.markDurable(pos);

  const wake = new Set<string>();
  for (const user of userIds) {
    for (const other of await usersSharingRooms(hs, user)) wake.add(other);
  }
  hs.notifier.notify({ userIds: wake });
  return pos;
}
