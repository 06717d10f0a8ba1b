/**
 * Topic patterns with named captures, as profiles write them:
 *   `zigbee2mqtt/{friendly_name}`  one level, captured
 *   `{device}/status/switch:{channel}`  a capture inside a level
 *   `homeassistant/{component}/{node_id?}/{object_id}/config`  an optional level
 *   `sensors/{path+}`  one or more levels: `#` in the filter when last; elsewhere (one per
 *                      pattern) one filter per depth, up to MAX_MIDDLE_LEVELS levels
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

/**
 * The most levels a multi-level capture before the last level covers: an MQTT filter has no
 * wildcard for "any number of levels, then more", so it is one filter per depth (Zigbee2MQTT
 * friendly names such as `floor/room/lamp` use a few).
 */
export const MAX_MIDDLE_LEVELS = 4;

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

function compileLevel(level: string, source: string): Level {
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

/** The filters of one variant: `#` for a last multi-level capture, else one per depth. */
function filtersOf(levels: Level[]): string[] {
  const plain = (level: Level) => (level.literal ? level.raw : '+');
  const middle = levels.findIndex((level, i) => level.multi && i < levels.length - 1);
  if (middle < 0) {
    return [levels.map((level) => (level.multi ? '#' : plain(level))).join('/')];
  }
  return Array.from({ length: MAX_MIDDLE_LEVELS }, (_, depth) => [
    ...levels.slice(0, middle).map(plain),
    ...Array.from({ length: depth + 1 }, () => '+'),
    ...levels.slice(middle + 1).map(plain),
  ].join('/'));
}

export function compilePattern(source: string): TopicPattern {
  const levels = source.split('/').map((p) => compileLevel(p, source));
  if (levels.filter((level) => level.multi).length > 1) {
    throw new Error(`pattern ${source}: at most one {name+} capture`);
  }
  const variants = expand(levels);
  const filters = [...new Set(variants.flatMap((v) => filtersOf(v)))];
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

/** The names a command topic may use besides its pattern's captures. */
const COMMAND_VARIABLES = ['device', 'property', 'friendly_name', 'name'];

/**
 * What is wrong with a command topic written for a pattern (a generic topic's
 * command_topic), if anything: a wildcard, or a placeholder the pattern does not capture.
 */
export function commandTopicProblem(pattern: string, commandTopic: string): string | undefined {
  if (/[+#]/.test(commandTopic)) return 'a command topic cannot hold MQTT wildcards';
  const known = new Set([...captureNames(pattern), ...COMMAND_VARIABLES]);
  const unknown = captureNames(commandTopic).find((name) => !known.has(name));
  return unknown === undefined ? undefined
    : `{${unknown}} is not a capture of the pattern ${pattern}`;
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
