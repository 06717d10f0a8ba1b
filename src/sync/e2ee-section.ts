import type { Homeserver } from '../homeserver.js';

/** The end-to-end encryption parts of a /sync response for one device. */
export interface E2eeSection {
  to_device: { events: Array<Record<string, unknown>> };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/**
 * Placeholder: answers with empty sections until the key store exists.
 * `since` is the client's stream position (0 on an initial sync), `upTo` the new one.
 */
export async function e2eeSyncSection(_hs: Homeserver, _userId: string, _deviceId: string,
  _since: number, _upTo: number): Promise<E2eeSection> {
  return {
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  };
}
