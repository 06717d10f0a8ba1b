// Base64 as the Matrix spec uses it: appendices "Unpadded Base64" and
// "URL-safe unpadded Base64" (RFC 4648 sections 4 and 5, without "=" padding).

/** Characters allowed before any padding; both alphabets are accepted on input. */
const BASE64_BODY = /^[A-Za-z0-9+/_-]*$/;

function asBuffer(bytes: Uint8Array): Buffer {
  // A view, not a copy: Buffer shares the memory of the Uint8Array.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard alphabet, "=" padding stripped (appendices, "Unpadded Base64"). */
export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  const padded = asBuffer(bytes).toString('base64');
  let end = padded.length;
  while (end > 0 && padded.charCodeAt(end - 1) === 0x3d /* = */) end--;
  return end === padded.length ? padded : padded.slice(0, end);
}

/** URL-safe alphabet ("-" and "_"), no padding; used for v4+ event IDs. */
export function encodeUnpaddedBase64Url(bytes: Uint8Array): string {
  // Node's base64url encoder never pads.
  return asBuffer(bytes).toString('base64url');
}

/**
 * Decodes standard or URL-safe Base64, padded or not. The spec asks decoders to accept
 * input with or without padding. Node's own decoder silently skips characters it does
 * not know, so the input is validated first and anything odd is an error.
 *
 * Trailing bits of the last character are not required to be zero: the spec's own
 * test-vector seed ("...XA1") has non-zero trailing bits.
 */
export function decodeBase64(s: string): Uint8Array {
  let body = s;
  const padStart = s.indexOf('=');
  if (padStart !== -1) {
    body = s.slice(0, padStart);
    const padding = s.slice(padStart);
    if (padding.length > 2 || padding !== '=='.slice(0, padding.length)) {
      throw new Error('invalid base64: misplaced "=" padding');
    }
    if (s.length % 4 !== 0) throw new Error('invalid base64: wrong amount of "=" padding');
  }
  if (!BASE64_BODY.test(body)) throw new Error('invalid base64: unexpected character');
  // One leftover character carries only 6 bits, which is never a whole byte.
  if (body.length % 4 === 1) throw new Error('invalid base64: truncated input');

  // Copy out of Buffer: small Buffers are slices of a shared pool, and a caller reading
  // `.buffer` of the result must not see unrelated bytes.
  return new Uint8Array(Buffer.from(body, 'base64'));
}
