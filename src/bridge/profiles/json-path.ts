/**
 * Dotted paths into decoded JSON, as profiles write them: `temperature`, `ENERGY.Total`,
 * `definition.exposes`, `device.identifiers.0`. An empty path (or `$`) is the whole value.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '' || path === '$') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key)) return undefined;
      current = current[Number(key)];
    } else {
      if (!Object.hasOwn(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every scalar leaf of an object with its key path, depth first, in key order. */
export function leaves(value: Record<string, unknown>, prefix: string[] = []):
  Array<{ path: string[]; value: unknown }> {
  const out: Array<{ path: string[]; value: unknown }> = [];
  for (const [key, inner] of Object.entries(value)) {
    if (isPlainObject(inner)) out.push(...leaves(inner, [...prefix, key]));
    else out.push({ path: [...prefix, key], value: inner });
  }
  return out;
}
