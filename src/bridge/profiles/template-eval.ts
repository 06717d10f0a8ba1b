/**
 * A safe evaluator for the subset of Home Assistant's Jinja templates that MQTT discovery
 * payloads use in practice (`value_template`, `command_template`):
 *   {{ value }}  {{ value_json.temperature }}  {{ value_json['temperature'] }}
 *   {{ value_json.a.b }}  {{ value | float }}  {{ value_json.x | round(1) }}
 *   {{ (value_json.x | float) * 10 }}  {{ 'ON' if value_json.state == 'on' else 'OFF' }}
 * Names: value, value_json. Filters: float, int, round, abs, lower, upper, string, trim,
 * default. Tests: `is defined`, `is not defined`. No statements (`{% %}`), no calls, no
 * attribute access beyond JSON data: nothing here can reach the host. Anything else is
 * refused when the template is compiled, with the template named.
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
  | { t: 'if'; c: Node; a: Node; b: Node };

const TOKEN = new RegExp([
  String.raw`\s*(?:(\d+(?:\.\d+)?)`, // number
  String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`, // string
  String.raw`([A-Za-z_][A-Za-z0-9_]*)`, // name
  String.raw`(==|!=|<=|>=|\/\/|[-+*/%<>()[\].|,~]))`, // operator
].join('|'), 'y');
const FILTERS = new Set(['float', 'int', 'round', 'abs', 'lower', 'upper', 'string', 'trim',
  'default', 'd']);
/**
 * Names some command templates are given beside `value` (see Scope.names): the percentage
 * as `position` and `tilt_position` (a cover's set_position_template and
 * tilt_command_template), a colour's numbers as `red`, `green` and `blue`, `hue` and `sat`,
 * or `x` and `y` (a light's rgb, hs and xy command templates).
 */
const NAMES = new Set(['value', 'value_json', 'position', 'tilt_position', 'red', 'green',
  'blue', 'hue', 'sat', 'x', 'y']);

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
  constructor(private readonly tokens: string[]) {}

  parseAll(): Node {
    const node = this.conditional();
    if (this.i < this.tokens.length) throw new TemplateError(`unexpected "${this.tokens[this.i]}"`);
    return node;
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
    if (NAMES.has(tok)) return { t: 'name', n: tok };
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
    default: return v === undefined ? args[0] : v;
  }
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

/** Compiles a template, or throws TemplateError naming the template and what is unsupported. */
export function compileTemplate(source: string): CompiledTemplate {
  if (source.includes('{%') || source.includes('{#')) {
    throw new TemplateError(`unsupported template ${source}: statements and comments`);
  }
  const parts: Array<string | Node> = [];
  let rest = source;
  try {
    for (let open = rest.indexOf('{{'); open >= 0; open = rest.indexOf('{{')) {
      const close = rest.indexOf('}}', open);
      if (close < 0) throw new TemplateError('"{{" without "}}"');
      if (open > 0) parts.push(rest.slice(0, open));
      parts.push(new Parser(tokenize(rest.slice(open + 2, close))).parseAll());
      rest = rest.slice(close + 2);
    }
  } catch (err) {
    throw new TemplateError(`unsupported template ${source}: ${(err as Error).message}`);
  }
  if (rest) parts.push(rest);
  const meaningful = parts.filter((p) => typeof p !== 'string' || p.trim() !== '');
  const single = meaningful.length === 1 && typeof meaningful[0] !== 'string'
    ? meaningful[0] : undefined;

  return {
    source,
    render(scope) {
      try {
        if (single) return evaluate(single, scope);
        return parts
          .map((p) => (typeof p === 'string' ? p : stringify(evaluate(p, scope))))
          .join('');
      } catch (err) {
        throw new TemplateError(`template ${source}: ${(err as Error).message}`);
      }
    },
  };
}
