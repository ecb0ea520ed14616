/**
 * Tree-walking evaluator for the AST from parser.ts. Names resolve through
 * lambda/comprehension scopes, then zc.buildout's globals, then builtins.
 */
import { getAttribute } from './attributes';
import { callValue, iterableToArray, lookupBuiltin } from './builtins';
import { pyError, unsupported } from './errors';
import { LIMITS, checkLength, tick } from './limits';
import { binaryOp, compare, getItem, SliceValue, unaryOp } from './operators';
import { Comprehension, Element, Expr, Target } from './parser';
import {
  pyIterate, PyCallable, PyDict, PyIterator, PyKwargs, PyList, PySet, PyTuple, PyValue, truthy, typeName,
} from './values';

/** A lambda's or comprehension's local names, chained to the enclosing scope. */
class Scope {
  private readonly names = new Map<string, PyValue>();
  constructor(readonly parent: Scope | null, readonly globals: ReadonlyMap<string, PyValue>) {}

  /** This scope or the nearest enclosing one that binds `name`. */
  private binding(name: string): Scope | null {
    return this.names.has(name) ? this : (this.parent?.binding(name) ?? null);
  }

  lookup(name: string): PyValue {
    const scope = this.binding(name);
    if (scope) return scope.names.get(name)!;
    if (this.globals.has(name)) return this.globals.get(name)!;
    const b = lookupBuiltin(name);
    if (b === 'unsupported') throw unsupported(`the builtin '${name}'`);
    if (b !== undefined) return b;
    throw pyError('NameError', `name '${name}' is not defined`);
  }

  bind(name: string, value: PyValue): void {
    this.names.set(name, value);
  }
}

let callDepth = 0;

export function resetCallDepth(): void {
  callDepth = 0;
}

function bindTarget(scope: Scope, target: Target, value: PyValue): void {
  if (target.kind === 'name') { scope.bind(target.id, value); return; }
  const values = iterableToArray(value);
  if (values.length !== target.targets.length) {
    if (values.length < target.targets.length) {
      throw pyError('ValueError', `not enough values to unpack (expected ${target.targets.length}, got ${values.length})`);
    }
    throw pyError('ValueError', `too many values to unpack (expected ${target.targets.length})`);
  }
  target.targets.forEach((t, i) => bindTarget(scope, t, values[i]));
}

function* comprehension(scope: Scope, generators: Comprehension[], level: number, firstIterable: PyValue): Generator<Scope> {
  const { target, iter, ifs } = generators[level];
  // The first iterable is evaluated in the enclosing scope, eagerly (as Python does).
  const iterable = level === 0 ? firstIterable : evaluate(iter, scope);
  for (const item of pyIterate(iterable)) {
    const inner = level === 0 ? new Scope(scope, scope.globals) : scope;
    bindTarget(inner, target, item);
    if (!ifs.every((cond) => truthy(evaluate(cond, inner)))) continue;
    if (level + 1 < generators.length) yield* comprehension(inner, generators, level + 1, null);
    else yield inner;
  }
}

function elements(elts: Element[], scope: Scope): PyValue[] {
  const out: PyValue[] = [];
  for (const e of elts) {
    if (e.k === 'starred') out.push(...iterableToArray(evaluate(e.value, scope)));
    else out.push(evaluate(e, scope));
    checkLength(out.length, 'display');
  }
  return out;
}

function evaluateSlice(e: Expr & { k: 'slice' }, scope: Scope): SliceValue {
  return {
    lower: e.lower ? evaluate(e.lower, scope) : null,
    upper: e.upper ? evaluate(e.upper, scope) : null,
    step: e.step ? evaluate(e.step, scope) : null,
  };
}

function makeLambda(e: Expr & { k: 'lambda' }, scope: Scope): PyCallable {
  const defaults = e.params.map((p) => (p.default ? evaluate(p.default, scope) : undefined));
  return new PyCallable('function', '<lambda>', (args, kwargs) => {
    const local = new Scope(scope, scope.globals);
    if (args.length > e.params.length) {
      throw pyError('TypeError', `<lambda>() takes ${e.params.length} positional argument${e.params.length === 1 ? '' : 's'} but ${args.length} were given`);
    }
    e.params.forEach((p, i) => {
      if (i < args.length) {
        if (kwargs.has(p.name)) throw pyError('TypeError', `<lambda>() got multiple values for argument '${p.name}'`);
        local.bind(p.name, args[i]);
      } else if (kwargs.has(p.name)) local.bind(p.name, kwargs.get(p.name)!);
      else if (defaults[i] !== undefined) local.bind(p.name, defaults[i]!);
      else throw pyError('TypeError', `<lambda>() missing 1 required positional argument: '${p.name}'`);
    });
    for (const k of kwargs.keys()) {
      if (!e.params.some((p) => p.name === k)) throw pyError('TypeError', `<lambda>() got an unexpected keyword argument '${k}'`);
    }
    if (++callDepth > LIMITS.maxCallDepth) {
      callDepth = 0;
      throw pyError('RecursionError', 'maximum recursion depth exceeded');
    }
    try {
      return evaluate(e.body, local);
    } finally {
      callDepth = Math.max(0, callDepth - 1);
    }
  }, '<function <lambda>>');
}

function evaluateCall(e: Expr & { k: 'call' }, scope: Scope): PyValue {
  const fn = evaluate(e.func, scope);
  const args: PyValue[] = [];
  const kwargs: PyKwargs = new Map();
  for (const a of e.args) {
    if (a.kind === 'pos') args.push(evaluate(a.value, scope));
    else if (a.kind === 'star') args.push(...iterableToArray(evaluate(a.value, scope)));
    else if (a.kind === 'kw') kwargs.set(a.name, evaluate(a.value, scope));
    else {
      const d = evaluate(a.value, scope);
      if (!(d instanceof PyDict)) throw pyError('TypeError', `argument after ** must be a mapping, not ${typeName(d)}`);
      for (const { key, value } of d.entries.values()) {
        if (typeof key !== 'string') throw pyError('TypeError', 'keywords must be strings');
        if (kwargs.has(key)) throw pyError('TypeError', `got multiple values for keyword argument '${key}'`);
        kwargs.set(key, value);
      }
    }
  }
  return callValue(fn, args, kwargs);
}

export function evaluate(e: Expr, scope: Scope): PyValue {
  tick();
  switch (e.k) {
    case 'const': return e.value;
    case 'name': return scope.lookup(e.id);
    case 'boolop': {
      // Short-circuit and return the deciding operand, like Python.
      let v: PyValue = null;
      for (const operand of e.values) {
        v = evaluate(operand, scope);
        if (e.op === 'and' ? !truthy(v) : truthy(v)) return v;
      }
      return v;
    }
    case 'not': return !truthy(evaluate(e.operand, scope));
    case 'unary': return unaryOp(e.op, evaluate(e.operand, scope));
    case 'binop': {
      const left = evaluate(e.left, scope);
      const right = evaluate(e.right, scope);
      if (e.op === '@') throw pyError('TypeError', `unsupported operand type(s) for @: '${typeName(left)}' and '${typeName(right)}'`);
      return binaryOp(e.op, left, right);
    }
    case 'compare': {
      let left = evaluate(e.left, scope);
      for (let i = 0; i < e.ops.length; i++) {
        const right = evaluate(e.comparators[i], scope);
        if (!compare(e.ops[i], left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'ifexp': return truthy(evaluate(e.test, scope)) ? evaluate(e.body, scope) : evaluate(e.orelse, scope);
    case 'attr': return getAttribute(evaluate(e.value, scope), e.name);
    case 'call': return evaluateCall(e, scope);
    case 'subscript': {
      const container = evaluate(e.value, scope);
      if (e.index.k === 'slice') return getItem(container, evaluateSlice(e.index, scope), true);
      if (e.index.k === 'tuple' && e.index.elts.some((x) => x.k === 'slice')) throw unsupported('multi-dimensional slicing');
      return getItem(container, evaluate(e.index, scope), false);
    }
    case 'slice': throw pyError('SyntaxError', 'invalid syntax');
    case 'tuple': return new PyTuple(elements(e.elts, scope));
    case 'list': return new PyList(elements(e.elts, scope));
    case 'set': return new PySet(false, elements(e.elts, scope));
    case 'dict': {
      const d = new PyDict();
      for (const item of e.items) {
        if ('dstar' in item) {
          const src = evaluate(item.dstar, scope);
          if (!(src instanceof PyDict)) throw pyError('TypeError', `'${typeName(src)}' object is not a mapping`);
          for (const { key, value } of src.entries.values()) d.set(key, value);
        } else {
          const key = evaluate(item.key, scope);
          d.set(key, evaluate(item.value, scope));
        }
      }
      return d;
    }
    case 'comp': {
      const first = evaluate(e.generators[0].iter, scope);
      const values = (function* () {
        for (const inner of comprehension(scope, e.generators, 0, first)) yield evaluate(e.elt, inner);
      })();
      if (e.kind === 'gen') return new PyIterator('generator', values);
      const items: PyValue[] = [];
      for (const v of values) { items.push(v); checkLength(items.length, 'list'); }
      return e.kind === 'list' ? new PyList(items) : new PySet(false, items);
    }
    case 'dictcomp': {
      const d = new PyDict();
      const first = evaluate(e.generators[0].iter, scope);
      for (const inner of comprehension(scope, e.generators, 0, first)) {
        d.set(evaluate(e.key, inner), evaluate(e.value, inner));
      }
      return d;
    }
    case 'lambda': return makeLambda(e, scope);
    case 'namedexpr': throw unsupported('assignment expressions (:=)');
  }
}

export function evaluateWithGlobals(e: Expr, globals: ReadonlyMap<string, PyValue>): PyValue {
  return evaluate(e, new Scope(null, globals));
}
