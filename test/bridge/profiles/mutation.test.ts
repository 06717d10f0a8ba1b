import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import type { DeviceCommand } from '../../../src/bridge/profile-types.js';
import { loadProfiles, type GenericTopic } from '../../../src/bridge/profiles/index.js';

// Every fixture message again, with its JSON values swapped one at a time for values of the
// wrong type or shape (null, lists, objects, huge numbers, templates, empty text): a profile
// must answer each with readings, a failure that says what was wrong, or nothing. Profile
// catches what its readers throw and reports "could not read message: ..." (and "could not
// build the command: ..."), so the device's message is still counted and logged; that net
// catching anything here is a reader that did not check its input, and fails the test.
// Commands from the fixtures are built after each mutated message too, so state learned
// from a bad config is exercised. Deterministic: the same replacements, in the same order.

interface Step {
  topic?: string;
  payload?: unknown;
  command?: DeviceCommand;
  device?: { deviceId: string; friendlyName?: string };
}

interface Fixture { profile: string; generic?: GenericTopic[]; steps: Step[] }

const fixtures = join(import.meta.dirname, 'fixtures');
const devices = join(import.meta.dirname, '..', '..', '..', 'devices');

const REPLACEMENTS: unknown[] = [null, 0, -1, 1e300, '', 'x', [], {}, true, [1, 'a'],
  { a: { b: 1 } }, '{{ value_json.nope.deeper }}', '{% if %}', 'NaN', '-0'];

/** Every path to a value inside `value` (objects and lists), the value itself included. */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  }
  return out;
}

function replaced(value: unknown, path: Array<string | number>, by: unknown): unknown {
  if (path.length === 0) return by;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), by);
  return copy;
}

/** A fixture's payload as the fixture tests send it: text as is, null as nothing. */
function original(payload: unknown): Buffer {
  if (payload === null) return Buffer.alloc(0);
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

const READ_NET = 'could not read message:';
const BUILD_NET = 'could not build the command:';

const files = (await readdir(fixtures)).filter((f) => f.endsWith('.yaml')).sort();

for (const file of files) {
  t.test(`${file}: mutated messages are read or refused, never thrown on`, async (t) => {
    const fixture = parseYaml(await readFile(join(fixtures, file), 'utf8')) as Fixture;
    const [profile] = await loadProfiles(devices, [fixture.profile],
      { generic: fixture.generic ?? [] });
    const commands = fixture.steps.filter((s) => s.command);
    let tried = 0;
    const thrown: string[] = [];
    for (const step of fixture.steps) {
      if (step.topic === undefined || step.payload === undefined) continue;
      // A JSON payload has each value replaced in turn; a text one is replaced whole, by
      // those values as JSON and by text that is half JSON or not text at all.
      const variants: Array<[where: string, payload: Buffer]> = [];
      if (step.payload !== null && typeof step.payload === 'object') {
        for (const path of paths(step.payload)) {
          for (const by of REPLACEMENTS) {
            variants.push([`${path.join('.')} = ${JSON.stringify(by)}`,
              Buffer.from(JSON.stringify(replaced(step.payload, path, by)))]);
          }
        }
      } else {
        for (const text of [...REPLACEMENTS.map((v) => JSON.stringify(v)), '{', '[1,', ' ',
          '\u0000', 'ON OFF', String(step.payload).repeat(50)]) {
          variants.push([JSON.stringify(text), Buffer.from(text)]);
        }
        variants.push(['bytes ff fe', Buffer.from([0xff, 0xfe, 0x00])]);
      }
      for (const [where, payload] of variants) {
        tried += 1;
        const result = profile!.parseAll(step.topic, payload);
        if (result !== undefined && !Array.isArray(result)
          && (typeof result.reason !== 'string' || result.reason.startsWith(READ_NET))) {
          thrown.push(`${step.topic} ${where}: ${result.reason}`);
        }
        for (const c of commands) {
          const out = profile!.buildCommand(c.device ?? { deviceId: 'x' }, c.command!);
          if ('error' in out && out.error.startsWith(BUILD_NET)) {
            thrown.push(`${step.topic} ${where}, then ${JSON.stringify(c.command)}: ` +
              out.error);
          }
        }
      }
      // The original message again, so later steps see the state the fixture meant.
      profile!.parseAll(step.topic, original(step.payload));
    }
    t.ok(tried > 0, `${tried} mutated messages`);
    t.same(thrown.slice(0, 10), [], `${thrown.length} of ${tried} threw in a reader`);
  });
}
