import { MatrixError, forbidden } from '../http/errors.js';
import type { ClientApi } from './context.js';
import { deleteDevices } from './devices.js';
import { bodyObject, optObject, optString, reqString } from './validate.js';

/** Reads the user named by a login request: `identifier` (m.id.user) or the older `user`. */
export function loginUser(api: ClientApi, body: Record<string, unknown>): string {
  const identifier = optObject(body, 'identifier');
  let name: string | undefined;
  if (identifier) {
    if (identifier.type !== 'm.id.user') {
      throw new MatrixError('M_UNKNOWN', 'Only m.id.user identifiers are supported', {}, 400);
    }
    name = reqString(identifier, 'user');
  } else {
    name = reqString(body, 'user');
  }
  const userId = api.hs.accounts.parseUser(name);
  if (!userId) throw forbidden('Invalid username or password');
  return userId;
}

export function mountLogin(api: ClientApi): void {
  const { accounts, limits } = api.hs;

  // GET /login
  api.open('GET', '/login', async () => ({ flows: [{ type: 'm.login.password' }] }));

  // POST /login
  api.open('POST', '/login', async (req) => {
    limits.login.take(req.ip);
    const body = bodyObject(req.body);
    const type = reqString(body, 'type');
    if (type !== 'm.login.password') {
      throw new MatrixError('M_UNKNOWN', `Unsupported login type ${type}`, {}, 400);
    }
    const userId = loginUser(api, body);
    const password = reqString(body, 'password');
    if (!(await accounts.checkPassword(userId, password))) {
      throw forbidden('Invalid username or password');
    }
    const session = await accounts.login(userId, optString(body, 'device_id'),
      optString(body, 'initial_device_display_name'));
    req.raw.log.info({ user_id: userId, device_id: session.device_id }, 'logged in');
    return { ...session, home_server: api.hs.config.server_name };
  });

  // POST /logout
  // Logging out deletes the device with its keys, so other users' clients stop encrypting
  // for it (client-server API, "Relationship between access tokens and devices").
  api.authed('POST', '/logout', async (req) => {
    await deleteDevices(api.hs, req.user.userId, [req.user.deviceId]);
    return {};
  });

  // POST /logout/all
  api.authed('POST', '/logout/all', async (req) => {
    const devices = await accounts.listDevices(req.user.userId);
    await deleteDevices(api.hs, req.user.userId, devices.map((d) => d.device_id));
    return {};
  });

  // GET /account/whoami
  api.authed('GET', '/account/whoami', async (req) => ({
    user_id: req.user.userId, device_id: req.user.deviceId, is_guest: false,
  }));
}
