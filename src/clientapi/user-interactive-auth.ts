import { randomBytes } from 'node:crypto';
import type { Homeserver } from '../homeserver.js';
import type { AuthedRequest } from './context.js';
import { optObject, optString, type Json } from './validate.js';

const PASSWORD = 'm.login.password';
const FLOWS = [{ stages: [PASSWORD] }];
/** A session not finished within this long is forgotten (the client starts over). */
const SESSION_TTL_MS = 15 * 60_000;
const MAX_SESSIONS = 10_000;

interface UiaSession {
  userId: string;
  /** What the session authorizes, e.g. 'delete_devices': a session is not reusable elsewhere. */
  purpose: string;
  completed: string[];
  createdAt: number;
}

/**
 * User-interactive authentication (client-server API, "User-Interactive Authentication
 * API") with the one stage this server offers: m.login.password for the requester's own
 * account. Sessions live in memory; after a restart a client gets a fresh challenge.
 */
export class UserInteractiveAuth {
  private readonly sessions = new Map<string, UiaSession>();

  constructor(private readonly hs: Homeserver) {}

  /**
   * True when the request carries completed authentication. Otherwise it has answered the
   * request with the spec's 401 body (flows, params, session, completed, and errcode/error
   * after a failed attempt) and the handler must return without acting.
   */
  async require(req: AuthedRequest, body: Json, purpose: string): Promise<boolean> {
    const auth = optObject(body, 'auth');
    const { userId } = req.user;
    let sessionId = auth ? optString(auth, 'session') : undefined;
    let session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (session && (session.userId !== userId || session.purpose !== purpose
      || Date.now() - session.createdAt > SESSION_TTL_MS)) {
      session = undefined;
    }
    if (!session) {
      // No auth yet, an expired or foreign session, or auth sent in the very first request
      // (clients that remember the password do that): start a session for this request.
      this.prune();
      sessionId = randomBytes(18).toString('base64url');
      session = { userId, purpose, completed: [], createdAt: Date.now() };
      this.sessions.set(sessionId, session);
      if (!auth || (auth.session !== undefined && auth.type === undefined)) {
        return this.challenge(req, sessionId!, session);
      }
    }
    const id = sessionId!;

    // A retried stage that already succeeded gets the result (spec: completed stages
    // "cannot be retried by clients").
    if (session.completed.includes(PASSWORD)) return this.finish(id);

    const type = auth ? optString(auth, 'type') : undefined;
    if (type === undefined) return this.challenge(req, id, session);
    if (type !== PASSWORD) {
      return this.challenge(req, id, session, 'M_UNRECOGNIZED', `Unsupported auth type ${type}`);
    }
    this.hs.limits.login.take(req.ip);
    if (!(await this.checkPassword(auth!, userId))) {
      req.raw.log.info({ user_id: userId, purpose }, 'user-interactive auth failed');
      return this.challenge(req, id, session, 'M_FORBIDDEN', 'Invalid username or password');
    }
    session.completed.push(PASSWORD);
    return this.finish(id);
  }

  /** The password stage: `identifier` (m.id.user) or the older `user`, naming the requester. */
  private async checkPassword(auth: Json, userId: string): Promise<boolean> {
    const identifier = optObject(auth, 'identifier');
    let name: string | undefined;
    if (identifier) {
      if (identifier.type !== 'm.id.user') return false;
      name = optString(identifier, 'user');
    } else {
      name = optString(auth, 'user');
    }
    const password = optString(auth, 'password');
    if (name === undefined || password === undefined) return false;
    // Spec: the account authenticating must be the one making the request.
    if (this.hs.accounts.parseUser(name) !== userId) return false;
    return this.hs.accounts.checkPassword(userId, password);
  }

  private finish(sessionId: string): true {
    this.sessions.delete(sessionId);
    return true;
  }

  private async challenge(req: AuthedRequest, session: string, state: UiaSession,
    errcode?: string, error?: string): Promise<false> {
    const body: Json = { flows: FLOWS, params: {}, session };
    if (state.completed.length > 0) body.completed = state.completed;
    if (errcode) Object.assign(body, { errcode, error });
    await req.reply.code(401).send(body);
    return false;
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) {
      if (now - session.createdAt > SESSION_TTL_MS) this.sessions.delete(id);
    }
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.clear();
  }
}

const instances = new WeakMap<Homeserver, UserInteractiveAuth>();

/** The UIA sessions of one homeserver, shared by every endpoint that asks for auth. */
export function userInteractiveAuth(hs: Homeserver): UserInteractiveAuth {
  let uia = instances.get(hs);
  if (!uia) {
    uia = new UserInteractiveAuth(hs);
    instances.set(hs, uia);
  }
  return uia;
}
