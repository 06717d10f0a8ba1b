import t from 'tap';

import { CanonicalJsonError, canonicalJson, compareCodePoints } from '../../src/crypto/index.js';

// Every example of appendices.md "Canonical JSON" > "Examples": the input is the JSON text
// given there (parsed here, as a server would receive it), the output is verbatim.
const SPEC_EXAMPLES: Array<[string, string]> = [
  ['{}', '{}'],
  ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
  ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
  ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
  [
    `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
    '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":' +
      '[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789",' +
      '"medium":"msisdn"}]},"success":true}}',
  ],
  ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
  ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
  ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
  ['{\n    "a": null\n}', '{"a":null}'],
  ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
];

t.test('every example from the spec appendix encodes as the spec says', async (t) => {
  for (const [input, expected] of SPEC_EXAMPLES) {
    t.equal(canonicalJson(JSON.parse(input)), expected, input.replace(/\s+/g, ' '));
  }
});

t.test('keys sort by Unicode code point, not by UTF-16 code unit', async (t) => {
  const ligature = '\uFB01'; // U+FB01, one UTF-16 unit
  const emoji = '\uD83D\uDE00'; // U+1F600, a surrogate pair starting 0xD83D < 0xFB01
  t.ok([ligature, emoji].sort()[0] === emoji, 'JS default sort puts the astral key first');
  t.equal(canonicalJson({ [emoji]: 2, [ligature]: 1 }), `{"${ligature}":1,"${emoji}":2}`);
  t.equal(canonicalJson({ [ligature]: 1, [emoji]: 2 }), `{"${ligature}":1,"${emoji}":2}`);

  // Mixed with ordinary keys, BMP private use and a key that is a prefix of another.
  const keys = ['b', '\uE000', emoji, 'a', '\uFFFF', 'ab', '\u00e9', '\uD800\uDC00', ''];
  const byCodePoint = [...keys].sort((x, y) => {
    const a = [...x].map((c) => c.codePointAt(0)!);
    const b = [...y].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
  const expected = '{' + byCodePoint.map((k) => `"${k}":${keys.indexOf(k)}`).join(',') + '}';
  t.equal(canonicalJson(obj), expected);
  t.equal(byCodePoint.at(-1), emoji, 'the highest code point sorts last');
});

t.test('compareCodePoints orders surrogate pairs above U+E000..U+FFFF', async (t) => {
  t.ok(compareCodePoints('\uFFFF', '\uD800\uDC00') < 0);
  t.ok(compareCodePoints('\uD800\uDC00', '\uE000') > 0);
  t.ok(compareCodePoints('\uD7FF', '\uD800\uDC00') < 0);
  t.ok(compareCodePoints('a', 'ab') < 0);
  t.equal(compareCodePoints('x\uD83D\uDE00', 'x\uD83D\uDE00'), 0);
});

t.test('strings use only the escapes the grammar allows', async (t) => {
  t.equal(canonicalJson('a"b\\c'), '"a\\"b\\\\c"');
  t.equal(canonicalJson('\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"');
  t.equal(canonicalJson('\u0000\u0001\u000b\u000e\u001f'), '"\\u0000\\u0001\\u000b\\u000e\\u001f"');
  t.equal(canonicalJson('/ \u007f \u2028 \u2029 é 😀'), '"/ \u007f \u2028 \u2029 é 😀"',
    'slash, DEL, line separators and non-ASCII are written as themselves');
  t.equal(canonicalJson({ 'k\n"': 'v' }), '{"k\\n\\"":"v"}', 'keys are escaped too');
});

t.test('lone surrogates are rejected: they have no UTF-8 form', async (t) => {
  t.throws(() => canonicalJson('\uD800'), CanonicalJsonError);
  t.throws(() => canonicalJson('x\uDC00y'), CanonicalJsonError);
  t.throws(() => canonicalJson({ ['\uDBFF']: 1 }), CanonicalJsonError);
  t.equal(canonicalJson('\uDBFF\uDFFF'), '"\uDBFF\uDFFF"', 'a proper pair is fine');
});

t.test('numbers: integers in the v6 range only', async (t) => {
  const max = 2 ** 53 - 1;
  t.equal(canonicalJson([max, -max, 0, -0, 1e10]), `[${max},${-max},0,0,10000000000]`);
  for (const bad of [1.5, -0.1, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity]) {
    t.throws(() => canonicalJson({ n: bad }), CanonicalJsonError, String(bad));
  }
});

t.test('errors name the problem and where it is', async (t) => {
  t.throws(() => canonicalJson({ content: { list: [1, 2.5] } }), {
    name: 'CanonicalJsonError',
    message: /non-integer number 2\.5.*content\.list\[1\]/,
  });
  t.throws(() => canonicalJson({ a: 2 ** 53 }), { message: /out-of-range integer/ });
  t.throws(() => canonicalJson(1.5), { message: /top level/ });
});

t.test('undefined is dropped from objects but rejected elsewhere', async (t) => {
  t.equal(canonicalJson({ a: undefined, b: 1, c: undefined }), '{"b":1}');
  t.equal(canonicalJson({ a: undefined }), '{}');
  t.throws(() => canonicalJson([1, undefined]), CanonicalJsonError);
  t.throws(() => canonicalJson(undefined), CanonicalJsonError);
});

t.test('values JSON cannot carry are rejected', async (t) => {
  const bad: unknown[] = [
    () => 1, Symbol('s'), 10n, new Date(0), new Map(), new Uint8Array(2),
    { f: () => 1 }, { s: Symbol('s') }, [10n],
  ];
  for (const value of bad) t.throws(() => canonicalJson(value), CanonicalJsonError);
});

t.test('objects without a prototype are plain JSON objects', async (t) => {
  const obj = Object.create(null) as Record<string, unknown>;
  obj.z = true;
  obj.a = false;
  t.equal(canonicalJson(obj), '{"a":false,"z":true}');
});

t.test('cyclic values fail cleanly instead of overflowing the stack', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => canonicalJson(cyclic), { name: 'CanonicalJsonError', message: /nesting/ });
});

t.test('output matches JSON.stringify of a sorted copy on ordinary data', async (t) => {
  const sortDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (v && typeof v === 'object') {
      const src = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(src).sort().map((k) => [k, sortDeep(src[k])]));
    }
    return v;
  };
  const event = {
    type: 'm.room.message', sender: '@alice:example.org', room_id: '!r:example.org',
    origin_server_ts: 1700000000000, depth: 12, prev_events: ['$a', '$b'], auth_events: [],
    content: {
      msgtype: 'm.text', body: 'line 1\nline "2"\t\\ ünïcödé', nested: [[], {}, null],
    },
  };
  t.equal(canonicalJson(event), JSON.stringify(sortDeep(event)));
});

t.test('keys in any order sort the same in small and large objects', async (t) => {
  // Small objects are sorted in place by insertion, larger ones by Array.prototype.sort:
  // both must agree with a plain sort, whatever order the keys were written in.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const size of [2, 3, 10, 24, 25, 200]) {
    const keys = Array.from({ length: size }, (_, i) => `k${(i * 7919) % 1000}_${i}`);
    for (const order of ['ascending', 'descending', 'shuffled']) {
      const written = order === 'ascending' ? [...keys].sort()
        : order === 'descending' ? [...keys].sort().reverse()
          : [...keys].sort(() => random() - 0.5);
      const object = Object.fromEntries(written.map((k, i) => [k, i]));
      const expected = JSON.stringify(Object.fromEntries(
        Object.keys(object).sort().map((k) => [k, object[k]])));
      t.equal(canonicalJson(object), expected, `${size} keys, ${order}`);
    }
  }
});
