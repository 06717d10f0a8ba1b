/**
 * Identifier checks the auth rules depend on. These follow the spec's grammar (appendices,
 * "Server Name" and "User Identifiers") including the historical, more tolerant localparts:
 * servers MUST still accept events from such users, so auth must not reject them.
 */

const MAX_USER_ID_BYTES = 255;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const DNS_NAME = /^[0-9A-Za-z.-]{1,255}$/;
const PORT = /^\d{1,5}$/;

/** `server_name = hostname [ ":" port ]` */
export function isValidServerName(name: string): boolean {
  const portAt = name.startsWith('[') ? name.indexOf(':', name.indexOf(']')) : name.indexOf(':');
  const host = portAt === -1 ? name : name.slice(0, portAt);
  if (portAt !== -1 && !PORT.test(name.slice(portAt + 1))) return false;
  return IPV4.test(host) || IPV6.test(host) || DNS_NAME.test(host);
}

/**
 * `@localpart:server_name`, where the localpart may be any historical localpart: no `:` and
 * no NUL, possibly empty. The whole ID is at most 255 bytes.
 */
export function isValidUserId(id: unknown): id is string {
  if (typeof id !== 'string' || !id.startsWith('@')) return false;
  if (Buffer.byteLength(id, 'utf8') > MAX_USER_ID_BYTES) return false;
  const colon = id.indexOf(':');
  if (colon === -1 || id.slice(1, colon).includes('\u0000')) return false;
  return isValidServerName(id.slice(colon + 1));
}

/** The server name part of a user or (pre-v12) room ID: everything after the first `:`. */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon === -1 ? undefined : id.slice(colon + 1);
}
