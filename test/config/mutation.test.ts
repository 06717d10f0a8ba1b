import { readFile } from 'node:fs/promises';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load.js';

// Each setting of config/default.yaml set, in turn, to a value of the wrong type or shape:
// the config loads, or it is refused with a ConfigError whose message starts with the name
// of the setting (or of a setting around it); never another exception, which would stop
// Switchboard with a stack trace instead of a message that says what to fix.

const REPLACEMENTS: unknown[] = [null, 0, -1, 1e300, 1.5, '', 'x', [], {}, true, [1, 'a'],
  { a: { b: 1 } }];

type Path = string[];

function paths(value: unknown, at: Path = []): Path[] {
  const out = at.length > 0 ? [at] : [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  }
  return out;
}

function nested(path: Path, value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as
    Record<string, unknown>;
}

t.test('a setting of the wrong type is refused naming it, or accepted', async (t) => {
  const defaults = parseYaml(await readFile(new URL('../../config/default.yaml',
    import.meta.url), 'utf8'));
  const wrong: string[] = [];
  let refused = 0;
  let tried = 0;
  for (const path of paths(defaults)) {
    for (const by of REPLACEMENTS) {
      tried += 1;
      try {
        loadConfig({ env: {}, overrides: nested(path, by) });
      } catch (err) {
        const named = err instanceof ConfigError && path.some((_, i) =>
          err.message.startsWith(path.slice(0, i + 1).join('.')));
        if (named) refused += 1;
        else wrong.push(`${path.join('.')} = ${JSON.stringify(by)}: ${(err as Error).message}`);
      }
    }
  }
  t.ok(refused > tried / 2, `${refused} of ${tried} refused`);
  t.same(wrong.slice(0, 10), [], `${wrong.length} refused without naming the setting`);
});
