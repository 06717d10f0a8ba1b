import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { verifyPassword } from '../accounts/passwords.js';
import type { MqttUser } from '../config/mqtt-schema.js';
import { expandFilter, filterCovers, topicMatches } from './topic-filter.js';

/** Who a connected client is: a configured user, or null for an anonymous client. */
export type Identity = MqttUser | null;

export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: string };

// Hashed with a fixed salt only to compare a reconnecting device's password with the one that
// last passed scrypt, in memory; the slow scrypt check still runs for anything new.
const fingerprint = (password: Buffer) => createHash('sha256').update('mqtt:').update(password)
  .digest();

// A well-formed hash of a random password: an unknown user name costs one scrypt like a
// known one, so timing does not tell which user names exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Loopback per RFC 1122 (127.0.0.0/8) and RFC 4291 (::1), also IPv4-mapped (::ffff:127.x). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Device credentials and topic ACLs of the embedded broker, secure by default as Mosquitto 2
 * is: with no users configured only loopback clients get in (anonymously); with users,
 * anonymous clients need `allow_anonymous`.
 */
export class DeviceAuth {
  private readonly users = new Map<string, MqttUser>();
  private readonly verified = new Map<string, Buffer>();

  constructor(users: readonly MqttUser[], private readonly allowAnonymous: boolean) {
    for (const user of users) this.users.set(user.username, user);
  }

  get hasUsers(): boolean {
    return this.users.size > 0;
  }

  async authenticate(username: string | undefined, password: Buffer | undefined,
    remoteAddress: string | undefined): Promise<AuthResult> {
    if (username === undefined || username === '') {
      if (this.allowAnonymous) return { ok: true, identity: null };
      if (!this.hasUsers && isLoopback(remoteAddress)) return { ok: true, identity: null };
      return { ok: false, reason: this.hasUsers ? 'credentials required'
        : 'anonymous clients only from loopback' };
    }

    const user = this.users.get(username);
    const given = password ?? Buffer.alloc(0);
    const known = this.verified.get(username);
    const print = fingerprint(given);
    if (user && known && timingSafeEqual(known, print)) return { ok: true, identity: user };

    const ok = await verifyPassword(given.toString('utf8'), user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok) return { ok: false, reason: 'bad user name or password' };
    this.verified.set(username, print);
    return { ok: true, identity: user };
  }

  /** [MQTT-3.3.5-2] what a client may publish to; anonymous clients may use every topic. */
  mayPublish(identity: Identity, clientId: string, topic: string): boolean {
    if (!identity?.publish) return true;
    return identity.publish.some((f) => {
      const filter = expandFilter(f, identity.username, clientId);
      return filter !== null && topicMatches(filter, topic);
    });
  }

  /** A subscription is allowed when an ACL filter covers everything it could match. */
  maySubscribe(identity: Identity, clientId: string, filter: string): boolean {
    if (!identity?.subscribe) return true;
    return identity.subscribe.some((f) => {
      const allowed = expandFilter(f, identity.username, clientId);
      return allowed !== null && filterCovers(allowed, filter);
    });
  }
}
