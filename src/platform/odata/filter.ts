/**
 * A parser for the part of OData `$filter` that Microsoft Graph accepts on directory objects: comparisons
 * (`eq ne gt ge lt le`), `in (…)`, `startswith(p,'x')`, `endswith(p,'x')`, `and`, `or`, `not`,
 * parentheses, and lambda `any` over collections (`otherMails/any(m:m eq 'a@b.c')`,
 * `identities/any(i:i/issuer eq 'mail' and i/issuerAssignedId eq 'a@b.c')`).
 *
 * It produces a typed tree checked against a property model, so what reaches SQL is always a known
 * column with a value of the right type. Every failure is a `FilterError` with a message that points at
 * the offending position; nothing here throws anything else (no 500 for a malformed query).
 */

export type Comparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null | Date;

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: Comparison; property: string; value: Literal }
  | { kind: 'in'; property: string; values: Literal[] }
  | { kind: 'startswith' | 'endswith'; property: string; value: string }
  | { kind: 'any'; collection: string; body: FilterNode };

export type PropertyType = 'string' | 'boolean' | 'datetime' | 'enum' | 'integer';

export interface PropertySpec {
  type: PropertyType;
  /** Operators allowed on it (Graph allows fewer on some properties). */
  ops: ReadonlyArray<Comparison | 'in' | 'startswith' | 'endswith'>;
  /** For enums: the accepted values (matched case-insensitively, normalised to this spelling). */
  values?: readonly string[];
}

export interface CollectionSpec {
  /** `primitive`: a collection of strings addressed by the lambda variable itself. */
  kind: 'primitive' | 'complex';
  /** For primitive collections: how the element compares. For complex: the element's properties. */
  element: PropertySpec | Record<string, PropertySpec>;
}

export interface FilterModel {
  typeName: string;
  properties: Record<string, PropertySpec>;
  collections?: Record<string, CollectionSpec>;
}

export class FilterError extends Error {
  override name = 'FilterError';
}

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; pos: number }
  | { t: 'datetime'; v: Date; pos: number }
  | { t: 'punct'; v: '(' | ')' | ',' | ':' | '/'; pos: number }
  | { t: 'end'; pos: number };

const MAX_LENGTH = 4096;
const MAX_DEPTH = 32;
const MAX_IN = 64;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === ':' || c === '/') {
      tokens.push({ t: 'punct', v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterError(`Unterminated string literal at position ${start}.`);
        const d = input[i]!;
        if (d === '\u0000') throw new FilterError(`A string literal may not contain a NUL character (position ${i}).`);
        if (d === "'") {
          if (input[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ t: 'string', v: value, pos: start });
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/.exec(input.slice(i));
    if (dt) {
      const date = new Date(dt[0]);
      if (Number.isNaN(date.getTime())) throw new FilterError(`Invalid date/time '${dt[0]}' at position ${i}.`);
      tokens.push({ t: 'datetime', v: date, pos: i });
      i += dt[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(input.slice(i));
    if (num) {
      tokens.push({ t: 'number', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][A-Za-z0-9_]*/.exec(input.slice(i));
    if (id) {
      tokens.push({ t: 'ident', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    throw new FilterError(`Syntax error: character '${c}' is not valid at position ${i}.`);
  }
  tokens.push({ t: 'end', pos: input.length });
  return tokens;
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

interface Scope {
  /** The lambda variable name, when inside `any(v: …)`. */
  variable: string;
  collection: string;
  spec: CollectionSpec;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly model: FilterModel,
  ) {}

  parse(): FilterNode {
    const node = this.or(undefined);
    const next = this.peek();
    if (next.t !== 'end') throw new FilterError(`Syntax error at position ${next.pos}: unexpected ${describe(next)}.`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private take(): Token {
    return this.tokens[this.i++]!;
  }
  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && t.v.toLowerCase() === word;
  }
  private expectPunct(p: string): void {
    const t = this.take();
    if (t.t !== 'punct' || t.v !== p) throw new FilterError(`Syntax error at position ${t.pos}: expected '${p}' but found ${describe(t)}.`);
  }

  private or(scope: Scope | undefined): FilterNode {
    let left = this.and(scope);
    while (this.isKeyword('or')) {
      this.take();
      left = { kind: 'or', left, right: this.and(scope) };
    }
    return left;
  }

  private and(scope: Scope | undefined): FilterNode {
    let left = this.unary(scope);
    while (this.isKeyword('and')) {
      this.take();
      left = { kind: 'and', left, right: this.unary(scope) };
    }
    return left;
  }

  private unary(scope: Scope | undefined): FilterNode {
    if (++this.depth > MAX_DEPTH) throw new FilterError('The filter is nested too deeply.');
    try {
      if (this.isKeyword('not')) {
        this.take();
        return { kind: 'not', operand: this.unary(scope) };
      }
      const t = this.peek();
      if (t.t === 'punct' && t.v === '(') {
        this.take();
        const inner = this.or(scope);
        this.expectPunct(')');
        return inner;
      }
      return this.primary(scope);
    } finally {
      this.depth--;
    }
  }

  private primary(scope: Scope | undefined): FilterNode {
    const t = this.take();
    if (t.t !== 'ident') throw new FilterError(`Syntax error at position ${t.pos}: expected a property name but found ${describe(t)}.`);
    const word = t.v.toLowerCase();
    const next = this.peek();
    if ((word === 'startswith' || word === 'endswith') && next.t === 'punct' && next.v === '(') {
      this.take();
      const property = this.propertyRef(scope);
      this.expectPunct(',');
      const lit = this.take();
      if (lit.t !== 'string') throw new FilterError(`${t.v} needs a string literal; found ${describe(lit)} at position ${lit.pos}.`);
      this.expectPunct(')');
      this.checkOp(property, word);
      return { kind: word, property: property.name, value: lit.v };
    }
    // A collection followed by /any( (a complex property's member, `status/errorCode`, is a property path)
    if (next.t === 'punct' && next.v === '/' && !scope && !this.pathAt(t.v)) {
      const collection = this.collectionName(t.v, t.pos);
      this.take();
      const fn = this.take();
      if (fn.t !== 'ident' || fn.v.toLowerCase() !== 'any') {
        throw new FilterError(`Only the lambda operator 'any' is supported on '${collection}' (position ${fn.pos}).`);
      }
      this.expectPunct('(');
      const v = this.take();
      if (v.t !== 'ident') throw new FilterError(`Syntax error at position ${v.pos}: expected a lambda variable.`);
      this.expectPunct(':');
      const spec = this.model.collections![collection]!;
      const body = this.or({ variable: v.v, collection, spec });
      this.expectPunct(')');
      return { kind: 'any', collection, body };
    }
    this.i--;
    const property = this.propertyRef(scope);
    const opTok = this.take();
    if (opTok.t !== 'ident') throw new FilterError(`Syntax error at position ${opTok.pos}: expected an operator after '${property.name}'.`);
    const op = opTok.v.toLowerCase();
    if (op === 'in') {
      this.expectPunct('(');
      const values: Literal[] = [this.literal(property)];
      while (this.peek().t === 'punct' && (this.peek() as { v: string }).v === ',') {
        this.take();
        values.push(this.literal(property));
        if (values.length > MAX_IN) throw new FilterError(`At most ${MAX_IN} values are allowed in 'in'.`);
      }
      this.expectPunct(')');
      this.checkOp(property, 'in');
      return { kind: 'in', property: property.name, values };
    }
    if (!COMPARISONS.has(op)) throw new FilterError(`Unsupported operator '${opTok.v}' at position ${opTok.pos}.`);
    const value = this.literal(property);
    this.checkOp(property, op as Comparison);
    if (value === null && op !== 'eq' && op !== 'ne') throw new FilterError(`'${op}' cannot compare with null.`);
    return { kind: 'compare', op: op as Comparison, property: property.name, value };
  }

  private collectionName(name: string, pos: number): string {
    const collections = this.model.collections ?? {};
    const found = Object.keys(collections).find((k) => k.toLowerCase() === name.toLowerCase());
    if (!found) throw new FilterError(`Could not find a collection named '${name}' on type '${this.model.typeName}' (position ${pos}).`);
    return found;
  }

  /** Resolves a property reference to its canonical name and spec. */
  private propertyRef(scope: Scope | undefined): { name: string; spec: PropertySpec } {
    const t = this.take();
    if (t.t !== 'ident') throw new FilterError(`Syntax error at position ${t.pos}: expected a property name but found ${describe(t)}.`);
    if (scope && t.v === scope.variable) {
      const n = this.peek();
      if (scope.spec.kind === 'primitive') {
        return { name: '$it', spec: scope.spec.element as PropertySpec };
      }
      if (n.t !== 'punct' || n.v !== '/') throw new FilterError(`Expected '/' after lambda variable '${t.v}' at position ${n.pos}.`);
      this.take();
      const sub = this.take();
      const element = scope.spec.element as Record<string, PropertySpec>;
      const key = sub.t === 'ident' ? Object.keys(element).find((k) => k.toLowerCase() === sub.v.toLowerCase()) : undefined;
      if (!key) {
        throw new FilterError(`Could not find a property named '${sub.t === 'ident' ? sub.v : '?'}' on the elements of '${scope.collection}'.`);
      }
      return { name: key, spec: element[key]! };
    }
    if (scope) {
      throw new FilterError(`Inside '${scope.collection}/any(${scope.variable}: …)' only the lambda variable '${scope.variable}' may be used; found '${t.v}'.`);
    }
    const path = this.pathAt(t.v);
    if (path) {
      this.i += 2;
      return { name: path, spec: this.model.properties[path]! };
    }
    const key = Object.keys(this.model.properties).find((k) => k.toLowerCase() === t.v.toLowerCase());
    if (!key) throw new FilterError(`Could not find a property named '${t.v}' on type '${this.model.typeName}'.`);
    return { name: key, spec: this.model.properties[key]! };
  }

  /** The model's `name/member` property when the tokens after `name` are `/member`, as in `signInActivity/lastSignInDateTime`. */
  private pathAt(name: string): string | undefined {
    const slash = this.tokens[this.i];
    const member = this.tokens[this.i + 1];
    if (slash?.t !== 'punct' || slash.v !== '/' || member?.t !== 'ident') return undefined;
    const wanted = `${name}/${member.v}`.toLowerCase();
    return Object.keys(this.model.properties).find((k) => k.includes('/') && k.toLowerCase() === wanted);
  }

  private checkOp(property: { name: string; spec: PropertySpec }, op: string): void {
    if (!(property.spec.ops as readonly string[]).includes(op)) {
      throw new FilterError(`The operator '${op}' is not supported on property '${property.name}'.`);
    }
  }

  private literal(property: { name: string; spec: PropertySpec }): Literal {
    const t = this.take();
    if (t.t === 'ident' && t.v === 'null') return null;
    const { spec } = property;
    switch (spec.type) {
      case 'string':
        if (t.t === 'string') return t.v;
        break;
      case 'enum':
        if (t.t === 'string') {
          const match = spec.values?.find((v) => v.toLowerCase() === t.v.toLowerCase());
          if (!match) throw new FilterError(`'${t.v}' is not a valid value for '${property.name}' (expected one of ${spec.values?.join(', ')}).`);
          return match;
        }
        break;
      case 'boolean':
        if (t.t === 'ident' && (t.v === 'true' || t.v === 'false')) return t.v === 'true';
        break;
      case 'datetime':
        if (t.t === 'datetime') return t.v;
        break;
      case 'integer':
        // Edm.Int32, as Graph types these properties (and the columns are 32-bit integers).
        if (t.t === 'number' && Number.isInteger(t.v)) {
          if (t.v < INT32_MIN || t.v > INT32_MAX) {
            throw new FilterError(`The value ${String(t.v)} for '${property.name}' is out of range: an Edm.Int32 is from ${INT32_MIN} to ${INT32_MAX}.`);
          }
          return t.v;
        }
        break;
    }
    throw new FilterError(`A ${spec.type} value was expected for '${property.name}' but found ${describe(t)} at position ${t.pos}.`);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function describe(t: Token): string {
  switch (t.t) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `'${t.v}'`;
    case 'datetime':
      return t.v.toISOString();
    default:
      return `'${String(t.v)}'`;
  }
}

export function parseFilter(input: string, model: FilterModel): FilterNode {
  if (input.length > MAX_LENGTH) throw new FilterError(`The filter is longer than ${MAX_LENGTH} characters.`);
  if (input.trim() === '') throw new FilterError('The filter is empty.');
  return new Parser(tokenize(input), model).parse();
}
