import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import type { DeviceCommand } from '../../../src/bridge/profile-types.js';
import {
  loadProfiles, type GenericTopic, type Profile,
} from '../../../src/bridge/profiles/index.js';

/**
 * Table-driven profile fixtures (fixtures/*.yaml): steps run in order against one profile,
 * so discovery and device lists teach what later steps use. A step is a message (topic and
 * payload → every ParsedMessage, a failure, or null for "not this profile's topic") or a
 * command (→ the OutgoingPublish or an error).
 */
interface Step {
  title: string;
  topic?: string;
  payload?: unknown;
  /** Hex bytes, for binary payloads. */
  payloadHex?: string;
  /** A payload of this many bytes of "x". */
  payloadBytes?: number;
  expect?: unknown;
  failure?: string;
  subscribe?: string[];
  command?: DeviceCommand;
  device?: { deviceId: string; friendlyName?: string };
  publish?: unknown;
  error?: string;
}

interface Fixture {
  profile: string;
  maxPayloadBytes?: number;
  generic?: GenericTopic[];
  steps: Step[];
}

async function readFixture(path: string): Promise<Fixture> {
  return parseYaml(await readFile(path, 'utf8')) as Fixture;
}

function payloadOf(step: Step): Buffer {
  if (step.payloadHex !== undefined) return Buffer.from(step.payloadHex, 'hex');
  if (step.payloadBytes !== undefined) return Buffer.alloc(step.payloadBytes, 'x');
  if (step.payload === undefined || step.payload === null) return Buffer.alloc(0);
  if (typeof step.payload === 'string') return Buffer.from(step.payload);
  return Buffer.from(JSON.stringify(step.payload));
}

function runStep(t: Test, profile: Profile, step: Step): void {
  if (step.command) {
    const device = step.device ?? { deviceId: 'unset' };
    const out = profile.buildCommand(device, step.command);
    if (step.error !== undefined) {
      t.ok('error' in out, `${step.title}: refused`);
      if ('error' in out) t.match(out.error, new RegExp(step.error), step.title);
    } else {
      t.same(out, step.publish, step.title);
    }
    return;
  }

  const result = profile.parseAll(step.topic!, payloadOf(step));
  if (step.failure !== undefined) {
    t.ok(result && !Array.isArray(result), `${step.title}: a parse failure`);
    if (result && !Array.isArray(result)) {
      t.equal(result.profile, profile.name);
      t.match(result.reason, new RegExp(step.failure), step.title);
    }
    return;
  }
  if (step.expect === null) {
    t.equal(result, undefined, step.title);
    return;
  }
  if (!Array.isArray(result)) {
    t.fail(`${step.title}: expected messages, got ${JSON.stringify(result)}`);
    return;
  }
  const withoutSubscribe = result.map(({ subscribe, ...m }) => m);
  t.same(withoutSubscribe, step.expect, step.title);
  if (step.subscribe) {
    t.same(result.flatMap((m) => m.subscribe ?? []), step.subscribe, `${step.title}: subscribes`);
  }
}

const fixtures = join(import.meta.dirname, 'fixtures');
const devices = join(import.meta.dirname, '../../../devices');

for (const file of (await readdir(fixtures)).filter((f) => f.endsWith('.yaml')).sort()) {
  const fixture = await readFixture(join(fixtures, file));
  const title = `the ${fixture.profile} profile reads ${file} as its ecosystem publishes it`;
  t.test(title, async (t) => {
    const options = { generic: fixture.generic ?? [] } as { generic: typeof fixture.generic;
      maxPayloadBytes?: number };
    if (fixture.maxPayloadBytes !== undefined) options.maxPayloadBytes = fixture.maxPayloadBytes;
    const [profile] = await loadProfiles(devices, [fixture.profile], options);
    for (const step of fixture.steps) runStep(t, profile!, step);
  });
}
