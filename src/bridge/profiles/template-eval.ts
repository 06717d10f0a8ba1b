/**
 * A safe evaluator for the subset of Home Assistant's Jinja templates that MQTT discovery
 * payloads use in practice (`value_template`, `command_template`):
 *   {{ value }}  {{ value_json.temperature }}  {{ value_json['temperature'] }}
 *   {{ value_json.a.b }}  {{ value | float }}  {{ value_json.x | round(1) }}
 *   {{ (value_json.x | float) * 10 }}  {{ 'ON' if value_json.state == 'on' else 'OFF' }}
 *   {% if value_json.x > 0 %}on{% elif ... %}...{% else %}off{% endif %}
 *   {% set modes = {'heat': 'heating', 'idle': 'idle'} %}{{ modes[value_json.state] }}
 * Names: value, value_json, and those set with `{% set %}`. Filters: float, int, round,
 * abs, lower, upper, string, trim, default, bool, replace, is_defined, tojson, from_json.
 * Tests: `is defined`, `is not defined`; `in`. Dict and list literals, comments and
 * whitespace control (`{%-`, `-%}`). No loops or macros, no calls, no attribute access beyond
 * JSON data: nothing here can reach the host. Anything else is refused when the template is
 * compiled, with the template named.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'name'; n: string }
  | { t: 'get'; o: Node; k: Node }
  | { t: 'filter'; o: Node; f: string; args: Node[] }
  | { t: 'bin'; op: string; a: Node; b: Node }
  | { t: 'not'; a: Node }
  | { t: 'neg'; a: Node }
  | { t: 'defined'; a: Node; negate: boolean }
  | { t: 'in'; a: Node; b: Node; negate: boolean }
  | { t: 'dict'; entries: Array<[Node, Node]> }
  | { t: 'list'; items: Node[] }
  | { t: 'if'; c: Node; a: Node; b: Node };

const TOKEN = new RegExp([
  String.raw`\s*(?:(\d+(?:\.\d+)?)`, // number
  String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`, // string
  String.raw`([A-Za-z_][A-Za-z0-9_]*)`, // name
  String.raw`(==|!=|<=|>=|\/\/|[-+*/%<>()[\].|,~{}:=]))`, // operator
].join('|'), 'y');
const FILTERS = new Set(['float', 'int', 'round', 'abs', 'lower', 'upper', 'string', 'trim',
  'default', 'd', 'bool', 'replace', 'is_defined', 'tojson', 'to_json', 'from_json']);
/**
 * Names some command templates are given beside `value` (see Scope.names): the percentage
 * as `position` and `tilt_position` (a cover's set_position_template and
 * tilt_command_template), a colour's numbers as `red`, `green` and `blue`, `hue` and `sat`,
 * or `x` and `y` (a light's rgb, hs and xy command templates), an alarm panel's `action`,
 * and the `code` of an alarm panel or a lock (None: no code is taken from chat).
 */
const NAMES = new Set(['value', 'value_json', 'position', 'tilt_position', 'red', 'green',
  'blue', 'hue', 'sat', 'x', 'y', 'action', 'code']);

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) throw new TemplateError(`unexpected "${src.slice(start).trim()}"`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  }
  return tokens;
}

class Parser {
  private i = 0;
  /** `locals`: the names `{% set %}` gave values before this point of the template. */
  constructor(private readonly tokens: string[],
    private readonly locals: ReadonlySet<string> = new Set()) {}

  parseAll(): Node {
    const node = this.conditional();
    this.end();
    return node;
  }

  /** `name = expression`, as `{% set %}` takes it. */
  parseAssignment(): [string, Node] {
    const name = this.tokens[this.i++];
    if (!name || !/^[A-Za-z_]\w*$/.test(name) || name === 'value' || name === 'value_json') {
      throw new TemplateError(`cannot set "${name ?? ''}"`);
    }
    this.expect('=');
    return [name, this.parseAll()];
  }

  private end(): void {
    if (this.i < this.tokens.length) throw new TemplateError(`unexpected "${this.tokens[this.i]}"`);
  }

  private peek(): string | undefined { return this.tokens[this.i]; }
  private eat(tok: string): boolean {
    if (this.tokens[this.i] !== tok) return false;
    this.i++;
    return true;
  }
  private expect(tok: string): void {
    if (!this.eat(tok)) throw new TemplateError(`expected "${tok}"`);
  }

  private conditional(): Node {
    const a = this.or();
    if (!this.eat('if')) return a;
    const c = this.or();
    const b = this.eat('else') ? this.conditional() : { t: 'lit', v: '' } as Node;
    return { t: 'if', c, a, b };
  }
  private or(): Node {
    let a = this.and();
    while (this.eat('or')) a = { t: 'bin', op: 'or', a, b: this.and() };
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.eat('and')) a = { t: 'bin', op: 'and', a, b: this.not() };
    return a;
  }
  private not(): Node {
    return this.eat('not') ? { t: 'not', a: this.not() } : this.comparison();
  }
  private comparison(): Node {
    const a = this.additive();
    const op = this.peek();
    if (op === 'is') {
      this.i++;
      const negate = this.eat('not');
      this.expect('defined');
      return { t: 'defined', a, negate };
    }
    if (op === 'in' || (op === 'not' && this.tokens[this.i + 1] === 'in')) {
      const negate = op === 'not';
      this.i += negate ? 2 : 1;
      return { t: 'in', a, b: this.additive(), negate };
    }
    if (op && ['==', '!=', '<', '>', '<=', '>='].includes(op)) {
      this.i++;
      return { t: 'bin', op, a, b: this.additive() };
    }
    return a;
  }
  private additive(): Node {
    let a = this.multiplicative();
    for (let op = this.peek(); op === '+' || op === '-' || op === '~'; op = this.peek()) {
      this.i++;
      a = { t: 'bin', op, a, b: this.multiplicative() };
    }
    return a;
  }
  private multiplicative(): Node {
    let a = this.unary();
    for (let op = this.peek(); op && ['*', '/', '//', '%'].includes(op); op = this.peek()) {
      this.i++;
      a = { t: 'bin', op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    return this.eat('-') ? { t: 'neg', a: this.unary() } : this.filtered();
  }
  private filtered(): Node {
    let node = this.postfix();
    while (this.eat('|')) {
      const f = this.tokens[this.i++];
      if (!f || !FILTERS.has(f)) throw new TemplateError(`unsupported filter "${f ?? ''}"`);
      const args: Node[] = [];
      if (this.eat('(')) {
        if (!this.eat(')')) {
          do args.push(this.conditional()); while (this.eat(','));
          this.expect(')');
        }
      }
      node = { t: 'filter', o: node, f, args };
    }
    return node;
  }
  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.eat('.')) {
        const key = this.tokens[this.i++];
        if (!key || !/^[A-Za-z0-9]/.test(key)) {
          throw new TemplateError(`unsupported attribute "${key ?? ''}"`);
        }
        node = { t: 'get', o: node, k: { t: 'lit', v: key } };
      } else if (this.eat('[')) {
        node = { t: 'get', o: node, k: this.conditional() };
        this.expect(']');
      } else return node;
    }
  }
  private primary(): Node {
    const tok = this.tokens[this.i++];
    if (tok === undefined) throw new TemplateError('unexpected end');
    if (tok === '(') {
      const node = this.conditional();
      this.expect(')');
      return node;
    }
    if (/^\d/.test(tok)) return { t: 'lit', v: Number(tok) };
    if (tok.startsWith("'") || tok.startsWith('"')) {
      return { t: 'lit', v: tok.slice(1, -1).replace(/\\(.)/g, '$1') };
    }
    if (tok === 'true' || tok === 'True') return { t: 'lit', v: true };
    if (tok === 'false' || tok === 'False') return { t: 'lit', v: false };
    if (tok === 'none' || tok === 'None') return { t: 'lit', v: null };
    if (tok === '[') {
      const items: Node[] = [];
      if (!this.eat(']')) {
        do items.push(this.conditional()); while (this.eat(','));
        this.expect(']');
      }
      return { t: 'list', items };
    }
    if (tok === '{') {
      const entries: Array<[Node, Node]> = [];
      if (!this.eat('}')) {
        do {
          const key = this.conditional();
          this.expect(':');
          entries.push([key, this.conditional()]);
        } while (this.eat(','));
        this.expect('}');
      }
      return { t: 'dict', entries };
    }
    if (NAMES.has(tok) || this.locals.has(tok)) return { t: 'name', n: tok };
    throw new TemplateError(`unsupported name "${tok}"`);
  }
}

export interface Scope {
  value: string;
  value_json?: unknown;
  /** Further names a template may use where they are given (position, tilt_position). */
  names?: Record<string, unknown>;
}

function toNumber(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Number.isNaN(n)) throw new TemplateError(`cannot use ${JSON.stringify(v)} as ${what}`);
  return n;
}

function applyFilter(f: string, v: unknown, args: unknown[]): unknown {
  switch (f) {
    case 'float':
    case 'int': {
      let n: number;
      try { n = toNumber(v, 'a number'); } catch (err) {
        if (args.length > 0) return args[0];
        throw err;
      }
      return f === 'int' ? Math.trunc(n) : n;
    }
    case 'round': {
      const digits = args.length > 0 ? toNumber(args[0], 'a precision') : 0;
      const factor = 10 ** digits;
      return Math.round(toNumber(v, 'a number') * factor) / factor;
    }
    case 'abs': return Math.abs(toNumber(v, 'a number'));
    case 'lower': return String(v).toLowerCase();
    case 'upper': return String(v).toUpperCase();
    case 'trim': return String(v).trim();
    case 'string': return stringify(v);
    case 'bool': return toBoolean(v);
    case 'replace': return String(v).split(String(args[0] ?? '')).join(String(args[1] ?? ''));
    case 'is_defined':
      if (v === undefined) throw new TemplateError('the value is undefined');
      return v;
    case 'tojson':
    case 'to_json': return JSON.stringify(v ?? null);
    case 'from_json': {
      try {
        return JSON.parse(String(v));
      } catch {
        throw new TemplateError(`cannot read ${JSON.stringify(v)} as JSON`);
      }
    }
    default: return v === undefined ? args[0] : v;
  }
}

/** Jinja's truth for the bool filter: numbers other than 0, and yes/on/true/1 as text. */
function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (['true', 'yes', 'on', '1', 'enable'].includes(word)) return true;
    if (['false', 'no', 'off', '0', 'disable', 'none', ''].includes(word)) return false;
  }
  throw new TemplateError(`cannot use ${JSON.stringify(v)} as a boolean`);
}

/** `a in b`: an item of a list, a key of an object, a piece of a text. */
function contains(b: unknown, a: unknown): boolean {
  if (Array.isArray(b)) return b.includes(a);
  if (typeof b === 'string') return b.includes(stringify(a));
  if (b !== null && typeof b === 'object') return Object.hasOwn(b, String(a));
  throw new TemplateError(`cannot look for a value in ${JSON.stringify(b)}`);
}

function arithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return stringify(a) + stringify(b);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  const x = toNumber(a, 'a number');
  const y = toNumber(b, 'a number');
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '//': return Math.floor(x / y);
    case '%': return x % y;
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    default: return x >= y;
  }
}

function evaluate(node: Node, scope: Scope): unknown {
  switch (node.t) {
    case 'lit': return node.v;
    case 'name': return node.n === 'value' ? scope.value
      : node.n === 'value_json' ? scope.value_json : scope.names?.[node.n];
    case 'get': {
      const o = evaluate(node.o, scope);
      const k = evaluate(node.k, scope);
      if (o === null || typeof o !== 'object') return undefined;
      const key = String(k);
      return Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
    }
    case 'filter': return applyFilter(node.f, evaluate(node.o, scope),
      node.args.map((a) => evaluate(a, scope)));
    case 'not': return !evaluate(node.a, scope);
    case 'neg': return -toNumber(evaluate(node.a, scope), 'a number');
    case 'defined': return (evaluate(node.a, scope) !== undefined) !== node.negate;
    case 'in': return contains(evaluate(node.b, scope), evaluate(node.a, scope)) !== node.negate;
    case 'list': return node.items.map((item) => evaluate(item, scope));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.entries) out[String(evaluate(k, scope))] = evaluate(v, scope);
      return out;
    }
    case 'if': return evaluate(node.c, scope) ? evaluate(node.a, scope) : evaluate(node.b, scope);
    case 'bin': {
      if (node.op === 'and') return evaluate(node.a, scope) && evaluate(node.b, scope);
      if (node.op === 'or') return evaluate(node.a, scope) || evaluate(node.b, scope);
      const a = evaluate(node.a, scope);
      const b = evaluate(node.b, scope);
      if (node.op === '==') return a === b;
      if (node.op === '!=') return a !== b;
      return arithmetic(node.op, a, b);
    }
  }
}

function stringify(v: unknown): string {
  if (v === undefined) throw new TemplateError('the value is undefined');
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export interface CompiledTemplate {
  source: string;
  /** The typed result of a template that is one expression; text otherwise. */
  render(scope: Scope): unknown;
}

/** A template's pieces: text, `{{ expressions }}`, `{% if %}` branches and `{% set %}`. */
type Item = string | { expr: Node } | { branches: Array<{ cond?: Node; body: Item[] }> }
  | { set: string; value: Node };

const OPENERS = { '{{': '}}', '{%': '%}', '{#': '#}' } as const;

/**
 * Splits a template into text and tags, `[kind, inside]` for each tag; a `-` inside a tag's
 * brace trims the whitespace next to it in the text on that side.
 */
function lex(source: string): Array<string | [keyof typeof OPENERS, string]> {
  const out: Array<string | [keyof typeof OPENERS, string]> = [];
  let rest = source;
  let trimNext = false;
  for (;;) {
    const found = (Object.keys(OPENERS) as Array<keyof typeof OPENERS>)
      .map((o) => [o, rest.indexOf(o)] as const).filter(([, at]) => at >= 0)
      .sort((a, b) => a[1] - b[1])[0];
    let text = found ? rest.slice(0, found[1]) : rest;
    if (trimNext) text = text.trimStart();
    if (!found) {
      if (text) out.push(text);
      return out;
    }
    const [opener, at] = found;
    const close = rest.indexOf(OPENERS[opener], at + 2);
    if (close < 0) throw new TemplateError(`"${opener}" without "${OPENERS[opener]}"`);
    let inside = rest.slice(at + 2, close);
    if (inside.startsWith('-')) {
      text = text.trimEnd();
      inside = inside.slice(1);
    }
    trimNext = inside.endsWith('-');
    if (trimNext) inside = inside.slice(0, -1);
    if (text) out.push(text);
    if (opener !== '{#') out.push([opener, inside]);
    rest = rest.slice(close + 2);
  }
}

/** Builds the pieces into blocks: `{% if %}`...`{% endif %}` nest, `{% set %}` names a value. */
function parseTemplate(source: string): Item[] {
  const locals = new Set<string>();
  const root: Item[] = [];
  // The open if statements, innermost last, each with the body being filled.
  const open: Array<{ item: { branches: Array<{ cond?: Node; body: Item[] }> }; body: Item[] }>
    = [];
  const body = () => open[open.length - 1]?.body ?? root;
  for (const piece of lex(source)) {
    if (typeof piece === 'string') {
      body().push(piece);
      continue;
    }
    const [kind, inside] = piece;
    const tokens = tokenize(inside);
    if (kind === '{{') {
      body().push({ expr: new Parser(tokens, locals).parseAll() });
      continue;
    }
    const [word, ...rest] = tokens;
    const parse = () => new Parser(rest, locals).parseAll();
    const current = open[open.length - 1];
    if (word === 'if') {
      const item = { branches: [{ cond: parse(), body: [] as Item[] }] };
      body().push(item);
      open.push({ item, body: item.branches[0]!.body });
    } else if ((word === 'elif' || word === 'else') && current) {
      const last = current.item.branches[current.item.branches.length - 1]!;
      if (last.cond === undefined) throw new TemplateError(`"${word}" after "else"`);
      const branch = { cond: word === 'elif' ? parse() : undefined, body: [] as Item[] };
      if (word === 'else' && rest.length > 0) throw new TemplateError('unexpected after "else"');
      current.item.branches.push(branch);
      current.body = branch.body;
    } else if (word === 'endif' && current && rest.length === 0) {
      open.pop();
    } else if (word === 'set') {
      const [name, value] = new Parser(rest, locals).parseAssignment();
      body().push({ set: name, value });
      locals.add(name);
    } else {
      throw new TemplateError(`unsupported statement "${word ?? ''}"`);
    }
  }
  if (open.length > 0) throw new TemplateError('"if" without "endif"');
  return root;
}

function renderBlock(items: Item[], scope: Scope, out: string[]): void {
  for (const item of items) {
    if (typeof item === 'string') out.push(item);
    else if ('expr' in item) out.push(stringify(evaluate(item.expr, scope)));
    else if ('set' in item) scope.names![item.set] = evaluate(item.value, scope);
    else {
      const taken = item.branches.find((b) => b.cond === undefined || evaluate(b.cond, scope));
      if (taken) renderBlock(taken.body, scope, out);
    }
  }
}

/** Compiles a template, or throws TemplateError naming the template and what is unsupported. */
export function compileTemplate(source: string): CompiledTemplate {
  let items: Item[];
  try {
    items = parseTemplate(source);
  } catch (err) {
    throw new TemplateError(`unsupported template ${source}: ${(err as Error).message}`);
  }
  const meaningful = items.filter((p) => typeof p !== 'string' || p.trim() !== '');
  const only = meaningful.length === 1 ? meaningful[0] : undefined;
  const single = only !== undefined && typeof only !== 'string' && 'expr' in only
    ? only.expr : undefined;

  return {
    source,
    render(scope) {
      try {
        if (single) return evaluate(single, scope);
        // `{% set %}` writes its names into a copy, so each rendering starts afresh.
        const local: Scope = { ...scope, names: { ...scope.names } };
        const out: string[] = [];
        renderBlock(items, local, out);
        return out.join('');
      } catch (err) {
        throw new TemplateError(`template ${source}: ${(err as Error).message}`);
      }
    },
  };
}
