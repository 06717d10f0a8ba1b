import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { checkSchema } from './check.js';
import { commandTopicProblem, compilePattern } from '../bridge/profiles/topic-pattern.js';
import { configSchema, type Config } from './schema.js';

/** A configuration problem; `field` is the dotted key that is wrong. */
export class ConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

/** Walks up from this module to the folder holding package.json (works from src/ and dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lays `over` onto `base`: objects merge key by key, anything else replaces. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeConfig(base[key], value);
  return out;
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError('', `config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
}

export interface LoadOptions {
  /** Path of the user's file; falls back to $SWITCHBOARD_CONFIG. */
  file?: string;
  /** Values laid over everything else (tests and benchmarks use this). */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads config/default.yaml, lays the user's file and overrides over it and checks the
 * result. Every problem is reported, each under its dotted key, in one ConfigError.
 */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  let merged = readYaml(join(packageRoot(), 'config', 'default.yaml'));
  const file = options.file ?? env.SWITCHBOARD_CONFIG;
  if (file) {
    const user = readYaml(file);
    if (!isPlainObject(user)) {
      throw new ConfigError('', `config file ${file} must hold a mapping of settings`);
    }
    merged = mergeConfig(merged, user);
  }
  if (options.overrides) merged = mergeConfig(merged, options.overrides);

  const problems = checkSchema(configSchema, merged);
  if (problems.length > 0) {
    const first = problems[0]!;
    const rest = problems.slice(1).map((p) => `; ${p.field}: ${p.message}`).join('');
    throw new ConfigError(first.field, first.message + rest);
  }
  const config = merged as unknown as Config;
  const generic = genericTopicProblem(config);
  if (generic) throw new ConfigError(generic.field, generic.message);
  return deepFreeze({ ...config, data_dir: resolve(config.data_dir) });
}

/**
 * What the schema cannot say of bridge.generic_topics: each pattern compiles, and each
 * command topic uses only what its pattern captures. Checked here so that a mistake stops
 * the start before any listener opens.
 */
function genericTopicProblem(config: Config): { field: string; message: string } | undefined {
  for (const [i, topic] of (config.bridge.generic_topics ?? []).entries()) {
    const field = `bridge.generic_topics.${i}`;
    try {
      compilePattern(topic.pattern);
    } catch (err) {
      return { field: `${field}.pattern`, message: (err as Error).message };
    }
    const problem = topic.command_topic === undefined ? undefined
      : commandTopicProblem(topic.pattern, topic.command_topic);
    if (problem) return { field: `${field}.command_topic`, message: problem };
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (isPlainObject(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
