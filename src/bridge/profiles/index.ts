import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkProfile } from './schema.js';
import { buildGenericProfile, genericRules, type GenericTopic } from './generic.js';
import { Profile } from './profile.js';
import type { ProfileSpec } from './spec.js';

export { Profile, isParseFailure, type ParseResult, type Subscription } from './profile.js';
export { buildGenericProfile, type GenericTopic } from './generic.js';
export { formatReading, formatReadings } from './format-readings.js';
export type { CommandTarget } from './commands.js';
export type { LearnedDevice } from './learned.js';
export type { ProfileSpec } from './spec.js';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';

export interface LoadOptions {
  /** Payloads above this are refused as "payload too large" (default 64 KiB). */
  maxPayloadBytes?: number;
  /** Topic patterns for the generic profile, from the Switchboard config. */
  generic?: GenericTopic[];
}

/** Reads and checks one profile file; the error names the file and the failing field. */
export async function readProfileFile(path: string, extra: GenericTopic[] = []):
  Promise<ProfileSpec> {
  const file = basename(path);
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const problems = checkProfile(value);
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.field || '(top)'}: ${p.message}`).join('; ');
    throw new Error(`${file}: ${list}`);
  }
  const spec = value as ProfileSpec;
  if (`${spec.name}.yaml` !== file) {
    throw new Error(`${file}: name: "${spec.name}" does not match the file name`);
  }
  if (extra.length > 0) {
    const rules = genericRules(spec, extra);
    const generic = checkProfile({ ...spec, rules });
    if (generic.length > 0) {
      const first = generic[0]!;
      const field = first.field.replace(/^rules\./, '');
      throw new Error(`${file}: configured topic ${field}: ${first.message}`);
    }
  }
  return spec;
}

/**
 * Loads devices/*.yaml (or only `names`). The generic profile takes its topic patterns from
 * options.generic. A bad file is an Error naming the file and the field.
 */
export async function loadProfiles(dir: string, names?: string[], options: LoadOptions = {}):
  Promise<Profile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const wanted = names ?? files.map((f) => f.slice(0, -'.yaml'.length));
  const missing = wanted.filter((n) => !files.includes(`${n}.yaml`));
  if (missing.length > 0) throw new Error(`no profile ${missing.join(', ')} in ${dir}`);

  const profiles: Profile[] = [];
  for (const name of wanted) {
    const extra = name === 'generic' ? options.generic ?? [] : [];
    const spec = await readProfileFile(join(dir, `${name}.yaml`), extra);
    const opts = options.maxPayloadBytes === undefined
      ? {} : { maxPayloadBytes: options.maxPayloadBytes };
    profiles.push(name === 'generic'
      ? buildGenericProfile(spec, extra, opts) : new Profile(spec, opts));
  }
  return profiles;
}
