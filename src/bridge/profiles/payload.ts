/**
 * The first look at a payload: size, then whether it is text at all. Binary payloads (images,
 * protobuf, encrypted frames) are not read yet; the bridge logs and counts them.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type Decoded = { ok: true; text: string } | { ok: false; reason: string };

export function decodePayload(payload: Buffer, maxBytes: number): Decoded {
  if (payload.length > maxBytes) {
    return { ok: false, reason: `payload too large (${payload.length} bytes, limit ${maxBytes})` };
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, reason: 'binary payload' };
  }
  // Control characters other than tab and line breaks do not occur in text payloads.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    return { ok: false, reason: 'binary payload' };
  }
  return { ok: true, text };
}
