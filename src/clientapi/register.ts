import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MatrixError, forbidden } from '../http/errors.js';
import type { ClientApi } from './context.js';
import { bodyObject, optBoolean, optObject, optString, reqString } from './validate.js';

/** Open user-interactive registration sessions of one server: session ID to expiry. */
function newSession(sessions: Map<string, number>): string {
  const now = Date.now();
  for (const [id, expiry] of sessions) if (expiry < now) sessions.delete(id);
  const id = randomBytes(16).toString('base64url');
  sessions.set(id, now + 10 * 60_000);
  return id;
}

export function mountRegister(api: ClientApi): void {
  const { accounts, config, limits } = api.hs;
  const sessions = new Map<string, number>();

  // POST /register
  api.open('POST', '/register', async (req) => {
    limits.register.take(req.ip);
    if ((req.query.kind ?? 'user') !== 'user') {
      throw forbidden('Guest access is not supported on this server');
    }
    if (!config.registration.enabled) throw forbidden('Registration is disabled');
    const body = bodyObject(req.body);
    const username = optString(body, 'username') ?? randomBytes(6).toString('hex');
    const password = optString(body, 'password');
    // Name problems are reported before the auth stage, as clients expect.
    if (!(await accounts.isAvailable(username))) {
      throw new MatrixError('M_USER_IN_USE', 'User ID already taken.');
    }

    // User-interactive auth with the one stage this server offers: m.login.dummy.
    const auth = optObject(body, 'auth');
    const session = auth ? optString(auth, 'session') : undefined;
    if (!auth || auth.type !== 'm.login.dummy' || (session && !sessions.has(session))) {
      await req.reply.code(401).send({
        flows: [{ stages: ['m.login.dummy'] }], params: {},
        session: session ?? newSession(sessions),
      });
      return;
    }
    if (session) sessions.delete(session);
    if (password === undefined) throw new MatrixError('M_MISSING_PARAM', "'password' is required");

    const userId = await accounts.register(username, password);
    req.raw.log.info({ user_id: userId }, 'registered');
    if (optBoolean(body, 'inhibit_login')) return { user_id: userId };
    const login = await accounts.login(userId, optString(body, 'device_id'),
      optString(body, 'initial_device_display_name'));
    return { ...login, home_server: config.server_name };
  });

  // GET /register/available
  api.open('GET', '/register/available', async (req) => {
    limits.register.take(req.ip);
    const username = req.query.username;
    if (!username) throw new MatrixError('M_MISSING_PARAM', "'username' is required");
    if (!(await accounts.isAvailable(username))) {
      throw new MatrixError('M_USER_IN_USE', 'User ID already taken.');
    }
    return { available: true };
  });

  mountSharedSecretRegister(api);
}

/**
 * Shared-secret registration for operator tooling, in the form Synapse's admin API uses
 * (`/_synapse/admin/v1/register`), so existing scripts work: GET a nonce, then POST the
 * user with an HMAC-SHA1 over nonce, username, password and admin flag.
 */
function mountSharedSecretRegister(api: ClientApi): void {
  const { accounts, config } = api.hs;
  const prefix = ['/_synapse/admin/v1'];
  const nonces = new Map<string, number>();

  api.open('GET', '/register', async () => {
    if (!config.registration.shared_secret) {
      throw forbidden('Shared secret registration is disabled');
    }
    const nonce = randomBytes(16).toString('hex');
    nonces.set(nonce, Date.now() + 60_000);
    return { nonce };
  }, prefix);

  api.open('POST', '/register', async (req) => {
    const secret = config.registration.shared_secret;
    if (!secret) throw forbidden('Shared secret registration is disabled');
    api.hs.limits.register.take(req.ip);
    const body = bodyObject(req.body);
    const nonce = reqString(body, 'nonce');
    const username = reqString(body, 'username');
    const password = reqString(body, 'password');
    const admin = optBoolean(body, 'admin') ?? false;
    const mac = reqString(body, 'mac');
    const expiry = nonces.get(nonce);
    nonces.delete(nonce);
    if (!expiry || expiry < Date.now()) throw forbidden('Unrecognised nonce');

    const expected = createHmac('sha1', secret)
      .update([nonce, username, password, admin ? 'admin' : 'notadmin'].join('\u0000'))
      .digest();
    const given = Buffer.from(mac, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw forbidden('HMAC incorrect');
    }
    const userId = await accounts.register(username, password, admin);
    req.raw.log.info({ user_id: userId }, 'registered with the shared secret');
    const login = await accounts.login(userId);
    return { ...login, home_server: config.server_name };
  }, prefix);
}
