/**
 * Topic filter matching (MQTT 3.1.1 section 4.7), used for in-process subscriptions, ACLs and
 * the bridge profiles' own subscription lists.
 */

/** Whether `topic` (a concrete topic name) matches `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with $.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    // [MQTT-4.7.1-2] # matches the parent level and any number of child levels.
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic that `requested` can match is also matched by `allowed`, so a
 * subscription to `requested` stays inside an ACL entry `allowed`.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  // A wildcard at the start never grants $-topics, as it does not match them either.
  if (requested.startsWith('$') && (allowed.startsWith('+') || allowed.startsWith('#'))) {
    return false;
  }
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] === '+' || a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

/**
 * Replaces Mosquitto-style %u (user name) and %c (client ID) in an ACL filter. Null when the
 * name or ID holds / + or #, which would let a client widen its own ACL.
 */
export function expandFilter(filter: string, username: string, clientId: string): string | null {
  if (!filter.includes('%')) return filter;
  const unsafe = /[/+#]/;
  if ((filter.includes('%u') && unsafe.test(username))
    || (filter.includes('%c') && unsafe.test(clientId))) return null;
  return filter.replace(/%[uc]/g, (m) => (m === '%u' ? username : clientId));
}
