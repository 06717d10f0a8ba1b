import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the plugin sits on .default.
const addFormats = addFormatsModule.default;

/** The repository root: this file lives in test/helpers. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The Matrix spec's OpenAPI definitions, checked out beside the repository (the issue names
 * ../shared/matrix-spec relative to the repo root).
 */
export const SPEC_DIR = resolve(REPO_ROOT, '../shared/matrix-spec/data/api/client-server');

export interface ValidationResult {
  ok: boolean;
  errors: string[];
  /** False when the spec declares no response for this method, path and status. */
  schemaFound: boolean;
  /** The spec's path template the concrete path matched, with its base path. */
  template?: string;
  /** Why no schema was found, when it was not. */
  note?: string;
}

type Node = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  segments: string[];
  file: string;
  responses: Node;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
// Keys next to a $ref that only annotate it; anything else must be applied alongside the target.
const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'summary']);
// Keywords whose keys are names chosen by the schema (a property called `example` is real).
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions',
  'content', 'responses', 'headers']);

/**
 * Formats the spec's schemas use beyond JSON Schema's own, after the identifier grammars in
 * the spec's appendices (user, room, event IDs, aliases, server names, mxc URIs, base64).
 * Room IDs have no server part since room version 12, so only the sigil is required.
 */
const MATRIX_FORMATS: Record<string, RegExp> = {
  'mx-user-id': /^@[^:\s]+:\S+$/,
  'mx-room-id': /^!\S+$/,
  'mx-event-id': /^\$\S+$/,
  'mx-room-alias': /^#[^:\s]+:\S+$/,
  'mx-server-name': /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/,
  'mx-mxc-uri': /^mxc:\/\/[^/\s]+\/[^/\s]+$/,
  'mx-unpadded-base64': /^[A-Za-z0-9+/]*$/,
  'mx-urlsafe-unpadded-base64': /^[A-Za-z0-9_-]*$/,
};

/** Loads the client-server OpenAPI files and validates responses against them. */
export class OpenApiValidator {
  private readonly docs = new Map<string, unknown>();
  private readonly operations: Operation[] = [];
  private readonly derefCache = new Map<string, unknown>();
  private readonly compiled = new Map<unknown, ValidateFunction>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly errorSchema: unknown;

  constructor(readonly specDir: string) {
    addFormats(this.ajv);
    for (const [name, pattern] of Object.entries(MATRIX_FORMATS)) {
      this.ajv.addFormat(name, pattern);
    }
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('float', { type: 'number', validate: () => true });

    for (const name of readdirSync(specDir).filter((f) => f.endsWith('.yaml')).sort()) {
      this.indexFile(join(specDir, name));
    }
    this.errorSchema = this.deref({ $ref: 'definitions/errors/error.yaml' },
      join(specDir, 'index.yaml'), []);
  }

  /** How many operations (method + path) the spec files define. */
  get operationCount(): number {
    return this.operations.length;
  }

  /**
   * Validates one response body. `concretePath` is the full request path such as
   * /_matrix/client/v3/rooms/!a:b/state/m.room.topic/ (a query string is ignored).
   * An error status the endpoint does not declare is still checked against the standard
   * error schema, but reports schemaFound false so callers decide whether to accept it.
   */
  validateResponse(method: string, concretePath: string, status: number,
    body: unknown): ValidationResult {
    const op = this.match(method, concretePath);
    if (!op) {
      return this.fallback(status, body, `no operation for ${method} ${concretePath}`);
    }
    const response = this.responseFor(op, status);
    if (!response) {
      const result = this.fallback(status, body, `${op.template} declares no ${status}`);
      return { ...result, template: op.template };
    }
    const schema = (response.content as Node | undefined)?.['application/json'] as
      Node | undefined;
    if (!schema?.schema) {
      // Declared without a body schema: an error is still a standard error ("Standard error
      // response"); anything else (a redirect, say) has nothing to check against.
      const errors = status >= 400 ? this.check(this.errorSchema, body) : [];
      return { ok: errors.length === 0, errors, schemaFound: true, template: op.template };
    }
    const errors = this.check(schema.schema, body);
    return { ok: errors.length === 0, errors, schemaFound: true, template: op.template };
  }

  /** The statuses the spec declares for the operation a concrete path matches. */
  declaredStatuses(method: string, concretePath: string): number[] {
    const op = this.match(method, concretePath);
    return op ? Object.keys(op.responses).filter((k) => /^\d{3}$/.test(k)).map(Number) : [];
  }

  /** The operation whose template matches, preferring the one with most literal segments. */
  match(method: string, concretePath: string): Operation | undefined {
    const path = concretePath.split('?')[0]!;
    // Some templates end in a slash (/pushrules/) and servers accept both spellings.
    const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    return this.matchExact(method, path) ?? this.matchExact(method, other);
  }

  private matchExact(method: string, path: string): Operation | undefined {
    const segments = path.split('/').map((s) => {
      try { return decodeURIComponent(s); } catch { return s; }
    });
    let best: Operation | undefined;
    let bestLiterals = -1;
    for (const op of this.operations) {
      if (op.method !== method.toLowerCase() || op.segments.length !== segments.length) continue;
      let literals = 0;
      let matches = true;
      for (let i = 0; i < segments.length; i++) {
        const part = op.segments[i]!;
        if (part.startsWith('{') && part.endsWith('}')) continue;
        if (part !== segments[i]) { matches = false; break; }
        literals++;
      }
      if (matches && literals > bestLiterals) { best = op; bestLiterals = literals; }
    }
    return best;
  }

  private fallback(status: number, body: unknown, note: string): ValidationResult {
    if (status < 400) return { ok: false, errors: [note], schemaFound: false, note };
    const errors = this.check(this.errorSchema, body);
    return { ok: errors.length === 0, errors, schemaFound: false, note };
  }

  /** Every declared (method, template, status); lets a test compile all schemas once. */
  *declared(): Generator<[string, string, number]> {
    for (const op of this.operations) {
      for (const status of Object.keys(op.responses)) {
        if (/^\d{3}$/.test(status)) yield [op.method.toUpperCase(), op.template, Number(status)];
      }
    }
  }

  private responseFor(op: Operation, status: number): Node | undefined {
    const raw = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`]
      ?? op.responses.default;
    if (!raw) return undefined;
    return this.deref(raw, op.file, []) as Node;
  }

  private check(schema: unknown, body: unknown): string[] {
    const validate = this.compiled.get(schema) ?? this.ajv.compile(schema as object);
    this.compiled.set(schema, validate);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => {
      const where = e.instancePath || '(body)';
      const extra = e.keyword === 'additionalProperties'
        ? ` (${String((e.params as Node).additionalProperty)})` : '';
      return `${where} ${e.message ?? e.keyword}${extra} [schema ${e.schemaPath}]`;
    });
  }

  private indexFile(file: string): void {
    const doc = this.load(file) as Node;
    const paths = doc.paths as Node | undefined;
    if (!paths) return;
    const servers = doc.servers as Node[] | undefined;
    const variables = servers?.[0]?.variables as Node | undefined;
    const basePath = ((variables?.basePath as Node | undefined)?.default as string) ?? '';
    for (const [path, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const op = (item as Node)[method] as Node | undefined;
        if (!op) continue;
        const template = basePath + path;
        this.operations.push({
          method, template, segments: template.split('/'), file,
          responses: (op.responses as Node | undefined) ?? {},
        });
      }
    }
  }

  private load(file: string): unknown {
    let doc = this.docs.get(file);
    if (doc === undefined) {
      doc = parse(readFileSync(file, 'utf8'));
      this.docs.set(file, doc);
    }
    return doc;
  }

  /**
   * Inlines every $ref (relative files and JSON pointers) so ajv sees one self-contained
   * schema. A reference already being expanded further up is a cycle; it becomes `{}`
   * (accept anything) there rather than recursing for ever.
   */
  private deref(node: unknown, file: string, stack: string[]): unknown {
    if (Array.isArray(node)) return node.map((item) => this.deref(item, file, stack));
    if (!node || typeof node !== 'object') return node;
    const object = node as Node;
    if (typeof object.$ref === 'string') {
      const [target, targetFile, key] = this.lookup(object.$ref, file);
      let resolved: unknown;
      if (stack.includes(key)) resolved = {};
      else if (this.derefCache.has(key)) resolved = this.derefCache.get(key);
      else {
        resolved = this.deref(target, targetFile, [...stack, key]);
        this.derefCache.set(key, resolved);
      }
      const siblings = Object.entries(object).filter(([k]) => k !== '$ref' && !ANNOTATIONS.has(k));
      if (siblings.length === 0) return resolved;
      const rest = this.deref(Object.fromEntries(siblings), file, stack) as Node;
      return { allOf: [resolved], ...rest };
    }
    const out: Node = {};
    for (const [k, v] of Object.entries(object)) {
      // Examples are prose for readers, and some contain keys ajv would try to read.
      if (k === 'example' || k === 'examples') continue;
      out[k] = NAME_MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([name, sub]) =>
          [name, this.deref(sub, file, stack)]))
        : this.deref(v, file, stack);
    }
    return out;
  }

  private lookup(ref: string, file: string): [unknown, string, string] {
    const [filePart, pointer = ''] = ref.split('#');
    const targetFile = filePart ? resolve(dirname(file), filePart) : file;
    let target = this.load(targetFile);
    for (const raw of pointer.split('/').filter(Boolean)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = (target as Node | undefined)?.[key];
    }
    if (target === undefined) throw new Error(`unresolvable $ref ${ref} in ${file}`);
    return [target, targetFile, `${targetFile}#${pointer}`];
  }
}

let shared: OpenApiValidator | undefined;

/** The validator over SPEC_DIR, loaded once; undefined when the spec is not checked out. */
export function loadSpecValidator(): OpenApiValidator | undefined {
  if (!existsSync(SPEC_DIR)) return undefined;
  shared ??= new OpenApiValidator(SPEC_DIR);
  return shared;
}

/** See OpenApiValidator.validateResponse; throws when the spec folder is missing. */
export function validateResponse(method: string, concretePath: string, status: number,
  body: unknown): ValidationResult {
  const validator = loadSpecValidator();
  if (!validator) throw new Error(`Matrix spec not found at ${SPEC_DIR}`);
  return validator.validateResponse(method, concretePath, status, body);
}
