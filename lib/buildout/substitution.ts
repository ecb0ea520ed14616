/**
 * Lazy section evaluation, mirroring zc.buildout 2.13.2's `Buildout.__getitem__`
 * and `Options`: `<=` macros, `${section:option}` substitution
 * with `$$`, `${:x}`, `_buildout_section_name_`, re-substitution of results,
 * circular-reference detection, the exact error texts, and the caching rules
 * (a section is cached before it is initialised, so a failed section stays
 * half-initialised; values are cached after the first `get`).
 *
 * The object model is kept deliberately close to the Python one (raw / cooked
 * / data maps per section) because the observable results — which error wins,
 * what a half-initialised section still yields — follow from it.
 */
import { BuildoutUserError } from './user-error';
import { updateRawSection, type AnnotatedData } from './merge';
import type { SourceLocation } from './section-key';
import { pyRepr, pySortInPlace, pySplitWs, pyStrip } from './pywhitespace';

/**
 * The chain of options being substituted (buildout's `seen` list of
 * (section, option) tuples), kept flat: section at even indexes, option at odd
 * ones. Without TurboFan every pair array and every destructuring of one
 * allocated (an iterator and its results), a good share of a resolve's garbage.
 */
type Seen = string[];

// Python's `$` also matches before a final newline, hence `\n?`.
const SIMPLE = /^[-a-zA-Z0-9 ._]+\n?$/;
/**
 * buildout's `^\$\{[-a-zA-Z0-9 ._]*:[-a-zA-Z0-9 ._]+\}$` on a reference, but
 * matched in place (sticky) in the template: the classes exclude `}`, so a
 * match at the reference's start ends at its first `}`, as the anchored test
 * of the sliced reference would. Saves slicing and splitting every reference.
 */
const VALID_AT = /\$\{[-a-zA-Z0-9 ._]*:[-a-zA-Z0-9 ._]+\}/y;
/** A resolved value this long can only come from references that fan out exponentially. */
const MAX_VALUE_LENGTH = 32 * 1024 * 1024;

/** The state shared by all sections: the merged raw data and the section cache. */
/** The most sections `<=` expansion may enter in one evaluation (a 20,000-section chain needs 20,000). */
export const MAX_MACRO_STEPS = 300_000;

/** Expansion went over MAX_MACRO_STEPS: reported once, never per section. */
export class MacroWorkExceeded extends BuildoutUserError {}

export class Evaluator {
  /** section → option → merged raw value (after the first directory pass). */
  readonly raw: Map<string, Map<string, string>>;
  /** sections evaluated so far (possibly half-initialised after an error). */
  readonly data = new Map<string, Options>();
  /** sections with a recipe, in the order their initialisation finished. */
  readonly parts: string[] = [];
  /** successful `<=` expansions by section name (see Options.doExtendRaw). */
  readonly expanded = new Map<string, Map<string, string>>();
  /**
   * Sections entered by `<=` expansion so far, against MAX_MACRO_STEPS. A
   * failed expansion is not cached (its error depends on the chain that asked),
   * so a long chain that fails at its end fails again from each of its sections:
   * quadratic work, stopped by this bound with one error instead of minutes.
   */
  macroSteps = 0;
  /** the annotated data, only read to find where an option was written */
  private readonly annotated: AnnotatedData;

  constructor(raw: Map<string, Map<string, string>>, annotated: AnnotatedData) {
    this.raw = raw;
    this.annotated = annotated;
  }

  /** `Buildout.__getitem__` */
  getSection(name: string, where?: () => SourceLocation | undefined): Options {
    const cached = this.data.get(name);
    if (cached) return cached;
    const raw = this.raw.get(name);
    if (!raw) throw new BuildoutUserError(`The referenced section, ${pyRepr(name)}, was not defined.`, where?.());
    const options = new Options(this, name, raw);
    this.data.set(name, options);
    options.initialize();
    return options;
  }

  /** File and line where `section:option` was written (following macros). */
  locate(section: string, option: string): SourceLocation | undefined {
    // Depth-first through the macros, last macro first (the one whose value won), with an
    // explicit stack: a chain of thousands of `<=` sections needs no call stack.
    const visited = new Set<string>();
    const stack = [section];
    while (stack.length) {
      const name = stack.pop() as string;
      const loc = this.annotated.get(name)?.get(option)?.location;
      if (loc && loc.line) return loc;
      if (visited.has(name)) continue;
      visited.add(name);
      const macros = this.raw.get(name)?.get('<');
      if (macros === undefined || name === 'buildout') continue;
      // Pushed first to last, so the last macro is looked at first.
      for (const n of macros.split('\n')) if (n.trim()) stack.push(n.trim());
    }
    return undefined;
  }
}

export class Options {
  /** After macro expansion, the section's own raw values. */
  raw: Map<string, string>;
  /** Values substituted once by `_dosub` during initialisation. */
  readonly cooked = new Map<string, string>();
  /** Final values (and values set by the engine, e.g. absolute directories). */
  readonly data = new Map<string, string>();

  constructor(
    private readonly ev: Evaluator,
    readonly name: string,
    raw: Map<string, string>,
  ) {
    this.raw = raw;
  }

  /** `Options._initialize` (recipes are never loaded: hostout only reads options). */
  initialize(): void {
    if (this.raw.has('<')) this.raw = this.doExtendRaw(this.name, this.raw);
    const withRefs: string[] = [];
    this.raw.forEach((v, k) => {
      if (v.includes('${')) withRefs.push(k);
    });
    const sorted = pySortInPlace(withRefs);
    for (let i = 0; i < sorted.length; i++) this.dosub(sorted[i], this.raw.get(sorted[i])!);
    if (this.name === 'buildout') return;
    const dependencies = this.get('<part-dependencies>');
    if (dependencies) {
      for (const dname of pySplitWs(dependencies)) {
        this.ev.getSection(dname, () => this.ev.locate(this.name, '<part-dependencies>'));
      }
    }
    if (this.get('recipe')) this.ev.parts.push(this.name);
  }

  /**
   * `Options._do_extend_raw`: expand `<=` macros on the merged raw data.
   * buildout recurses; this walks the same depth-first order with an explicit
   * stack, so a chain of 20,000 macros needs no call stack (recursion
   * overflowed past ~10,000 and, since a failed expansion is not cached, every
   * following section redid the whole chain). Errors and their order are
   * buildout's: the first missing section or loop in depth-first order.
   */
  private doExtendRaw(root: string, rootData: Map<string, string>): Map<string, string> {
    interface Frame { name: string; data: Map<string, string>; names: string[]; next: number; result: Map<string, string> }
    const frames: Frame[] = [];
    /** The sections being expanded (buildout's `doing` list, as a set). */
    const doing = new Set<string>();
    const where = (name: string) => this.ev.locate(name, '<') ?? this.ev.locate(this.name, '<');
    /** The expansion when it needs no macro work; else a new frame is pushed. */
    const enter = (name: string, data: Map<string, string>): Map<string, string> | undefined => {
      if (name === 'buildout') return data;
      if (doing.has(name)) throw new BuildoutUserError(`Infinite extending loop ${pyRepr(name)}`, where(name));
      const todo = data.get('<');
      if (todo === undefined) return data;
      const known = this.ev.expanded.get(name);
      if (known && data === this.ev.raw.get(name)) return known;
      if (++this.ev.macroSteps > MAX_MACRO_STEPS) {
        throw new MacroWorkExceeded(
          `the <= macros need more than ${MAX_MACRO_STEPS} expansion steps (a chain of thousands of sections that fails at its end, or a loop through them); stopped while expanding [${root}]`,
          where(root),
        );
      }
      doing.add(name);
      frames.push({ name, data, names: todo.split('\n'), next: 0, result: new Map() });
      return undefined;
    };
    const first = enter(root, rootData);
    if (first) return first;
    for (;;) {
      const f = frames[frames.length - 1];
      if (f.next < f.names.length) {
        const iname = pyStrip(f.names[f.next++]);
        if (!iname) continue;
        const raw = this.ev.raw.get(iname);
        if (!raw) throw new BuildoutUserError(`No section named ${pyRepr(iname)}`, where(f.name));
        const done = enter(iname, raw);
        if (done) done.forEach((v, k) => f.result.set(k, v));
        continue;
      }
      frames.pop();
      doing.delete(f.name);
      const merged = updateRawSection(f.result, f.data);
      merged.delete('<');
      // A successful expansion does not depend on the chain that asked for it
      // (a loop through an outer section would make it fail on its own too),
      // so it is cached: macro chains are then linear, not quadratic.
      this.ev.expanded.set(f.name, merged);
      const parent = frames[frames.length - 1];
      if (!parent) return merged;
      merged.forEach((v, k) => parent.result.set(k, v));
    }
  }

  /** `Options._dosub`: substitute once during initialisation, cache in `cooked`. */
  private dosub(option: string, v: string): void {
    this.cooked.set(option, this.subPieces(v, [this.name, option]));
  }

  /** `Options.get(option, default=None, seen=None)`; undefined means absent. */
  get(option: string, seen?: Seen): string | undefined {
    const done = this.data.get(option);
    if (done !== undefined) return done;
    let v = this.cooked.get(option) ?? this.raw.get(option);
    if (v === undefined) return undefined;
    if (v.includes('${')) {
      if (seen === undefined) seen = [this.name, option];
      else if (isSeen(seen, this.name, option)) {
        throw new BuildoutUserError('Circular reference in substitutions.\n', this.ev.locate(this.name, option));
      } else seen.push(this.name, option);
      v = this.subPieces(v, seen);
      seen.length -= 2;
    }
    this.data.set(option, v);
    return v;
  }

  /** `'$$'.join(self._sub(s, seen) for s in value.split('$$'))` */
  private subPieces(value: string, seen: Seen): string {
    return value.includes('$$') ? this.subEscaped(value, seen) : this.sub(value, seen);
  }

  // Closures live in helpers of their own: a function that creates one
  // allocates a context on every call, even when the closure is never made
  // (subPieces and sub run for every reference).

  private subEscaped(value: string, seen: Seen): string {
    return value
      .split('$$')
      .map((s) => this.sub(s, seen))
      .join('$$');
  }

  /** `Buildout.__getitem__` for a reference in the option being substituted. */
  private referencedSection(section: string, seen: Seen): Options {
    return this.ev.getSection(section, () => this.whereSeen(seen));
  }

  /**
   * `Options._sub`: replace the `${…}` references in one `$$`-free piece.
   * buildout splits on the regex `(\$\{[^}]*\})`; scanning with indexOf finds
   * the same references (a `${` up to the first `}` after it) without building
   * the pieces array, which was the largest allocation of a resolve.
   */
  private sub(template: string, seen: Seen): string {
    let start = template.indexOf('${');
    if (start < 0) return template;
    let end = template.indexOf('}', start + 2);
    if (end < 0) return template;
    let out = template.slice(0, start);
    for (;;) {
      let section: string;
      let option: string;
      VALID_AT.lastIndex = start;
      if (VALID_AT.test(template)) {
        const colon = template.indexOf(':', start + 2);
        section = template.slice(start + 2, colon) || this.name;
        option = template.slice(colon + 1, end);
      } else [section, option] = this.checkReference(template.slice(start, end + 1), seen);
      // The cache is looked at first so that the error-location callback is
      // only made for sections not evaluated yet (a closure per reference).
      const options = this.ev.data.get(section) ?? this.referencedSection(section, seen);
      let v = options.get(option, seen);
      if (v === undefined) {
        if (option === '_buildout_section_name_') v = this.name;
        else throw new BuildoutUserError(`Referenced option does not exist: ${section} ${option}`, this.whereSeen(seen));
      }
      out += v;
      if (out.length > MAX_VALUE_LENGTH) {
        throw new BuildoutUserError(
          `substituting \${…} makes the value of ${seen[seen.length - 2]}:${seen[seen.length - 1]} longer than ${MAX_VALUE_LENGTH} characters (references that multiply?)`,
          this.whereSeen(seen),
        );
      }
      const next = template.indexOf('${', end + 1);
      const close = next < 0 ? -1 : template.indexOf('}', next + 2);
      if (close < 0) return out + template.slice(end + 1);
      out += template.slice(end + 1, next);
      start = next;
      end = close;
    }
  }

  /** The errors `_sub` raises for a reference that is not `${section:option}`; else its two names. */
  private checkReference(ref: string, seen: Seen): [section: string, option: string] {
    const s = ref.slice(2, -1).split(':');
    const where = () => this.whereSeen(seen);
    if (s.length < 2) throw new BuildoutUserError(`The substitution, ${ref},\ndoesn't contain a colon.`, where());
    if (s.length > 2) throw new BuildoutUserError(`The substitution, ${ref},\nhas too many colons.`, where());
    if (!SIMPLE.test(s[0])) {
      throw new BuildoutUserError(`The section name in substitution, ${ref},\nhas invalid characters.`, where());
    }
    if (!SIMPLE.test(s[1])) {
      throw new BuildoutUserError(`The option name in substitution, ${ref},\nhas invalid characters.`, where());
    }
    return [s[0] || this.name, s[1]];
  }

  /** Where the option being substituted (the last one in `seen`) was written. */
  private whereSeen(seen: Seen): SourceLocation | undefined {
    return this.ev.locate(seen[seen.length - 2], seen[seen.length - 1]);
  }

  /** `Options.__getitem__` */
  item(key: string): string {
    const v = this.get(key);
    if (v === undefined) {
      throw new BuildoutUserError(`Missing option: ${this.name}:${key}`, this.ev.locate(this.name, key));
    }
    return v;
  }

  /** `Options.__setitem__` */
  set(key: string, value: string): void {
    this.data.set(key, value);
  }

  /** `Options.keys()`: raw keys, then keys only set by the engine. */
  keys(): string[] {
    const keys: string[] = [];
    this.raw.forEach((_, k) => keys.push(k));
    this.data.forEach((_, k) => {
      if (!this.raw.has(k)) keys.push(k);
    });
    return keys;
  }
}

/** Whether `section:option` is already in the substitution chain. */
function isSeen(seen: Seen, section: string, option: string): boolean {
  for (let i = 0; i < seen.length; i += 2) {
    if (seen[i] === section && seen[i + 1] === option) return true;
  }
  return false;
}
