import { getPath } from './json-path.js';
import { renderTemplate } from './topic-pattern.js';
import type { Condition, Source } from './spec.js';

/** A source's value: `{capture}` templates from the topic, other strings as JSON paths. */
export function resolveSource(source: Source | undefined, captures: Record<string, string>,
  json: unknown): string | undefined {
  if (source === undefined) return undefined;
  for (const s of Array.isArray(source) ? source : [source]) {
    if (s.includes('{')) {
      const { text, missing } = renderTemplate(s, captures);
      if (missing.length === 0 && text !== '') return text;
      continue;
    }
    const value = getPath(json, s);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}

export function holds(condition: Condition | undefined, json: unknown): boolean {
  if (!condition) return true;
  const value = getPath(json, condition.path);
  return condition.in.some((v) => v === value);
}

export type Json = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJson(text: string): Json {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
}

/** Looks like JSON worth parsing: an object or array. */
export function looksLikeJson(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[');
}
