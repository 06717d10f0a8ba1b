/**
 * Event content must be canonical JSON, which allows only integers in [-(2^53)+1, 2^53-1]
 * (appendices, "Canonical JSON"): a temperature of 21.5 cannot be a JSON number in an event.
 * Other numbers become their decimal text; everything else is kept.
 */
export function numberText(n: number): string | number {
  return Number.isSafeInteger(n) ? n : String(n);
}

/** A copy of `value` with every number canonical JSON refuses replaced by its text. */
export function matrixSafe(value: unknown): unknown {
  if (typeof value === 'number') return numberText(value);
  if (Array.isArray(value)) return value.map(matrixSafe);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = matrixSafe(v);
    return out;
  }
  return value;
}
