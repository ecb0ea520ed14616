/**
 * A loaded buildout: the rest of `Buildout.__init__` (after loader.ts:
 * annotate snapshot, first directory pass, eager `[buildout]` evaluation,
 * second directory pass, the logging/boolean/version checks) and the public
 * `Buildout` API on top of the lazy evaluator.
 */
// Named imports: `import * as fs` compiles to __importStar, which copies every export of fs
// into a new object through a getter each (about 1 ms per importing module without TurboFan).
import { existsSync, mkdirSync } from 'fs';
import { ConfigError } from '../errors';
import { unannotateSection, type AnnotatedData } from './merge';
import { Evaluator, MacroWorkExceeded, type Options } from './substitution';
import { BUILDOUT_DEFAULT_NAMES, boolOption, type LoadedData } from './loader';
import type * as Annotate from './annotate';
import { PY_WS_CLASS, pathJoin, pyRepr, pySorted, pySplitWs } from './pywhitespace';
import { BuildoutUserError, displayFile, toConfigError } from './user-error';

export interface Buildout {
  readonly directory: string;
  /**
   * The local files this configuration was read from (absolute): the config
   * file and every local file its `extends` chains reached, in reading order,
   * each once. User defaults and URLs are not included.
   */
  readonly configFiles: readonly string[];
  sectionNames(): string[];
  hasSection(name: string): boolean;
  section(name: string): Record<string, string>;
  get(section: string, option: string): string;
  raw(section: string): Record<string, string> | undefined;
  resolveAll(): { values: Record<string, Record<string, string>>; errors: Record<string, string> };
  annotate(sections?: string[]): string;
  query(arg: string): string;
}

/** One unresolvable section or option, with where its text was written. */
export interface ResolveProblem {
  /** "section" or "section:option" */
  key: string;
  /** zc.buildout's exact message */
  message: string;
  /** "file, line N: message" for people */
  detail: string;
}

const PY_INT = new RegExp(`^[${PY_WS_CLASS}]*[+-]?[0-9]+(_[0-9]+)*[${PY_WS_CLASS}]*$`);
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

/** annotate.ts, loaded on first use: only --annotate and --query print its output (one module less at start-up). */
function annotateModule(): typeof Annotate {
  return require('./annotate') as typeof Annotate;
}

function toRecord(entries: Iterable<[string, string]>): Record<string, string> {
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * `record[key] = value` as Object.fromEntries would define it (an own
 * property even for `__proto__`), without building the entry pairs first.
 */
function setOwn(record: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

export class LoadedBuildout implements Buildout {
  readonly directory: string;
  readonly configFiles: readonly string[];
  private readonly annotated: AnnotatedData;
  private readonly ev: Evaluator;
  private readonly cwd: string;
  private readonly verbose: boolean;
  private readonly downloadCache: string | undefined;
  private readonly extendsCache: string | undefined;
  private readonly eggsCache: string | undefined;

  constructor(loaded: LoadedData) {
    const { data, cwd } = loaded;
    this.cwd = cwd;
    this.configFiles = Object.freeze([...loaded.files]);
    // buildout deep-copies its data here because it then turns it into the raw
    // values in place; we build the raw values separately and never mutate the
    // annotated data afterwards, so the data itself is the annotate snapshot.
    this.annotated = data;
    const raw = new Map<string, Map<string, string>>();
    data.forEach((section, name) => raw.set(name, unannotateSection(section)));
    this.ev = new Evaluator(raw, data);
    const ev = this.ev;
    const at = (option: string) => ev.locate('buildout', option);
    const check = <T>(fn: () => T, option?: string): T => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof BuildoutUserError && !err.location && option) err.location = at(option);
        throw err;
      }
    };

    // Step 10: first directory pass, on the raw [buildout].
    const rawBuildout = raw.get('buildout')!;
    let buildoutDir = cwd;
    const buildoutPath = (v: string) => (v.includes('${') ? v : pathJoin(buildoutDir, v));
    if (rawBuildout.has('directory')) {
      buildoutDir = rawBuildout.get('directory')!;
      for (const n of ['bin', 'parts', 'eggs', 'develop-eggs']) {
        const key = `${n}-directory`;
        rawBuildout.set(key, buildoutPath(rawBuildout.get(key) ?? ''));
      }
    }
    const offline = check(() => boolOption(rawBuildout.get('offline') ?? '', 'offline'), 'offline');
    if (!offline) check(() => boolOption(rawBuildout.get('newest') ?? '', 'newest'), 'newest');

    // Step 11: [buildout] is evaluated eagerly.
    const options = ev.getSection('buildout');
    options.get('find-links');
    options.item('allow-hosts');
    buildoutDir = options.item('directory');
    // Step 12: second directory pass on the substituted values.
    for (const n of ['bin', 'parts', 'eggs', 'develop-eggs']) {
      const key = `${n}-directory`;
      options.set(key, buildoutPath(options.item(key)));
    }
    if (options.item('installed')) {
      options.set('installed', pathJoin(options.item('directory'), options.item('installed')));
    }
    // Step 13: the checks buildout makes while setting up logging and options.
    options.item('log-format');
    const level = options.item('log-level');
    if (!LOG_LEVELS.includes(level) && !PY_INT.test(level)) {
      throw new BuildoutUserError(`Invalid logging level ${level}`, at('log-level'));
    }
    const verbosity = options.get('verbosity');
    if (verbosity !== undefined && !PY_INT.test(verbosity)) {
      throw new BuildoutUserError(`Invalid verbosity ${verbosity}`, at('verbosity'));
    }
    options.item('socket-timeout');
    const versionsName = raw.get('buildout')!.get('versions') ?? '';
    if (versionsName) ev.getSection(versionsName, () => at('versions'));
    options.item('versions');
    for (const name of ['prefer-final', 'use-dependency-links', 'allow-picked-versions', 'show-picked-versions']) {
      check(() => boolOption(options.item(name), name), name);
    }
    options.item('update-versions-file');
    this.downloadCache = options.get('download-cache');
    this.extendsCache = options.get('extends-cache');
    if (check(() => boolOption(options.get('abi-tag-eggs') ?? 'false', 'abi-tag-eggs'), 'abi-tag-eggs')) {
      options.set('eggs-directory', pathJoin(options.item('eggs-directory'), abiTag(options.item('executable'))));
    }
    if (check(() => boolOption(options.item('install-from-cache'), 'install-from-cache'), 'install-from-cache') && offline) {
      throw new BuildoutUserError(
        "install-from-cache can't be used with offline mode.\nNothing is installed, even from cache, in offline\nmode, which might better be called 'no-install mode'.\n",
        at('install-from-cache'),
      );
    }
    this.eggsCache = options.get('eggs-directory');
    for (const name of BUILDOUT_DEFAULT_NAMES) options.item(name);
    this.directory = options.item('directory');
    this.verbose = verbosity !== undefined;
  }

  /**
   * What zc.buildout does at the end of every command's initialisation
   * (its last step): create the download cache (+ /dist), extends cache and
   * eggs directory when missing. Returns the log lines buildout prints on
   * stdout ("Creating directory '…'."). Kept out of loadBuildout so that
   * reading a configuration has no side effects; the CLI calls it for
   * --annotate and --query, whose output includes these lines.
   */
  createStandardDirectories(): string[] {
    const lines: string[] = [];
    for (const cache of [this.downloadCache, this.extendsCache, this.eggsCache]) {
      if (!cache) continue;
      const dir = pathJoin(this.directory, cache);
      if (!existsSync(dir)) {
        lines.push(`Creating directory ${pyRepr(dir)}.`);
        try {
          mkdirSync(dir, { recursive: true });
        } catch (err) {
          throw new ConfigError(`cannot create directory ${dir}: ${(err as Error).message}`);
        }
      }
    }
    if (this.downloadCache) {
      const dist = pathJoin(this.downloadCache, 'dist');
      try {
        if (!existsSync(dist)) mkdirSync(dist);
      } catch (err) {
        throw new ConfigError(`cannot create directory ${dist}: ${(err as Error).message}`);
      }
    }
    return lines;
  }

  private fail(err: unknown): never {
    throw toConfigError(err, this.cwd);
  }

  sectionNames(): string[] {
    return pySorted(this.ev.raw.keys());
  }

  hasSection(name: string): boolean {
    return this.ev.raw.has(name);
  }

  private evaluated(name: string): Options {
    try {
      return this.ev.getSection(name);
    } catch (err) {
      this.fail(err);
    }
  }

  section(name: string): Record<string, string> {
    const options = this.evaluated(name);
    try {
      return toRecord(options.keys().map((k): [string, string] => [k, options.item(k)]));
    } catch (err) {
      this.fail(err);
    }
  }

  get(section: string, option: string): string {
    const options = this.evaluated(section);
    try {
      return options.item(option);
    } catch (err) {
      this.fail(err);
    }
  }

  raw(section: string): Record<string, string> | undefined {
    const s = this.annotated.get(section);
    return s ? toRecord([...s].map(([k, v]): [string, string] => [k, v.value])) : undefined;
  }

  /** Like resolveAll, and also says where each problem was written. */
  resolveAllDetailed(): { values: Record<string, Record<string, string>>; problems: ResolveProblem[] } {
    const values: Record<string, Record<string, string>> = {};
    const done = new Set<string>();
    const problems: ResolveProblem[] = [];
    const problem = (key: string, err: unknown) => {
      if (err instanceof MacroWorkExceeded) this.fail(err);
      if (err instanceof RangeError) {
        // Too deep to evaluate (or too large): say so once and stop. Going on would redo the
        // same deep evaluation from every later section of the chain: minutes at 100% CPU.
        const asConfig = toConfigError(err, this.cwd);
        if (asConfig instanceof ConfigError) throw new ConfigError(`${asConfig.message}, evaluating ${key.includes(':') ? key : `[${key}]`}`);
        throw err;
      }
      const asConfig = toConfigError(err, this.cwd);
      if (!(asConfig instanceof ConfigError)) throw err;
      const message = err instanceof BuildoutUserError ? err.message : asConfig.message;
      problems.push({ key, message, detail: asConfig.message });
    };
    let parts: string[] = [];
    try {
      parts = pySplitWs(this.ev.getSection('buildout').get('parts') ?? '');
    } catch (err) {
      this.fail(err);
    }
    // Index loops, not for…of: without TurboFan each step of an iterator allocates.
    const names = ['buildout', ...parts, ...pySorted(this.ev.raw.keys())];
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (done.has(name)) continue;
      let options: Options | undefined;
      try {
        options = this.ev.getSection(name);
      } catch (err) {
        options = this.ev.data.get(name);
        if (!options || options.raw.has('<')) {
          problem(name, err);
          continue;
        }
      }
      const section: Record<string, string> = {};
      const keys = options.keys();
      for (let j = 0; j < keys.length; j++) {
        try {
          setOwn(section, keys[j], options.item(keys[j]));
        } catch (err) {
          problem(`${name}:${keys[j]}`, err);
        }
      }
      values[name] = section;
      done.add(name);
    }
    return { values, problems };
  }

  resolveAll(): { values: Record<string, Record<string, string>>; errors: Record<string, string> } {
    const { values, problems } = this.resolveAllDetailed();
    const errors: Record<string, string> = {};
    for (const p of problems) errors[p.key] = p.message;
    return { values, errors };
  }

  annotate(sections: string[] = []): string {
    return annotateModule().renderAnnotate(this.annotated, this.verbose, sections, this.directory, this.cwd);
  }

  query(arg: string): string {
    try {
      return annotateModule().renderQuery(this.ev.raw, arg, this.verbose).replace(/\n$/, '');
    } catch (err) {
      this.fail(err);
    }
  }

  /** Sections evaluated so far with their values ("Configuration data" order). */
  describeLocation(section: string, option: string): string | undefined {
    const loc = this.ev.locate(section, option);
    return loc ? `${displayFile(loc.file, this.cwd)}${loc.line ? `, line ${loc.line}` : ''}` : undefined;
  }
}

/** zc.buildout.pep425tags.get_abi_tag() for the configured interpreter. */
function abiTag(executable: string): string {
  try {
    const { execFileSync } = require('child_process') as typeof import('child_process');
    return execFileSync(executable, ['-c', 'import sys;print("cp%d%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
      timeout: 10000,
    }).trim();
  } catch {
    throw new BuildoutUserError(`abi-tag-eggs = true, but ${executable} could not be run to find the ABI tag`);
  }
}
