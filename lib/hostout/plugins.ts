/**
 * Finding and loading plugins (`extends = NAME`) and local command modules
 * (`fabfiles = a.js b.ts`). Search order for a plugin name:
 *   1. shipped with hostout (plugins/): `collective.hostout` (the built-ins), `hostout.pushdeploy` and
 *      the other ported plugins, and the gone ones kept as names (plugins/legacy);
 *   2. an npm package of exactly that name, resolved from the buildout directory
 *      (npm names may contain dots: `hostout.supervisor` stays `hostout.supervisor`),
 *      else from where hostout itself is installed (a global `npm install -g hostout
 *      hostout.x` puts them side by side);
 *   3. a path relative to the buildout directory.
 * CommonJS (`module.exports`) and ESM (`export default`) plugins both work.
 *
 * Also here: the lifecycle hooks a host's plugins run when the host is loaded
 * (`defaults`, then `resolve`), each failure named by plugin and host.
 */
import { existsSync, readdirSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, HostoutError } from '../errors';
import { checkConfiguredFile, readConfiguredFile, readNamedFile } from '../named-file';
import { nearest } from '../suggest';
import type { ConnectionOverrides, HostOptions, Plugin, PluginInfo } from './types';

/** The name of the built-in command set (the original's core fabfile). */
export const BUILTIN_PLUGIN = 'collective.hostout';

/**
 * Plugins shipped in plugins/. Resolved relative to THIS file so it works both
 * compiled (dist/lib/hostout → dist/plugins) and under ts-jest (lib/hostout → plugins).
 */
const SHIPPED: Readonly<Record<string, string>> = {
  'collective.hostout': '../../plugins/builtin',
  'hostout.pushdeploy': '../../plugins/pushdeploy',
  'hostout.supervisor': '../../plugins/supervisor',
  'hostout.plone': '../../plugins/plone',
  'hostout.overridedeploy': '../../plugins/overridedeploy',
  // Gone plugins, kept so the buildouts that name them load (docs/compat.md).
  'hostout.ubuntu': '../../plugins/legacy/ubuntu',
  'hostout.debian': '../../plugins/legacy/debian',
  'hostout.redhat': '../../plugins/legacy/redhat',
  'hostout.cloud': '../../plugins/legacy/cloud',
};

/** The names of the plugins shipped with hostout (docs/plugins.md lists them). */
export const SHIPPED_PLUGINS: readonly string[] = Object.keys(SHIPPED);

/** hostout's own package directory (the one with package.json): dist/lib/hostout or lib/hostout, two levels down. */
const PACKAGE_ROOT = path.resolve(__dirname, path.basename(path.resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');

/**
 * A plugin's `require('hostout')` / `require('hostout/testing')` get the hostout
 * that is running, wherever the plugin is installed: one copy of the error
 * classes (so a plugin's UsageError exits 2, not 1 as a foreign error would)
 * and no 'Cannot find module' when hostout is global and the plugin local.
 * Installed once, on the first plugin load outside jest (jest maps these
 * names itself, see jest.config.js).
 */
let hostoutRequestsRedirected = false;
function redirectHostoutRequests(): void {
  if (hostoutRequestsRedirected || process.env.JEST_WORKER_ID) return;
  hostoutRequestsRedirected = true;
  const own: Record<string, string> = {
    hostout: path.join(__dirname, '..', 'index.js'),
    'hostout/testing': path.join(__dirname, '..', 'testing.js'),
  };
  const M = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const original = M._resolveFilename;
  M._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return Object.prototype.hasOwnProperty.call(own, request) ? own[request] : original.call(this, request, ...rest);
  };
}

/** A plugin ready for dispatch, with where it came from (shown in `Running command … from …`). */
export interface LoadedPlugin {
  /** The name in `extends`, or the fabfile path as written (in load errors). `plugin.name` is shown when commands run. */
  id: string;
  /** The resolved module file. */
  file: string;
  plugin: Plugin;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Check a module's export against the Plugin contract; the error says what is wrong. */
export function toPlugin(exported: unknown, fallbackName: string): Plugin {
  let candidate = exported;
  // ESM default export, or CommonJS compiled from `export default`.
  if (isObject(candidate) && !('commands' in candidate) && isObject(candidate.default)) candidate = candidate.default;
  if (!isObject(candidate)) throw new Error('it exports no object (expected { name, commands })');
  const commands = candidate.commands;
  if (!isObject(commands)) throw new Error("its export has no 'commands' object");
  for (const [name, spec] of Object.entries(commands)) {
    if (!isObject(spec) || typeof spec.run !== 'function') {
      throw new Error(`command '${name}' has no run() function`);
    }
    if (spec.description !== undefined && typeof spec.description !== 'string') {
      throw new Error(`command '${name}' has a description that is not a string`);
    }
  }
  for (const hook of ['defaults', 'resolve', 'init'] as const) {
    if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') throw new Error(`'${hook}' is not a function`);
  }
  const name = typeof candidate.name === 'string' && candidate.name ? candidate.name : fallbackName;
  return { ...(candidate as unknown as Plugin), name };
}

/**
 * A `.ts` fabfile, compiled on the fly with TypeScript's transpileModule (no
 * type check). TypeScript is an optional peer dependency (package.json): when it
 * is not installed we say to compile the file to .js instead.
 */
function requireTypeScriptFile(file: string): unknown {
  let ts: typeof import('typescript');
  try {
    ts = require('typescript') as typeof import('typescript');
  } catch {
    throw new Error('it is TypeScript and the typescript package is not installed: compile it to .js (npx tsc) and name the .js file');
  }
  const out = ts.transpileModule(readNamedFile(file).toString('utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (m as unknown as { _compile(code: string, filename: string): void })._compile(out.outputText, file);
  return m.exports;
}

async function importFile(file: string): Promise<unknown> {
  // Under jest (our tests) .ts files are already transformed by ts-jest.
  if (/\.(ts|mts|cts)$/.test(file) && !process.env.JEST_WORKER_ID) return requireTypeScriptFile(file);
  try {
    return require(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    // An ES module: module is node16, so TypeScript keeps this import() real in the CommonJS output.
    return await import(pathToFileURL(file).href);
  }
}

function tryResolve(request: string, paths?: string[]): string | undefined {
  try {
    return require.resolve(request, paths ? { paths } : undefined);
  } catch {
    return undefined;
  }
}

/** Where a plugin name is found (see the module comment), or undefined. */
export function resolvePluginFile(name: string, buildoutDirectory: string): string | undefined {
  const shipped = SHIPPED[name];
  if (shipped) return tryResolve(path.resolve(__dirname, shipped));
  const pkg = /^(@[^/\s]+\/)?[^./\s][^/\s]*$/.test(name) ? tryResolve(name, [buildoutDirectory, PACKAGE_ROOT]) : undefined;
  if (pkg) return pkg;
  return tryResolve(path.resolve(buildoutDirectory, name));
}

/**
 * No cache of our own: Node's module cache (require and import alike) already
 * loads a file once per process, and checking its export is cheap, so no
 * state outlives a run that tests would have to clear.
 */
async function loadFile(file: string, fallbackName: string): Promise<Plugin> {
  redirectHostoutRequests();
  return toPlugin(await importFile(file), fallbackName);
}

/** One line saying why; for a syntax error, Node puts `file:line` first in the stack, which is what people need. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const message = err.message.split('\n')[0];
  const where = err instanceof SyntaxError ? err.stack?.split('\n')[0] : undefined;
  return where && /:\d+$/.test(where) ? `${message} (${where})` : message;
}

/** The npm packages installed in the buildout directory's node_modules (scoped ones as @scope/name). */
function installedPackages(buildoutDirectory: string): string[] {
  const list = (dir: string): string[] => {
    try { return readdirSync(dir).filter((n) => !n.startsWith('.')); } catch { return []; }
  };
  const root = path.join(buildoutDirectory, 'node_modules');
  return list(root).flatMap((n) => (n.startsWith('@') ? list(path.join(root, n)).map((m) => `${n}/${m}`) : [n]));
}

/** Load the plugin named in a part's `extends`. Exit 2 with a clear message when it cannot. */
export async function loadPlugin(name: string, buildoutDirectory: string, partName: string): Promise<LoadedPlugin> {
  const file = resolvePluginFile(name, buildoutDirectory);
  if (!file) {
    const near = nearest(name, [...SHIPPED_PLUGINS, ...installedPackages(buildoutDirectory)]);
    throw new ConfigError(
      `extends = ${name}: no section, shipped plugin, npm package (searched from ${buildoutDirectory}) ` +
        `or file of that name; ` +
        (near
          ? `did you mean ${near} (${SHIPPED[near] ? 'shipped with hostout' : 'installed'})?`
          : `install it with \`npm install ${name}\` in the buildout directory`),
      { host: partName, option: 'extends' },
    );
  }
  // Bounded like every file a configuration names: `extends = /dev/zero` must not be read forever.
  checkConfiguredFile(file, { option: 'extends', host: partName });
  try {
    return { id: name, file, plugin: await loadFile(file, name) };
  } catch (err) {
    throw new ConfigError(`plugin '${name}' (${file}) could not be loaded: ${describe(err)}`, { host: partName, option: 'extends', cause: err });
  }
}

/** The public top-level functions of a Python fabfile: the commands it defined for collective.hostout. */
export function pythonFabfileCommands(source: string): string[] {
  const names = [...source.matchAll(/^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !n.startsWith('_')))];
}

/** Where the plugin guide is in this installation (docs/ ships with the package). */
function pluginGuide(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'docs', 'plugins.md');
    if (existsSync(candidate)) return candidate;
  }
  return 'docs/plugins.md';
}

/** Load one entry of a part's `fabfiles` (a path relative to the buildout directory). */
export async function loadFabfile(entry: string, buildoutDirectory: string, partName: string): Promise<LoadedPlugin> {
  const file = path.resolve(buildoutDirectory, entry);
  if (/\.py$/.test(file) && existsSync(file)) {
    const defined = pythonFabfileCommands(readConfiguredFile(file, { option: 'fabfiles', host: partName })!.toString('utf8'));
    throw new ConfigError(
      `fabfiles = ${entry}: ${file} is a Python (Fabric) fabfile; hostout runs JavaScript/TypeScript command modules and cannot run Python fabfiles. ` +
        (defined.length ? `It would have defined the commands: ${defined.join(', ')}. ` : 'It defines no public top-level function. ') +
        `Port them to a .js or .ts module (the same names keep working on the command line) and name that in fabfiles; see ${pluginGuide()}`,
      { host: partName, option: 'fabfiles' },
    );
  }
  const resolved = tryResolve(file);
  if (!resolved) throw new ConfigError(`fabfiles = ${entry}: no such file (${file})`, { host: partName, option: 'fabfiles' });
  checkConfiguredFile(resolved, { option: 'fabfiles', host: partName });
  try {
    return { id: entry, file: resolved, plugin: await loadFile(resolved, entry) };
  } catch (err) {
    throw new ConfigError(`fabfile '${entry}' (${resolved}) could not be loaded: ${describe(err)}`, { host: partName, option: 'fabfiles', cause: err });
  }
}

function hookFailed(hook: string, id: string, host: string, err: unknown): ConfigError {
  // Our own errors carry their reason already; anything else is the plugin's exception, said in one line.
  const why = err instanceof HostoutError ? err.reason : describe(err);
  return new ConfigError(`plugin '${id}' failed in ${hook}(): ${why}`, { host, cause: err });
}

/**
 * Each plugin's `defaults(options, info)` in order, awaited; a plugin may
 * mutate the options or return new ones. The result is a fresh object.
 */
export async function runDefaultsHooks(sets: readonly LoadedPlugin[], options: HostOptions, info: PluginInfo): Promise<HostOptions> {
  let current: HostOptions = { ...options };
  for (const { id, plugin } of sets) {
    if (!plugin.defaults) continue;
    let returned: unknown;
    try {
      returned = await plugin.defaults(current, info);
    } catch (err) {
      throw hookFailed('defaults', id, info.part, err);
    }
    if (returned === undefined || returned === null) continue;
    if (typeof returned !== 'object') throw hookFailed('defaults', id, info.part, new Error(`it returned ${typeof returned}, not an options object`));
    current = { ...(returned as HostOptions) };
  }
  return current;
}

const CONNECTION_KEYS: ReadonlySet<string> = new Set(['host', 'port', 'user', 'identity-file']);

/**
 * Each plugin's `resolve(options, info)` in order, awaited: where and as whom
 * to connect. Only the connection keys may be returned; each must be a
 * non-empty string (a port may be a number).
 */
export async function runResolveHooks(sets: readonly LoadedPlugin[], options: HostOptions, info: PluginInfo): Promise<HostOptions> {
  const current: HostOptions = { ...options };
  for (const { id, plugin } of sets) {
    if (!plugin.resolve) continue;
    let returned: ConnectionOverrides | void;
    try {
      returned = await plugin.resolve(Object.freeze({ ...current }), info);
    } catch (err) {
      throw hookFailed('resolve', id, info.part, err);
    }
    if (returned === undefined || returned === null) continue;
    if (typeof returned !== 'object') throw hookFailed('resolve', id, info.part, new Error(`it returned ${typeof returned}, not { host, port, user, identity-file }`));
    for (const [key, value] of Object.entries(returned)) {
      if (value === undefined) continue;
      if (!CONNECTION_KEYS.has(key)) {
        throw hookFailed('resolve', id, info.part, new Error(`it returned '${key}'; only host, port, user and identity-file can be resolved`));
      }
      const text = typeof value === 'number' && key === 'port' && Number.isInteger(value) ? String(value) : value;
      if (typeof text !== 'string' || !text.trim() || /[\s\0]/.test(text.trim())) {
        throw hookFailed('resolve', id, info.part, new Error(`it returned an invalid ${key}: ${JSON.stringify(value)}`));
      }
      current[key] = text.trim();
    }
  }
  return current;
}
