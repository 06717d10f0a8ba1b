/**
 * A small checker for the subset of JSON Schema that the config schema uses (type, enum,
 * minimum, maximum, minLength, pattern, required, properties, additionalProperties: false,
 * items).
 * A full validator compiles its meta-schema at start, which cost ~200 ms of the 500 ms start
 * budget on a Raspberry Pi-class machine; this walks the schema directly.
 */
export interface SchemaNode {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  required?: readonly string[];
  properties?: Readonly<Record<string, SchemaNode>>;
  additionalProperties?: boolean;
  /** Every element of an array is checked against this; problems are named `key.<index>`. */
  items?: SchemaNode;
  description?: string;
}

export interface Problem {
  field: string;
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** Every problem of `value` against `schema`, each under its dotted key. */
export function checkSchema(schema: SchemaNode, value: unknown, path: string[] = []): Problem[] {
  const field = path.join('.');
  const expected = () => `expected ${schema.description ?? `a value of type ${schema.type}`}, ` +
    `got ${JSON.stringify(value)}`;

  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => typeMatches(t, typeOf(value)))) return [{ field, message: expected() }];
  }
  if (value === null) return [];
  if (schema.enum && !schema.enum.includes(value)) return [{ field, message: expected() }];
  if (typeof value === 'number') {
    if ((schema.minimum !== undefined && value < schema.minimum)
      || (schema.maximum !== undefined && value > schema.maximum)) {
      return [{ field, message: expected() }];
    }
  }
  if (typeof value === 'string') {
    if ((schema.minLength !== undefined && value.length < schema.minLength)
      || (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))) {
      return [{ field, message: expected() }];
    }
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.flatMap((item, index) => checkSchema(items, item, [...path, String(index)]));
  }
  if (typeOf(value) !== 'object' || !schema.properties) return [];

  const object = value as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const key of schema.required ?? []) {
    if (!(key in object)) problems.push({ field: [...path, key].join('.'), message: 'missing' });
  }
  for (const [key, inner] of Object.entries(object)) {
    const child = schema.properties[key];
    if (child) problems.push(...checkSchema(child, inner, [...path, key]));
    else if (schema.additionalProperties === false) {
      problems.push({ field: [...path, key].join('.'), message: 'unknown setting' });
    }
  }
  return problems;
}
