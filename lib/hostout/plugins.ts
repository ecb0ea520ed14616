/**
 * Finding and loading plugins (`extends = NAME`) and local command modules
 * (`fabfiles = a.js b.ts`). Search order for a plugin name:
 *   1. shipped with hostout (plugins/): `collective.hostout` (the built-ins) and `hostout.pushdeploy`;
 *   2. an npm package of exactly that name, resolved from the buildout directory
 *      (npm names may contain dots: `hostout.supervisor` stays `hostout.supervisor`);
 *   3. a path relative to the buildout directory.
 * CommonJS (`module.exports`) and ESM (`export default`) plugins both work.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors';
import type { Plugin } from './types';

/** The name of the built-in command set (the original's core fabfile). */
export const BUILTIN_PLUGIN = 'collective.hostout';

/**
 * Plugins shipped in plugins/. Resolved relative to THIS file so it works both
 * compiled (dist/lib/hostout → dist/plugins) and under ts-jest (lib/hostout → plugins).
 */
const SHIPPED: Readonly<Record<string, string>> = {
  'collective.hostout': '../../plugins/builtin',
  'hostout.pushdeploy': '../../plugins/pushdeploy',
};

/** A plugin ready for dispatch, with where it came from (shown in `Running command … from …`). */
export interface LoadedPlugin {
  /** The id shown in messages: the name in `extends`, or the fabfile path as written. */
  id: string;
  /** The resolved module file. */
  file: string;
  plugin: Plugin;
}

const loaded = new Map<string, Promise<Plugin>>();

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
  for (const hook of ['defaults', 'init'] as const) {
    if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') throw new Error(`'${hook}' is not a function`);
  }
  const name = typeof candidate.name === 'string' && candidate.name ? candidate.name : fallbackName;
  return { ...(candidate as unknown as Plugin), name };
}

/**
 * A `.ts` fabfile, compiled on the fly with TypeScript's transpileModule (no
 * type check). TypeScript is a dev dependency: when it is not installed we say
 * to compile the file to .js instead.
 */
function requireTypeScriptFile(file: string): unknown {
  let ts: typeof import('typescript');
  try {
    ts = require('typescript') as typeof import('typescript');
  } catch {
    throw new Error('it is TypeScript and the typescript package is not installed: compile it to .js (npx tsc) and name the .js file');
  }
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
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
  const pkg = /^(@[^/\s]+\/)?[^./\s][^/\s]*$/.test(name) ? tryResolve(name, [buildoutDirectory]) : undefined;
  if (pkg) return pkg;
  return tryResolve(path.resolve(buildoutDirectory, name));
}

async function loadFile(file: string, fallbackName: string): Promise<Plugin> {
  let p = loaded.get(file);
  if (!p) {
    p = importFile(file).then((exported) => toPlugin(exported, fallbackName));
    loaded.set(file, p);
  }
  return p;
}

/** One line saying why; for a syntax error, Node puts `file:line` first in the stack, which is what people need. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const message = err.message.split('\n')[0];
  const where = err instanceof SyntaxError ? err.stack?.split('\n')[0] : undefined;
  return where && /:\d+$/.test(where) ? `${message} (${where})` : message;
}

/** Load the plugin named in a part's `extends`. Exit 2 with a clear message when it cannot. */
export async function loadPlugin(name: string, buildoutDirectory: string, partName: string): Promise<LoadedPlugin> {
  const file = resolvePluginFile(name, buildoutDirectory);
  if (!file) {
    throw new ConfigError(
      `extends = ${name}: no section, shipped plugin, npm package (searched from ${buildoutDirectory}) ` +
        `or file of that name; install it with \`npm install ${name}\` in the buildout directory`,
      { host: partName, option: 'extends' },
    );
  }
  try {
    return { id: name, file, plugin: await loadFile(file, name) };
  } catch (err) {
    throw new ConfigError(`plugin '${name}' (${file}) could not be loaded: ${describe(err)}`, { host: partName, option: 'extends', cause: err });
  }
}

/** Load one entry of a part's `fabfiles` (a path relative to the buildout directory). */
export async function loadFabfile(entry: string, buildoutDirectory: string, partName: string): Promise<LoadedPlugin> {
  const file = path.resolve(buildoutDirectory, entry);
  const resolved = tryResolve(file);
  if (!resolved) throw new ConfigError(`fabfiles = ${entry}: no such file (${file})`, { host: partName, option: 'fabfiles' });
  try {
    return { id: entry, file: resolved, plugin: await loadFile(resolved, entry) };
  } catch (err) {
    throw new ConfigError(`fabfile '${entry}' (${resolved}) could not be loaded: ${describe(err)}`, { host: partName, option: 'fabfiles', cause: err });
  }
}
