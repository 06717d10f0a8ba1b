// Canonical JSON, appendices "Signing JSON" > "Canonical JSON", with the integer range rule
// that room versions 6 and later enforce (rooms/fragments/v6-canonical-json).
//
// This runs for every event hashed, signed or verified, so it builds one string directly
// instead of copying the value into a sorted clone and handing that to JSON.stringify.

/** The value cannot be written as canonical JSON; the message names what and where. */
export class CanonicalJsonError extends Error {
  /** Where the problem is, e.g. `.content.body[2]`; empty for the top-level value. */
  path = '';
  /** The problem without its location. */
  readonly problem: string;

  constructor(problem: string) {
    super(problem);
    this.name = 'CanonicalJsonError';
    this.problem = problem;
  }
}

/**
 * Paths are only built when something fails: each level adds its segment while the error
 * unwinds, so the success path never concatenates path strings.
 */
function addPathSegment(err: unknown, segment: string): unknown {
  if (err instanceof CanonicalJsonError) err.path = segment + err.path;
  return err;
}

/**
 * A guard against cyclic values (which would otherwise end in a stack overflow). Real
 * events nest a handful of levels; 512 leaves plenty of room.
 */
const MAX_DEPTH = 512;

/** Needs more than the plain `"` + s + `"`: quote, backslash, control char or surrogate. */
const NEEDS_ESCAPE_OR_CHECK = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * For keys: anything that needs escaping or checking, or a unit at or above the first
 * surrogate, where code unit and code point order can differ. Keys are nearly always
 * plain ASCII, so one test per key usually settles both sorting and escaping.
 */
const KEY_NOT_PLAIN = /["\\\u0000-\u001f\ud800-\uffff]/;

/**
 * Encodes `value` as canonical JSON: keys sorted by Unicode code point, no insignificant
 * whitespace, non-ASCII characters written as themselves, integers only.
 * Object properties whose value is `undefined` are left out, as JSON.stringify does.
 * @throws CanonicalJsonError for floats, integers outside [-(2^53)+1, 2^53-1], NaN,
 *   bigint, functions, symbols, `undefined` outside an object property, lone surrogates,
 *   non-plain objects (Date, Map, class instances...) and cyclic values.
 */
export function canonicalJson(value: unknown): string {
  try {
    return encodeValue(value, 0);
  } catch (err) {
    if (err instanceof CanonicalJsonError) {
      const at = err.path === '' ? 'top level' : err.path.replace(/^\./, '');
      err.message = `${err.problem} (at ${at})`;
    }
    throw err;
  }
}

function encodeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      // Number.isSafeInteger is exactly the spec range [-(2**53)+1, (2**53)-1]; it rejects
      // NaN and the infinities too. String(-0) is "0", as the spec's -0 example requires.
      if (Number.isSafeInteger(value)) return String(value);
      throw new CanonicalJsonError(`${describeNumber(value)}: canonical JSON allows only ` +
        'integers in [-(2^53)+1, 2^53-1]');
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) {
        throw new CanonicalJsonError(`nesting deeper than ${MAX_DEPTH} levels (cyclic value?)`);
      }
      if (Array.isArray(value)) return encodeArray(value, depth + 1);
      return encodeObject(value as Record<string, unknown>, depth + 1);
    default:
      throw new CanonicalJsonError(`${typeof value} cannot be encoded as JSON`);
  }
}

function encodeArray(array: readonly unknown[], depth: number): string {
  if (array.length === 0) return '[]';
  let i = 0;
  try {
    let out = '[' + encodeValue(array[0], depth);
    for (i = 1; i < array.length; i++) out += ',' + encodeValue(array[i], depth);
    return out + ']';
  } catch (err) {
    throw addPathSegment(err, `[${i}]`);
  }
}

function encodeObject(object: Record<string, unknown>, depth: number): string {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (object as object).constructor?.name ?? 'object';
    throw new CanonicalJsonError(`${kind} is not a plain JSON object`);
  }

  const keys = Object.keys(object);
  let plain = true;
  for (let i = 0; i < keys.length && plain; i++) plain = !KEY_NOT_PLAIN.test(keys[i]!);
  // Sorting by code point, as the appendix requires: comparing UTF-16 code units agrees
  // with code point order unless a surrogate (an astral character) meets a unit in
  // U+E000..U+FFFF, which plain keys cannot contain.
  if (keys.length > 1) {
    if (plain && keys.length <= INSERTION_SORT_MAX) sortPlainKeys(keys);
    else keys.sort(plain ? undefined : compareCodePoints);
  }

  let out = '{';
  let first = true;
  let key = '';
  try {
    for (key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      out += (first ? '"' : ',"') + (plain ? key : escapeKey(key)) + '":' +
        encodeValue(member, depth);
      first = false;
    }
  } catch (err) {
    throw addPathSegment(err, '.' + key);
  }
  return out + '}';
}

/**
 * Objects up to this many keys (every object of an event, in practice) are sorted in place
 * by insertion: Array.prototype.sort copies the array into a work area on every call, and
 * that was ~7% of the bytes allocated per bridged event.
 */
const INSERTION_SORT_MAX = 24;

/** Insertion sort by code unit, in place; a run already in order costs one compare a key. */
function sortPlainKeys(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    if (keys[j]! < key) continue;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
}

/**
 * Strings need only the escapes of the appendix grammar: `"`, `\`, and the C0 controls
 * (\b \t \n \f \r by name, the rest as \u00xx in lower-case hex). JSON.stringify of a
 * string produces exactly that, and leaves DEL, U+2028 and U+2029 alone, as the grammar
 * does. A lone surrogate has no UTF-8 form, so it is an error rather than an escape.
 */
function encodeString(s: string): string {
  if (!NEEDS_ESCAPE_OR_CHECK.test(s)) return '"' + s + '"';
  checkWellFormed(s, 'string');
  return JSON.stringify(s);
}

/** A key, escaped but without its quotes (the caller adds them to its own concatenation). */
function escapeKey(key: string): string {
  if (!NEEDS_ESCAPE_OR_CHECK.test(key)) return key;
  checkWellFormed(key, 'key');
  return JSON.stringify(key).slice(1, -1);
}

function checkWellFormed(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new CanonicalJsonError(`${what} contains a lone UTF-16 surrogate, which has no ` +
      'UTF-8 encoding');
  }
}

/** Code point order on UTF-16 strings, without decoding them. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Where the strings first differ, lift surrogates above U+E000..U+FFFF; below
    // U+D800 code units and code points already agree.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function describeNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? `out-of-range integer ${n}` : `non-integer number ${n}`;
}
