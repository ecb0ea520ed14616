/**
 * Recursive-descent parser for Python 3.11's expression grammar (the part
 * `eval()` accepts), producing a small AST. Statements, `await`, `yield` and
 * f-strings are not expressions eval() can use here and are rejected.
 */
import { PyBytes, PyValue, ELLIPSIS } from './values';
import { syntaxError, unsupported } from './errors';
import { LIMITS } from './limits';
import { Token, tokenize } from './tokenizer';

export type Target = { kind: 'name'; id: string } | { kind: 'unpack'; targets: Target[] };

export interface Comprehension { target: Target; iter: Expr; ifs: Expr[] }

export type CallArg =
  | { kind: 'pos'; value: Expr }
  | { kind: 'star'; value: Expr }
  | { kind: 'kw'; name: string; value: Expr }
  | { kind: 'dstar'; value: Expr };

export type Element = Expr | { k: 'starred'; value: Expr };
export type DictItem = { key: Expr; value: Expr } | { dstar: Expr };

export interface LambdaParam { name: string; default?: Expr }

export type Expr =
  | { k: 'const'; value: PyValue }
  | { k: 'name'; id: string }
  | { k: 'boolop'; op: 'and' | 'or'; values: Expr[] }
  | { k: 'not'; operand: Expr }
  | { k: 'unary'; op: '-' | '+' | '~'; operand: Expr }
  | { k: 'binop'; op: string; left: Expr; right: Expr }
  | { k: 'compare'; left: Expr; ops: string[]; comparators: Expr[] }
  | { k: 'ifexp'; test: Expr; body: Expr; orelse: Expr }
  | { k: 'attr'; value: Expr; name: string }
  | { k: 'call'; func: Expr; args: CallArg[] }
  | { k: 'subscript'; value: Expr; index: Expr }
  | { k: 'slice'; lower?: Expr; upper?: Expr; step?: Expr }
  | { k: 'tuple' | 'list' | 'set'; elts: Element[] }
  | { k: 'dict'; items: DictItem[] }
  | { k: 'comp'; kind: 'list' | 'set' | 'gen'; elt: Expr; generators: Comprehension[] }
  | { k: 'dictcomp'; key: Expr; value: Expr; generators: Comprehension[] }
  | { k: 'lambda'; params: LambdaParam[]; body: Expr }
  | { k: 'namedexpr'; target: string; value: Expr };

const COMPARE_OPS = new Set(['<', '>', '==', '>=', '<=', '!=']);

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private isOp(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.value === value;
  }

  private isKeyword(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'keyword' && t.value === value;
  }

  private acceptOp(value: string): boolean {
    if (this.isOp(value)) { this.pos++; return true; }
    return false;
  }

  private acceptKeyword(value: string): boolean {
    if (this.isKeyword(value)) { this.pos++; return true; }
    return false;
  }

  private expectOp(value: string): void {
    if (!this.acceptOp(value)) throw this.error();
  }

  private error(): Error {
    const t = this.peek();
    if (t.kind === 'end') return syntaxError('invalid syntax');
    return syntaxError('invalid syntax');
  }

  /** Guards the recursion of every rule that can nest. */
  private enter(): void {
    if (++this.depth > LIMITS.maxParseDepth) throw unsupported('expression nested too deeply');
  }

  private leave(): void {
    this.depth--;
  }

  /** eval()'s start rule: expressions NEWLINE* ENDMARKER. */
  parseEval(): Expr {
    const first = this.expression();
    let result = first;
    if (this.isOp(',')) {
      const elts: Element[] = [first];
      while (this.acceptOp(',')) {
        if (this.startsExpression()) elts.push(this.starOrExpression());
        else break;
      }
      result = { k: 'tuple', elts };
    }
    if (this.peek().kind !== 'end') throw this.error();
    return result;
  }

  private startsExpression(): boolean {
    const t = this.peek();
    switch (t.kind) {
      case 'end': return false;
      case 'keyword': return ['not', 'lambda', 'True', 'False', 'None', 'await'].includes(t.value);
      case 'op': return ['(', '[', '{', '-', '+', '~', '...', '*'].includes(t.value);
      default: return true;
    }
  }

  private starOrExpression(): Element {
    if (this.acceptOp('*')) return { k: 'starred', value: this.bitwiseOr() };
    return this.namedExpression();
  }

  private namedExpression(): Expr {
    const t = this.peek();
    if (t.kind === 'name' && this.isOp(':=', 1)) {
      this.pos += 2;
      return { k: 'namedexpr', target: t.value, value: this.expression() };
    }
    const e = this.expression();
    if (this.isOp(':=')) throw syntaxError(`cannot use assignment expressions with ${describe(e)}`);
    return e;
  }

  expression(): Expr {
    this.enter();
    try {
      if (this.isKeyword('lambda')) return this.lambda();
      const body = this.disjunction();
      if (this.acceptKeyword('if')) {
        const test = this.disjunction();
        if (!this.acceptKeyword('else')) throw syntaxError("expected 'else' after 'if' expression");
        return { k: 'ifexp', test, body, orelse: this.expression() };
      }
      return body;
    } finally {
      this.leave();
    }
  }

  private lambda(): Expr {
    this.next();
    const params: LambdaParam[] = [];
    const seen = new Set<string>();
    while (!this.isOp(':')) {
      if (this.isOp('*') || this.isOp('**') || this.isOp('/')) throw unsupported('*args, **kwargs and / in lambda parameters');
      const t = this.next();
      if (t.kind !== 'name') throw this.error();
      if (seen.has(t.value)) throw syntaxError(`duplicate argument '${t.value}' in function definition`);
      seen.add(t.value);
      const param: LambdaParam = { name: t.value };
      if (this.acceptOp('=')) param.default = this.expression();
      else if (params.some((p) => p.default)) throw syntaxError('non-default argument follows default argument');
      params.push(param);
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(':');
    return { k: 'lambda', params, body: this.expression() };
  }

  private disjunction(): Expr {
    const first = this.conjunction();
    if (!this.isKeyword('or')) return first;
    const values = [first];
    while (this.acceptKeyword('or')) values.push(this.conjunction());
    return { k: 'boolop', op: 'or', values };
  }

  private conjunction(): Expr {
    const first = this.inversion();
    if (!this.isKeyword('and')) return first;
    const values = [first];
    while (this.acceptKeyword('and')) values.push(this.inversion());
    return { k: 'boolop', op: 'and', values };
  }

  private inversion(): Expr {
    if (this.acceptKeyword('not')) {
      this.enter();
      try { return { k: 'not', operand: this.inversion() }; } finally { this.leave(); }
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.bitwiseOr();
    const ops: string[] = [];
    const comparators: Expr[] = [];
    for (;;) {
      const t = this.peek();
      let op: string | undefined;
      if (t.kind === 'op' && COMPARE_OPS.has(t.value)) { op = t.value; this.pos++; }
      else if (this.isKeyword('in')) { op = 'in'; this.pos++; }
      else if (this.isKeyword('not') && this.isKeyword('in', 1)) { op = 'not in'; this.pos += 2; }
      else if (this.isKeyword('is')) { this.pos++; op = this.acceptKeyword('not') ? 'is not' : 'is'; }
      if (!op) break;
      ops.push(op);
      comparators.push(this.bitwiseOr());
    }
    return ops.length ? { k: 'compare', left, ops, comparators } : left;
  }

  private binaryLevel(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !ops.includes(t.value)) return left;
      this.pos++;
      left = { k: 'binop', op: t.value, left, right: operand() };
    }
  }

  private bitwiseOr(): Expr { return this.binaryLevel(['|'], () => this.bitwiseXor()); }
  private bitwiseXor(): Expr { return this.binaryLevel(['^'], () => this.bitwiseAnd()); }
  private bitwiseAnd(): Expr { return this.binaryLevel(['&'], () => this.shift()); }
  private shift(): Expr { return this.binaryLevel(['<<', '>>'], () => this.sum()); }
  private sum(): Expr { return this.binaryLevel(['+', '-'], () => this.term()); }
  private term(): Expr { return this.binaryLevel(['*', '/', '//', '%', '@'], () => this.factor()); }

  private factor(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.value === '-' || t.value === '+' || t.value === '~')) {
      this.pos++;
      this.enter();
      try { return { k: 'unary', op: t.value, operand: this.factor() }; } finally { this.leave(); }
    }
    return this.power();
  }

  private power(): Expr {
    if (this.isKeyword('await')) throw syntaxError("'await' outside function");
    const base = this.primary();
    if (this.acceptOp('**')) {
      this.enter();
      try { return { k: 'binop', op: '**', left: base, right: this.factor() }; } finally { this.leave(); }
    }
    return base;
  }

  private primary(): Expr {
    let e = this.atom();
    for (;;) {
      if (this.acceptOp('.')) {
        const t = this.next();
        if (t.kind !== 'name') throw this.error();
        e = { k: 'attr', value: e, name: t.value };
      } else if (this.isOp('(')) {
        this.enter();
        try { e = { k: 'call', func: e, args: this.callArgs() }; } finally { this.leave(); }
      } else if (this.acceptOp('[')) {
        this.enter();
        try { e = { k: 'subscript', value: e, index: this.slices() }; } finally { this.leave(); }
        this.expectOp(']');
      } else {
        return e;
      }
    }
  }

  private slices(): Expr {
    const first = this.sliceOrStarred();
    if (!this.isOp(',')) return first.k === 'starred' ? (() => { throw this.error(); })() : first;
    const elts: Element[] = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(']')) break;
      elts.push(this.sliceOrStarred());
    }
    return { k: 'tuple', elts: elts as Expr[] };
  }

  private sliceOrStarred(): Expr | { k: 'starred'; value: Expr } {
    if (this.acceptOp('*')) return { k: 'starred', value: this.bitwiseOr() };
    let lower: Expr | undefined;
    if (!this.isOp(':')) {
      lower = this.namedExpression();
      if (!this.isOp(':')) return lower;
    }
    this.expectOp(':');
    const slice: Expr & { k: 'slice' } = { k: 'slice', lower };
    if (!this.isOp(':') && !this.isOp(']') && !this.isOp(',')) slice.upper = this.expression();
    if (this.acceptOp(':') && !this.isOp(']') && !this.isOp(',')) slice.step = this.expression();
    return slice;
  }

  private callArgs(): CallArg[] {
    this.expectOp('(');
    const args: CallArg[] = [];
    const keywords = new Set<string>();
    let sawKeyword = false;
    while (!this.isOp(')')) {
      if (this.acceptOp('**')) {
        args.push({ kind: 'dstar', value: this.expression() });
        sawKeyword = true;
      } else if (this.acceptOp('*')) {
        args.push({ kind: 'star', value: this.expression() });
      } else if (this.peek().kind === 'name' && this.isOp('=', 1)) {
        const name = this.next().value as string;
        this.next();
        if (keywords.has(name)) throw syntaxError(`keyword argument repeated: ${name}`);
        keywords.add(name);
        args.push({ kind: 'kw', name, value: this.expression() });
        sawKeyword = true;
      } else {
        const value = this.namedExpression();
        if (this.isKeyword('for') || this.isKeyword('async')) {
          // f(x for x in y): a bare generator expression argument.
          const gen: Expr = { k: 'comp', kind: 'gen', elt: value, generators: this.comprehensionClauses() };
          if (args.length > 0 || !this.isOp(')')) throw syntaxError('Generator expression must be parenthesized');
          args.push({ kind: 'pos', value: gen });
          continue;
        }
        if (this.isOp('=')) throw syntaxError('expression cannot contain assignment, perhaps you meant "=="?');
        if (sawKeyword && args.some((a) => a.kind === 'dstar')) throw syntaxError('positional argument follows keyword argument unpacking');
        if (sawKeyword) throw syntaxError('positional argument follows keyword argument');
        args.push({ kind: 'pos', value });
      }
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(')');
    return args;
  }

  private comprehensionClauses(): Comprehension[] {
    const generators: Comprehension[] = [];
    while (this.isKeyword('for') || this.isKeyword('async')) {
      if (this.isKeyword('async')) throw syntaxError('asynchronous comprehension outside of an asynchronous function');
      this.next();
      const target = this.targetList();
      if (!this.acceptKeyword('in')) throw this.error();
      const iter = this.disjunction();
      const ifs: Expr[] = [];
      while (this.acceptKeyword('if')) ifs.push(this.disjunction());
      generators.push({ target, iter, ifs });
    }
    return generators;
  }

  private targetList(): Target {
    const first = this.target();
    if (!this.isOp(',')) return first;
    const targets = [first];
    while (this.acceptOp(',')) {
      if (this.isKeyword('in')) break;
      targets.push(this.target());
    }
    return { kind: 'unpack', targets };
  }

  private target(): Target {
    const t = this.next();
    if (t.kind === 'name') return { kind: 'name', id: t.value };
    if (t.kind === 'op' && (t.value === '(' || t.value === '[')) {
      const close = t.value === '(' ? ')' : ']';
      const targets: Target[] = [];
      while (!this.isOp(close)) {
        targets.push(this.target());
        if (!this.acceptOp(',')) break;
      }
      this.expectOp(close);
      return { kind: 'unpack', targets };
    }
    if (t.kind === 'op' && t.value === '*') throw unsupported('starred targets in comprehensions');
    throw syntaxError('invalid syntax');
  }

  private atom(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'name': return { k: 'name', id: t.value };
      case 'int': case 'float': return { k: 'const', value: t.value };
      case 'str': case 'bytes': return this.strings(t);
      case 'keyword':
        if (t.value === 'True') return { k: 'const', value: true };
        if (t.value === 'False') return { k: 'const', value: false };
        if (t.value === 'None') return { k: 'const', value: null };
        if (t.value === 'yield') throw syntaxError("'yield' outside function");
        throw syntaxError('invalid syntax');
      case 'op':
        if (t.value === '(') return this.parenthesized();
        if (t.value === '[') return this.listDisplay();
        if (t.value === '{') return this.braceDisplay();
        if (t.value === '...') return { k: 'const', value: ELLIPSIS };
        throw syntaxError('invalid syntax');
      default:
        throw syntaxError('invalid syntax');
    }
  }

  /** Adjacent literals concatenate; str and bytes may not be mixed. */
  private strings(first: Token): Expr {
    let text = first.kind === 'str' ? first.value : '';
    const bytes: number[] = first.kind === 'bytes' ? Array.from(first.value) : [];
    const isBytes = first.kind === 'bytes';
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'str' && t.kind !== 'bytes') break;
      if ((t.kind === 'bytes') !== isBytes) throw syntaxError('cannot mix bytes and nonbytes literals');
      this.pos++;
      if (t.kind === 'str') text += t.value;
      else bytes.push(...t.value);
    }
    return { k: 'const', value: isBytes ? new PyBytes(Uint8Array.from(bytes)) : text };
  }

  private parenthesized(): Expr {
    if (this.acceptOp(')')) return { k: 'tuple', elts: [] };
    if (this.isKeyword('yield')) throw syntaxError("'yield' outside function");
    const first = this.starOrExpression();
    if (first.k !== 'starred' && (this.isKeyword('for') || this.isKeyword('async'))) {
      const gen: Expr = { k: 'comp', kind: 'gen', elt: first, generators: this.comprehensionClauses() };
      this.expectOp(')');
      return gen;
    }
    if (this.acceptOp(')')) {
      if (first.k === 'starred') throw syntaxError('cannot use starred expression here');
      return first;
    }
    const elts: Element[] = [first];
    this.expectOp(',');
    while (!this.isOp(')')) {
      elts.push(this.starOrExpression());
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(')');
    return { k: 'tuple', elts };
  }

  private listDisplay(): Expr {
    if (this.acceptOp(']')) return { k: 'list', elts: [] };
    return this.displayRest('list', this.starOrExpression());
  }

  private braceDisplay(): Expr {
    if (this.acceptOp('}')) return { k: 'dict', items: [] };
    if (this.acceptOp('**')) return this.dictRest({ dstar: this.bitwiseOr() });
    const first = this.starOrExpression();
    if (first.k !== 'starred' && this.acceptOp(':')) {
      const value = this.expression();
      if (this.isKeyword('for') || this.isKeyword('async')) {
        const comp: Expr = { k: 'dictcomp', key: first, value, generators: this.comprehensionClauses() };
        this.expectOp('}');
        return comp;
      }
      return this.dictRest({ key: first, value });
    }
    return this.displayRest('set', first);
  }

  /** After a list's or set's first element: a comprehension, or the rest of its elements to the closing bracket. */
  private displayRest(kind: 'list' | 'set', first: Element): Expr {
    const close = kind === 'list' ? ']' : '}';
    if (first.k !== 'starred' && (this.isKeyword('for') || this.isKeyword('async'))) {
      const comp: Expr = { k: 'comp', kind, elt: first, generators: this.comprehensionClauses() };
      this.expectOp(close);
      return comp;
    }
    const elts: Element[] = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(close)) break;
      elts.push(this.starOrExpression());
    }
    this.expectOp(close);
    return { k: kind, elts };
  }

  private dictRest(first: DictItem): Expr {
    const items: DictItem[] = [first];
    while (this.acceptOp(',')) {
      if (this.isOp('}')) break;
      if (this.acceptOp('**')) { items.push({ dstar: this.bitwiseOr() }); continue; }
      const key = this.expression();
      this.expectOp(':');
      items.push({ key, value: this.expression() });
    }
    this.expectOp('}');
    return { k: 'dict', items };
  }
}

function describe(e: Expr): string {
  switch (e.k) {
    case 'const': return 'literal';
    case 'attr': return 'attribute';
    case 'subscript': return 'subscript';
    case 'call': return 'function call';
    default: return 'expression';
  }
}

/** Parses the text Python's eval() would compile. Throws PythonExprError. */
export function parseExpression(source: string): Expr {
  return new Parser(tokenize(source)).parseEval();
}
