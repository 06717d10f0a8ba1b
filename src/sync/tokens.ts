import { MatrixError } from '../http/errors.js';

/**
 * Two token forms, both opaque to clients:
 * - sync tokens `s<pos>_<typing>`: a stream position and the typing serial;
 * - pagination tokens `t<pos>`: the point just after the event at stream position `pos`.
 * Either can start /messages, since both name a point in the stream.
 */
export interface SyncToken {
  pos: number;
  typing: number;
}

export function formatSyncToken(token: SyncToken): string {
  return `s${token.pos}_${token.typing}`;
}

export function parseSyncToken(value: string): SyncToken {
  const match = /^s(\d+)_(\d+)$/.exec(value);
  if (!match) throw new MatrixError('M_INVALID_PARAM', `Invalid sync token ${value}`);
  return { pos: Number(match[1]), typing: Number(match[2]) };
}

export function formatPageToken(pos: number): string {
  return `t${pos}`;
}

/** The stream position a pagination or sync token names. */
export function parseStreamToken(value: string): number {
  const page = /^t(\d+)$/.exec(value);
  if (page) return Number(page[1]);
  return parseSyncToken(value).pos;
}
