import type { Homeserver } from '../homeserver.js';
import { missingParam, notFound } from '../http/errors.js';
import type { DeviceRecord } from '../storage/level/accounts.js';
import type { WriteOp } from '../storage/level/database.js';
import { e2eKeyStore } from '../storage/level/e2e-keys.js';
import { ToDeviceStore } from '../storage/level/to-device.js';
import type { ClientApi } from './context.js';
import { writeDeviceListChange } from './keys-device-lists.js';
import { userInteractiveAuth } from './user-interactive-auth.js';
import { bodyObject, optString, optStringArray, type Json } from './validate.js';

/** A device as the device management API shows it; unknown fields are left out, not null. */
function publicDevice(device: DeviceRecord): Json {
  const out: Json = { device_id: device.device_id };
  if (device.display_name !== null) out.display_name = device.display_name;
  if (device.last_seen_ip !== null) out.last_seen_ip = device.last_seen_ip;
  if (device.last_seen_ts !== null) out.last_seen_ts = device.last_seen_ts;
  return out;
}

/**
 * Removes devices with their access tokens, keys and pending to-device messages, and
 * records a device-list change so that other users' clients stop encrypting for them.
 */
export async function deleteDevices(hs: Homeserver, userId: string, deviceIds: string[]):
  Promise<void> {
  const keys = e2eKeyStore(hs.db);
  const inbox = new ToDeviceStore(hs.db);
  const ops: WriteOp[] = [];
  for (const deviceId of deviceIds) {
    // Device, tokens, keys and inbox go in one durable batch: a crash leaves all or none.
    const tokens = await hs.accountStore.tokenHashes(userId, deviceId);
    ops.push(...hs.accountStore.deleteDeviceOps(userId, deviceId, tokens.map(([, h]) => h)));
    ops.push(...await keys.deleteDeviceOps(userId, deviceId));
    ops.push(...await inbox.deleteInboxOps(userId, deviceId));
  }
  await writeDeviceListChange(hs, [userId], ops);
  for (const deviceId of deviceIds) keys.changed(userId, deviceId);
}

/** Mounts the device management API (client-server API, "Device management"). */
export function mountDevices(api: ClientApi): void {
  const { hs } = api;
  const uia = userInteractiveAuth(hs);

  // GET /devices
  api.authed('GET', '/devices', async (req) => ({
    devices: (await hs.accounts.listDevices(req.user.userId)).map(publicDevice),
  }));

  // GET /devices/{deviceId}
  api.authed('GET', '/devices/:deviceId', async (req) => {
    const device = await hs.accounts.getDevice(req.user.userId, req.params.deviceId!);
    if (!device) throw notFound('Device not found');
    return publicDevice(device);
  });

  // PUT /devices/{deviceId}
  // Creating devices here is for application services only (v1.17); clients may only rename.
  api.authed('PUT', '/devices/:deviceId', async (req) => {
    const body = bodyObject(req.body);
    const displayName = optString(body, 'display_name');
    const { userId } = req.user;
    const device = await hs.accounts.getDevice(userId, req.params.deviceId!);
    if (!device) throw notFound('Device not found');
    if (displayName === undefined || displayName === device.display_name) return {};
    await hs.accounts.updateDevice({ ...device, display_name: displayName });
    // The name is shown to others in /keys/query (unsigned.device_display_name).
    await writeDeviceListChange(hs, [userId], []);
    return {};
  });

  // DELETE /devices/{deviceId}
  api.authed('DELETE', '/devices/:deviceId', async (req) => {
    const body = bodyObject(req.body);
    if (!await uia.require(req, body, 'delete_devices')) return undefined;
    const { userId } = req.user;
    const deviceId = req.params.deviceId!;
    // Spec: 200 also when the device "had been removed previously".
    if (await hs.accounts.getDevice(userId, deviceId)) {
      await deleteDevices(hs, userId, [deviceId]);
      req.raw.log.info({ user_id: userId, device_id: deviceId }, 'device deleted');
    }
    return {};
  });

  // POST /delete_devices
  api.authed('POST', '/delete_devices', async (req) => {
    const body = bodyObject(req.body);
    const wanted = optStringArray(body, 'devices');
    if (wanted === undefined) throw missingParam("'devices' is required");
    if (!await uia.require(req, body, 'delete_devices')) return undefined;
    const { userId } = req.user;
    const existing = new Set((await hs.accounts.listDevices(userId)).map((d) => d.device_id));
    const doomed = [...new Set(wanted)].filter((id) => existing.has(id));
    if (doomed.length > 0) {
      await deleteDevices(hs, userId, doomed);
      req.raw.log.info({ user_id: userId, device_ids: doomed }, 'devices deleted');
    }
    return {};
  });
}
