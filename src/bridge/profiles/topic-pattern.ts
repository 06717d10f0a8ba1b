/**
 * Topic patterns with named captures, as profiles write them:
 *   `zigbee2mqtt/{friendly_name}`  one level, captured
 *   `{device}/status/switch:{channel}`  a capture inside a level
 *   `homeassistant/{component}/{node_id?}/{object_id}/config`  an optional level
 *   `sensors/{path+}`  one or more trailing levels (only last)
 * A capture never starts with `$`, so Homie's `$name`-style attributes are not mistaken for
 * device or property names.
 */
export interface TopicPattern {
  source: string;
  /** The MQTT filters that cover the pattern (more than one when a level is optional). */
  filters: string[];
  match(topic: string): Record<string, string> | undefined;
}

const CAPTURE = /\{([A-Za-z_][A-Za-z0-9_]*)(\?|\+)?\}/g;

interface Level {
  regex: RegExp;
  names: string[];
  optional: boolean;
  multi: boolean;
  literal: boolean;
  raw: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileLevel(level: string, isLast: boolean, source: string): Level {
  const names: string[] = [];
  let optional = false;
  let multi = false;
  let regex = '';
  let last = 0;
  for (const m of level.matchAll(CAPTURE)) {
    regex += escapeRegex(level.slice(last, m.index));
    names.push(m[1]!);
    if (m[2] === '?' || m[2] === '+') {
      if (m[0] !== level) {
        throw new Error(`pattern ${source}: {${m[1]}${m[2]}} must fill its level`);
      }
      if (m[2] === '+' && !isLast) {
        throw new Error(`pattern ${source}: {${m[1]}+} must be the last level`);
      }
      optional = m[2] === '?';
      multi = m[2] === '+';
    }
    regex += multi ? '([^$/][^]*)' : '([^$/][^/]*)';
    last = m.index + m[0].length;
  }
  regex += escapeRegex(level.slice(last));
  if (/[+#]/.test(level.replace(CAPTURE, ''))) {
    throw new Error(`pattern ${source}: MQTT wildcards are written as {name} captures`);
  }
  return {
    regex: new RegExp(`^${regex}$`), names, optional, multi,
    literal: names.length === 0, raw: level,
  };
}

/** Every combination of present/absent optional levels, as level lists. */
function expand(levels: Level[]): Level[][] {
  let variants: Level[][] = [[]];
  for (const level of levels) {
    variants = level.optional
      ? variants.flatMap((v) => [[...v, level], v])
      : variants.map((v) => [...v, level]);
  }
  return variants;
}

function filterOf(levels: Level[]): string {
  return levels.map((level) => (level.multi ? '#' : level.literal ? level.raw : '+')).join('/');
}

export function compilePattern(source: string): TopicPattern {
  const parts = source.split('/');
  const levels = parts.map((p, i) => compileLevel(p, i === parts.length - 1, source));
  const variants = expand(levels);
  const filters = [...new Set(variants.map((v) => filterOf(v)))];
  const regexes = variants.map((v) => {
    const names = v.flatMap((l) => l.names);
    const body = v.map((l) => l.regex.source.slice(1, -1)).join('/');
    return { regex: new RegExp(`^${body}$`), names };
  });

  return {
    source,
    filters,
    match(topic) {
      for (const { regex, names } of regexes) {
        const m = regex.exec(topic);
        if (!m) continue;
        const captures: Record<string, string> = {};
        names.forEach((name, i) => { captures[name] = m[i + 1]!; });
        return captures;
      }
      return undefined;
    },
  };
}

/** Names the pattern captures, for checking that templates only use what exists. */
export function captureNames(source: string): string[] {
  return [...source.matchAll(CAPTURE)].map((m) => m[1]!);
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Fills `{name}` placeholders from `vars`; JSON braces such as `{"id":1}` are left alone
 * because a placeholder name cannot start with a quote. Returns the names that had no value.
 */
export function renderTemplate(template: string, vars: Record<string, string | undefined>):
  { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) { missing.push(name); return whole; }
    return value;
  });
  return { text, missing };
}
