/**
 * The first part of `Buildout.__init__`, in its order: built-in
 * defaults, directory, command-line assignments (sorted), user defaults,
 * the config file with its extends (`_open`), versions, and the
 * absolutisation of cache/eggs directories. Produces the merged annotated
 * data; evaluation and the checks after it are in buildout.ts.
 */
// Named imports: `import * as fs` compiles to __importStar, which copies every export of fs
// into a new object through a getter each (about 1 ms per importing module without TurboFan).
import { accessSync, constants, existsSync } from 'fs';
import type * as Os from 'os';
import { ConfigError } from '../errors';
import { parseConfig } from './parser';
import { FileRefused, readNamedFile, refusalReason } from '../named-file';
import type * as Download from './download';
import {
  annotateSection,
  cloneData,
  cloneSection,
  unannotateSection,
  updateData,
  updateSection,
  type AnnotatedData,
  type AnnotatedSection,
} from './merge';
import {
  SectionKey,
  COMMAND_LINE_VALUE,
  COMPUTED_VALUE,
  DEFAULT_VALUE,
  type SourceLocation,
} from './section-key';
import {
  pathAbspath,
  pathDirname,
  pathExpanduser,
  pathIsAbs,
  pathJoin,
  pathNormpath,
  pyCompare,
  pyReprList,
  pySplitWs,
  pyStrip,
  pyRepr,
} from './pywhitespace';
import { BuildoutUserError, displayFile } from './user-error';

export interface LoadOptions {
  /** -c FILE; default 'buildout.cfg'; relative to cwd; may be a URL */
  config?: string;
  /** default process.cwd() */
  cwd?: string;
  /** false = -U */
  userDefaults?: boolean;
  /** command-line 'section:option=value' / 'option=value' words, as typed */
  assignments?: string[];
  /** HOME / BUILDOUT_HOME lookup; default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Only find the local files (LoadedData.files): extends URLs are neither
   * fetched nor followed, and loading stops after the extends chains (no
   * versions check), so a file whose [versions] comes from a URL still lists.
   */
  filesOnly?: boolean;
}

/** What the loading steps produce, before evaluation. */
export interface LoadedData {
  data: AnnotatedData;
  /**
   * The local files the configuration was read from: the config file and
   * every local file its `extends` chains reached, in the order read, each
   * once (user defaults and URLs not included).
   */
  files: string[];
  /** process cwd used for abspath (Python's os.getcwd()). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The `sys.executable` stand-in (documented in docs/buildout-compat.md). */
export function defaultExecutable(env: NodeJS.ProcessEnv = process.env): string {
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = pathJoin(dir, 'python3');
    try {
      accessSync(candidate, constants.X_OK);
      return pathIsAbs(candidate) ? candidate : pathAbspath(candidate, process.cwd());
    } catch {
      // keep looking
    }
  }
  return 'python3';
}

export function builtinDefaults(env: NodeJS.ProcessEnv): AnnotatedSection {
  const values: [string, string][] = [
    ['allow-hosts', '*'],
    ['allow-picked-versions', 'true'],
    ['bin-directory', 'bin'],
    ['develop-eggs-directory', 'develop-eggs'],
    ['eggs-directory', 'eggs'],
    ['executable', defaultExecutable(env)],
    ['find-links', ''],
    ['install-from-cache', 'false'],
    ['installed', '.installed.cfg'],
    ['log-format', ''],
    ['log-level', 'INFO'],
    ['newest', 'true'],
    ['offline', 'false'],
    ['parts-directory', 'parts'],
    ['prefer-final', 'true'],
    ['python', 'buildout'],
    ['show-picked-versions', 'false'],
    ['socket-timeout', ''],
    ['update-versions-file', ''],
    ['use-dependency-links', 'true'],
    ['allow-unknown-extras', 'false'],
  ];
  return annotateSection(new Map(values), DEFAULT_VALUE);
}

export const BUILDOUT_DEFAULT_NAMES: readonly string[] = [...builtinDefaults({}).keys()];

export function isUrl(s: string): boolean {
  return /^[a-zA-Z0-9+.-]+:\/\//.test(s);
}

/** `bool_option`: the value must be exactly 'true' or 'false'. */
export function boolOption(value: string, name: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new BuildoutUserError(`Invalid value for ${pyRepr(name)} option: ${pyRepr(value)}`);
}

/** Parse `section:option=value` words like buildout's main(); sorted and grouped. */
export function parseAssignments(assignments: string[]): AnnotatedData {
  const tuples: [string, string, string][] = [];
  const words = new Map<string, string>();
  for (const word of assignments) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new ConfigError(`invalid command-line assignment ${pyRepr(word)}: expected section:option=value`);
    const left = word.slice(0, eq).split(':');
    if (left.length > 2) {
      throw new ConfigError(`invalid command-line assignment ${pyRepr(word)}: too many ':' (expected section:option=value)`);
    }
    const [section, option] = left.length === 1 ? ['buildout', left[0]] : left;
    // An empty option name is kept: buildout only fails (IndexError) when such
    // an option has to be merged onto an existing section (merge.ts).
    tuples.push([pyStrip(section), pyStrip(option), pyStrip(word.slice(eq + 1))]);
    words.set(`${pyStrip(section)}\0${pyStrip(option)}`, word);
  }
  tuples.sort((a, b) => pyCompare(a[0], b[0]) || pyCompare(a[1], b[1]) || pyCompare(a[2], b[2]));
  const out: AnnotatedData = new Map();
  for (const [section, option, value] of tuples) {
    let s = out.get(section);
    if (!s) out.set(section, (s = new Map()));
    const word = words.get(`${section}\0${option}`) ?? `${section}:${option}=${value}`;
    s.set(option, new SectionKey(value, COMMAND_LINE_VALUE, { file: `command-line assignment ${pyRepr(word)}` }));
  }
  return out;
}

/** Guards against runaway extends graphs (Python would hit RecursionError or hang). */
const MAX_EXTENDS_DEPTH = 500;
const MAX_FILES_OPENED = 5000;

interface OpenContext {
  override: AnnotatedSection;
  downloaded: Set<string>;
  cwd: string;
  opened: { count: number };
  /** `seen`, normalised (to catch `./buildout.cfg` cycles, which Python misses). */
  seenNormalized: string[];
  /** Every local file read, in reading order (the record LoadedData.files keeps). */
  files: string[];
  /** LoadOptions.filesOnly: URLs are not fetched. */
  filesOnly?: boolean;
}

let utf8: InstanceType<typeof TextDecoder> | undefined;

/** Decode strictly as UTF-8 (Python's open() on a UTF-8 locale), naming the bad line. */
function decodeConfig(bytes: Buffer, label: string): string {
  utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return utf8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          utf8.decode(bytes.subarray(start, i));
        } catch {
          throw new ConfigError('the file is not valid UTF-8 text', { file: label, line });
        }
        line++;
        start = i + 1;
      }
    }
    throw new ConfigError('the file is not valid UTF-8 text', { file: label });
  }
}

/**
 * The text of a config file. A local file is read as UTF-8 in one call (a
 * buffer plus a strict TextDecoder cost ~1.5 ms more at 1x); a lenient read
 * turns invalid bytes into U+FFFD, so a text containing U+FFFD is read again
 * as bytes and decoded strictly, which names the bad line.
 */
function configText(content: Buffer | string, path: string, label: string): string {
  if (typeof content !== 'string') return decodeConfig(content, label);
  return content.includes('\ufffd') ? decodeConfig(readNamedFile(path), label) : content;
}

/** `_open(base, filename, seen, dl_options, override, downloaded)` */
async function openConfig(
  base: string,
  filenameIn: string,
  seen: string[],
  dlOptions: AnnotatedSection,
  ctx: OpenContext,
  from?: SourceLocation,
): Promise<AnnotatedData> {
  if (++ctx.opened.count > MAX_FILES_OPENED) {
    throw new BuildoutUserError(`extends opens more than ${MAX_FILES_OPENED} files (a very large diamond of extends?)`, from);
  }
  if (seen.length >= MAX_EXTENDS_DEPTH) {
    throw new BuildoutUserError(`extends nested more than ${MAX_EXTENDS_DEPTH} files deep`, from);
  }
  updateSection(dlOptions, ctx.override);
  const dl = unannotateSection(dlOptions); // plain values: buildout's deepcopy here changes nothing
  const newest = boolOptionWhere(dl.get('newest') ?? 'false', 'newest', from);
  let filename = filenameIn;
  const settings = () => ({
    directory: dl.get('directory') ?? '',
    cache: dl.get('extends-cache'),
    offline: dl.get('offline') === 'true' || dl.get('install-from-cache') === 'true',
    fallback: newest && !ctx.downloaded.has(filename),
  });

  /** a string when read from a local file (see configText) */
  let content: Buffer | string;
  let label: string;
  let nextBase: string;
  // Synchronous on purpose: local config files are small, and a thread-pool
  // round trip per file costs more than the read itself.
  const readLocal = async (path: string): Promise<string> => {
    try {
      return readNamedFile(path).toString('utf8');
    } catch (err) {
      if (!(err instanceof FileRefused)) throw err;
      const why =
        err.code === 'ENAMETOOLONG'
          ? 'the path is too long (relative extends such as ../x/y.cfg add up: buildout never normalises them)'
          : refusalReason(err);
      const hint = path.includes('${') ? ' (buildout does not substitute ${…} in extends)' : '';
      const shownPath = displayFile(path, ctx.cwd);
      const brief = shownPath.length > 200 ? `${shownPath.slice(0, 80)}…${shownPath.slice(-80)}` : shownPath;
      throw new BuildoutUserError(`cannot open extended file ${brief}: ${why}${hint}`, from);
    }
  };
  const fetch = async (url: string) => {
    try {
      // Loaded on first use: most configurations extend no URL, and every module costs start-up time.
      const { downloadExtends } = require('./download') as typeof Download;
      const got = await downloadExtends(url, settings());
      return { bytes: got.content, label: got.localPath ? `${url} (downloaded as ${got.localPath})` : url };
    } catch (err) {
      if (err instanceof BuildoutUserError) {
        if (!err.location) err.location = from;
        throw err;
      }
      throw new BuildoutUserError(`cannot read ${url}: ${(err as Error).message}`, from);
    }
  };
  // Only the local files are wanted: a URL (and what it extends) is left out unread.
  if (ctx.filesOnly && (isUrl(filename) || (isUrl(base) && !pathIsAbs(filename)))) return new Map();
  if (isUrl(filename)) {
    ({ bytes: content, label } = await fetch(filename));
    nextBase = filename.slice(0, filename.lastIndexOf('/'));
  } else if (isUrl(base)) {
    if (pathIsAbs(filename)) {
      content = await readLocal(filename);
      ctx.files.push(filename);
      label = filename;
      nextBase = pathDirname(filename);
    } else {
      filename = base + '/' + filename;
      ({ bytes: content, label } = await fetch(filename));
      nextBase = filename.slice(0, filename.lastIndexOf('/'));
    }
  } else {
    filename = pathJoin(base, filename);
    content = await readLocal(filename);
    ctx.files.push(filename);
    label = filename;
    nextBase = pathDirname(filename);
  }
  ctx.downloaded.add(filename);

  if (seen.includes(filename)) {
    throw new BuildoutUserError(`Recursive file include ${pyReprList(seen)} ${filename}`, from);
  }
  // Python compares unnormalised strings, so `./buildout.cfg` recurses until
  // RecursionError; we detect the cycle on normalised paths instead.
  const normalized = isUrl(filename) ? filename : pathNormpath(filename);
  if (ctx.seenNormalized.includes(normalized)) {
    throw new BuildoutUserError(
      `Recursive file include ${pyReprList(seen)} ${filename} (the same file, spelled differently)`,
      from,
    );
  }
  const rootConfigFile = seen.length === 0;
  seen.push(filename);
  ctx.seenNormalized.push(normalized);

  const shownLabel = displayFile(label, ctx.cwd);
  const parsed = parseConfig(configText(content, filename, shownLabel), shownLabel);
  const buildoutSection = parsed.get('buildout');
  const extendsOpt = buildoutSection?.get('extends');
  if (buildoutSection && extendsOpt) buildoutSection.delete('extends');
  if (buildoutSection?.has('extended-by')) {
    throw new BuildoutUserError(`No-longer supported "extended-by" option found in ${filename}.`, {
      file: filename,
      line: buildoutSection.get('extended-by')!.line,
    });
  }
  let result: AnnotatedData = new Map();
  parsed.forEach((opts, name) => result.set(name, annotateSection(opts, filename, filename)));

  if (rootConfigFile && result.has('buildout')) updateSection(dlOptions, result.get('buildout')!);

  if (extendsOpt && extendsOpt.value) {
    const names = pySplitWs(extendsOpt.value);
    const here: SourceLocation = { file: filename, line: extendsOpt.line };
    if (names.length) {
      const eresult = await openConfig(nextBase, names[0], seen, dlOptions, ctx, here);
      for (const fname of names.slice(1)) {
        updateData(eresult, await openConfig(nextBase, fname, seen, dlOptions, ctx, here));
      }
      result = updateData(eresult, result);
    }
  }
  seen.pop();
  ctx.seenNormalized.pop();
  return result;
}

function boolOptionWhere(value: string, name: string, where?: SourceLocation): boolean {
  try {
    return boolOption(value, name);
  } catch (err) {
    if (err instanceof BuildoutUserError && !err.location) err.location = where;
    throw err;
  }
}

function homeDirectory(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined ? env.HOME : (require('os') as typeof Os).homedir();
}

/** Steps 1–8 of the pipeline: everything up to the annotate snapshot. */
export async function loadData(options: LoadOptions = {}): Promise<LoadedData> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const data: AnnotatedData = new Map([['buildout', builtinDefaults(env)]]);
  const buildoutData = () => data.get('buildout')!;

  let configFile = options.config ?? 'buildout.cfg';
  if (configFile === '') throw new ConfigError('No file name specified for option -c');
  if (!isUrl(configFile)) {
    configFile = pathAbspath(configFile, cwd);
    if (!existsSync(configFile)) throw new ConfigError(`Couldn't open ${configFile}`);
    buildoutData().set('directory', new SectionKey(pathDirname(configFile), COMPUTED_VALUE));
  }

  const cloptions = parseAssignments(options.assignments ?? []);
  const override = cloneSection(cloptions.get('buildout') ?? new Map());
  const ctx: OpenContext = { override, downloaded: new Set(), cwd, opened: { count: 0 }, seenNormalized: [], files: [], filesOnly: options.filesOnly };
  const files: string[] = [];

  if (options.userDefaults !== false) {
    const home = env.BUILDOUT_HOME ? env.BUILDOUT_HOME : pathJoin(pathExpanduser('~', homeDirectory(env)), '.buildout');
    const userConfig = pathJoin(home, 'default.cfg');
    if (existsSync(userConfig)) {
      const copy = cloneSection(buildoutData());
      updateData(data, await openConfig(pathDirname(userConfig), userConfig, [], copy, ctx));
    }
  }

  {
    const copy = cloneSection(buildoutData());
    updateData(data, await openConfig(pathDirname(configFile), configFile, [], copy, { ...ctx, downloaded: new Set(), seenNormalized: [], files }));
  }

  if (options.filesOnly) return { data, cwd, env, files: [...new Set(files)] };
  updateData(data, cloptions);

  // Versions (step 7).
  if (!buildoutData().has('versions')) {
    buildoutData().set('versions', new SectionKey('versions', DEFAULT_VALUE));
    if (!data.has('versions')) data.set('versions', new Map());
  }
  const versionsKey = buildoutData().get('versions')!;
  if (versionsKey.value) {
    const versions = data.get(versionsKey.value);
    if (!versions) {
      throw new BuildoutUserError(
        `buildout:versions names the section ${pyRepr(versionsKey.value)}, which does not exist`,
        versionsKey.location?.line ? versionsKey.location : undefined,
      );
    }
    const pins: [string, string][] = [
      ['zc.buildout', '>=2.13.2'],
      ['zc.recipe.egg', '>=2.0.6'],
    ];
    const missing = pins.filter(([k]) => !versions.has(k));
    for (const [k, v] of missing) versions.set(k, new SectionKey(v, DEFAULT_VALUE));
  }

  // Absolutise cache and eggs directories as buildout does: a relative value (after `~`
  // expansion) is joined with the directory of the file that set it last (buildout:directory for
  // default, computed and command-line values; a URL is refused as ambiguous) and normalised; a
  // value with `${` is left alone. bin, parts and develop-eggs follow another rule (buildout.ts).
  for (const name of ['download-cache', 'eggs-directory', 'extends-cache']) {
    const key = buildoutData().get(name);
    if (!key) continue;
    const origdir = key.value;
    const src = key.source;
    if (origdir.includes('${')) continue;
    if (pathIsAbs(origdir)) continue;
    let basedir: string;
    if (src === DEFAULT_VALUE || src === COMPUTED_VALUE || src === COMMAND_LINE_VALUE) {
      basedir = buildoutData().get('directory')?.value ?? cwd;
    } else {
      if (isUrl(src)) {
        throw new BuildoutUserError(
          `Setting "${name}" to a non absolute location ("${origdir}") within a\nremote configuration file ("${src}") is ambiguous.`,
          key.location,
        );
      }
      basedir = pathDirname(src);
    }
    let absdir = pathExpanduser(origdir, homeDirectory(env));
    if (!pathIsAbs(absdir)) absdir = pathJoin(basedir, absdir);
    key.setDirectory(pathAbspath(absdir, cwd));
  }
  return { data, cwd, env, files: [...new Set(files)] };
}

export { cloneData };
