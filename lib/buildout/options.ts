/**
 * Lazy section evaluation, mirroring zc.buildout 2.13.2's `Buildout.__getitem__`
 * and `Options` (spec §8, §9): `<=` macros, `${section:option}` substitution
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
import { pyRepr, pySorted, pySplitWs, pyStrip } from './pywhitespace';

type SeenKey = [section: string, option: string];

// Python's `$` also matches before a final newline, hence `\n?`.
const SIMPLE = /^[-a-zA-Z0-9 ._]+\n?$/;
const VALID = /^\$\{[-a-zA-Z0-9 ._]*:[-a-zA-Z0-9 ._]+\}$/;
/** A resolved value this long can only come from references that fan out exponentially. */
const MAX_VALUE_LENGTH = 32 * 1024 * 1024;

/** The state shared by all sections: the merged raw data and the section cache. */
export class Evaluator {
  /** section → option → merged raw value (after the first directory pass). */
  readonly raw: Map<string, Map<string, string>>;
  /** sections evaluated so far (possibly half-initialised after an error). */
  readonly data = new Map<string, Options>();
  /** sections with a recipe, in the order their initialisation finished. */
  readonly parts: string[] = [];
  /** successful `<=` expansions by section name (see Options.doExtendRaw). */
  readonly expanded = new Map<string, Map<string, string>>();
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
  locate(section: string, option: string, visited = new Set<string>()): SourceLocation | undefined {
    const loc = this.annotated.get(section)?.get(option)?.location;
    if (loc && loc.line) return loc;
    if (visited.has(section)) return undefined;
    visited.add(section);
    const macros = this.raw.get(section)?.get('<');
    if (macros === undefined || section === 'buildout') return undefined;
    const names = macros.split('\n').map((n) => n.trim()).filter((n) => n);
    for (let i = names.length - 1; i >= 0; i--) {
      const found = this.locate(names[i], option, visited);
      if (found) return found;
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
    if (this.raw.has('<')) this.raw = this.doExtendRaw(this.name, this.raw, []);
    const withRefs = [...this.raw.keys()].filter((k) => this.raw.get(k)!.includes('${'));
    for (const k of pySorted(withRefs)) this.dosub(k, this.raw.get(k)!);
    if (this.name === 'buildout') return;
    for (const dname of pySplitWs(this.get('<part-dependencies>') ?? '')) {
      this.ev.getSection(dname, () => this.ev.locate(this.name, '<part-dependencies>'));
    }
    if (this.get('recipe')) this.ev.parts.push(this.name);
  }

  /** `Options._do_extend_raw`: expand `<=` macros on the merged raw data. */
  private doExtendRaw(name: string, data: Map<string, string>, doing: string[]): Map<string, string> {
    if (name === 'buildout') return data;
    const where = () => this.ev.locate(name, '<') ?? this.ev.locate(this.name, '<');
    if (doing.includes(name)) throw new BuildoutUserError(`Infinite extending loop ${pyRepr(name)}`, where());
    doing.push(name);
    try {
      const todo = data.get('<');
      if (todo === undefined) return data;
      const known = this.ev.expanded.get(name);
      if (known && data === this.ev.raw.get(name)) return known;
      const result = new Map<string, string>();
      for (const line of todo.split('\n')) {
        const iname = pyStrip(line);
        if (!iname) continue;
        const raw = this.ev.raw.get(iname);
        if (!raw) throw new BuildoutUserError(`No section named ${pyRepr(iname)}`, where());
        this.doExtendRaw(iname, raw, doing).forEach((v, k) => result.set(k, v));
      }
      const merged = updateRawSection(result, data);
      merged.delete('<');
      // A successful expansion does not depend on the chain that asked for it
      // (a loop through an outer section would make it fail on its own too),
      // so it is cached: macro chains are then linear, not quadratic.
      this.ev.expanded.set(name, merged);
      return merged;
    } finally {
      doing.pop();
    }
  }

  /** `Options._dosub`: substitute once during initialisation, cache in `cooked`. */
  private dosub(option: string, v: string): void {
    const seen: SeenKey[] = [[this.name, option]];
    this.cooked.set(option, this.subPieces(v, seen));
  }

  /** `Options.get(option, default=None, seen=None)`; undefined means absent. */
  get(option: string, seen?: SeenKey[]): string | undefined {
    const done = this.data.get(option);
    if (done !== undefined) return done;
    let v = this.cooked.get(option) ?? this.raw.get(option);
    if (v === undefined) return undefined;
    if (v.includes('${')) {
      if (seen === undefined) seen = [[this.name, option]];
      else if (seen.some(([s, o]) => s === this.name && o === option)) {
        throw new BuildoutUserError('Circular reference in substitutions.\n', this.ev.locate(this.name, option));
      } else seen.push([this.name, option]);
      v = this.subPieces(v, seen);
      seen.pop();
    }
    this.data.set(option, v);
    return v;
  }

  /** `'$$'.join(self._sub(s, seen) for s in value.split('$$'))` */
  private subPieces(value: string, seen: SeenKey[]): string {
    if (!value.includes('$$')) return this.sub(value, seen);
    return value
      .split('$$')
      .map((s) => this.sub(s, seen))
      .join('$$');
  }

  /**
   * `Options._sub`: replace the `${…}` references in one `$$`-free piece.
   * buildout splits on the regex `(\$\{[^}]*\})`; scanning with indexOf finds
   * the same references (a `${` up to the first `}` after it) without building
   * the pieces array, which was the largest allocation of a resolve.
   */
  private sub(template: string, seen: SeenKey[]): string {
    let start = template.indexOf('${');
    if (start < 0) return template;
    let end = template.indexOf('}', start + 2);
    if (end < 0) return template;
    const [curSection, curOption] = seen[seen.length - 1];
    const where = () => this.ev.locate(curSection, curOption);
    let out = template.slice(0, start);
    for (;;) {
      const ref = template.slice(start, end + 1);
      const s = ref.slice(2, -1).split(':');
      if (!VALID.test(ref)) {
        if (s.length < 2) throw new BuildoutUserError(`The substitution, ${ref},\ndoesn't contain a colon.`, where());
        if (s.length > 2) throw new BuildoutUserError(`The substitution, ${ref},\nhas too many colons.`, where());
        if (!SIMPLE.test(s[0])) {
          throw new BuildoutUserError(`The section name in substitution, ${ref},\nhas invalid characters.`, where());
        }
        if (!SIMPLE.test(s[1])) {
          throw new BuildoutUserError(`The option name in substitution, ${ref},\nhas invalid characters.`, where());
        }
      }
      const section = s[0] || this.name;
      const option = s[1];
      let v = this.ev.getSection(section, where).get(option, seen);
      if (v === undefined) {
        if (option === '_buildout_section_name_') v = this.name;
        else throw new BuildoutUserError(`Referenced option does not exist: ${section} ${option}`, where());
      }
      out += v;
      if (out.length > MAX_VALUE_LENGTH) {
        throw new BuildoutUserError(
          `substituting \${…} makes the value of ${curSection}:${curOption} longer than ${MAX_VALUE_LENGTH} characters (references that multiply?)`,
          where(),
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
    return [...this.raw.keys(), ...[...this.data.keys()].filter((k) => !this.raw.has(k))];
  }
}
