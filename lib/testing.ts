/**
 * `hostout/testing`: test a plugin without servers, network or the developer's
 * ~/.ssh/config. `loadPluginForTest` loads the plugin (an object, or a path /
 * package name as in `extends`) for one host with the options you give, as
 * hostout would (the plugin's hooks, the recipe's and run-time defaults, the
 * built-in commands after it), and runs commands against the recording
 * transport: every remote, local, rsync, put/get and exists call becomes one
 * line in `records` (the lines `--dry-run` prints), and commands are answered
 * from your canned `responses` and `exists`.
 *
 *     import { loadPluginForTest } from 'hostout/testing';
 *     const t = await loadPluginForTest(plugin, { options: { host: 'example.com', user: 'deploy' } });
 *     await t.run('greet', 'World');
 *     expect(t.records).toEqual([...]);
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PluginStep } from './events';
import { buildoutFromObject } from './hostout/buildout-view';
import { Runtime, type CommandListing } from './hostout/dispatch';
import { hostCatalog, type HostDefinition } from './hostout/hosts';
import type { HostOptions, Plugin } from './hostout/types';
import { createRecordingLogger } from './log';
import type { RecordedResponse } from './transport/backends/recorder';
import { RecordingTransportFactory, type RecordingOptions } from './transport/factory';
import type { SshEnvironment } from './transport/ssh-config';

export type { RecordedResponse } from './transport/backends/recorder';
export type { RecordingOptions } from './transport/factory';

/** Another host of the test configuration, for commands that reach it through `ctx.hosts`. */
export interface OtherHost {
  /** Its options as written in buildout.cfg. */
  options?: HostOptions;
  /** Plugins it extends (objects, or names/paths as in `extends`). Default: none, only the built-ins. */
  plugins?: (Plugin | string)[];
}

export interface PluginTestOptions {
  /** The host (part) name. Default `site`. */
  host?: string;
  /** The host's options as written in buildout.cfg (`recipe` and `extends` are added for you). */
  options?: HostOptions;
  /** More plugins after the one under test, in `extends` order (e.g. `hostout.supervisor` for a plugin that calls its commands). */
  with?: (Plugin | string)[];
  /** More hosts of the configuration, by name. */
  hosts?: Record<string, OtherHost>;
  /** The buildout directory (plugins given by path are resolved from it). Default: a new empty temp directory, removed by `close()`. */
  buildoutDirectory?: string;
  /** What `ctx.remote.exists` answers: a constant, or per path and host. Default false. */
  exists?: RecordingOptions['exists'];
  /** Canned results: the first whose `match` is in (string) or matches (RegExp) a record line answers it. Default: empty output, exit status 0; a non-zero `code` makes the call throw a CommandError unless it allows failure. */
  responses?: RecordedResponse[];
  /** The local user name hostout defaults `user` to. Default `tester`. */
  localUser?: string;
  /** What `ctx.dryRun` says. Default false: the plugin runs its real-run code paths against the recorder. */
  dryRun?: boolean;
  /** What `ctx.rollback` says: false as under --no-rollback. Default true. */
  rollback?: boolean;
  /**
   * The plugins' command-line options as if given (`{ 'lock-wait': '60' }`, true for a flag): the
   * commands see them as the host options the plugins declare them to set (Plugin.options).
   */
  commandLine?: Readonly<Record<string, string | true>>;
}

/** A `ctx.report` step as the harness kept it. */
export type ReportedStep = { host: string; plugin: string } & PluginStep;

export interface PluginTest {
  /** The host under test, as loaded: final options and its command sets in dispatch order. */
  readonly host: HostDefinition;
  /** Its final options (after the plugin's hooks and hostout's defaults). */
  readonly options: Readonly<HostOptions>;
  /** Every recorded call so far, in order, `[host] kind(target): command`, secrets masked. */
  readonly records: string[];
  /** Every log line so far (`Hostout: Running command …`, the plugin's `ctx.log` lines; `warning: `/`error: `/`debug: ` prefixed). */
  readonly log: string[];
  /** Every step the commands reported with `ctx.report` so far, in order, with the host and the plugin that reported it. */
  readonly reports: ReportedStep[];
  /** Run a command on the host under test (or on `host`), as `hostout HOST COMMAND ARGS…` would. Resolves to its return value. */
  run(command: string, ...args: string[]): Promise<unknown>;
  runOn(host: string, command: string, ...args: string[]): Promise<unknown>;
  /** The host's commands as `hostout HOST` lists them. */
  commands(): CommandListing[];
  /** Forget the records and log lines so far. */
  clear(): void;
  /** Remove the temp buildout directory (when the harness made it). */
  close(): Promise<void>;
}

/** Sections as buildout.cfg text (a multi-line value continued on indented lines). */
function formatConfig(sections: Record<string, Record<string, string>>): string {
  return Object.entries(sections)
    .map(([name, options]) => [`[${name}]`, ...Object.entries(options).map(([k, v]) => `${k} = ${v.split('\n').join('\n    ')}`)].join('\n'))
    .join('\n\n') + '\n';
}

/** The `extends` word for a plugin, registering objects under their name. */
function extendsWord(p: Plugin | string, objects: Record<string, Plugin>): string {
  if (typeof p === 'string') return p;
  if (!p || typeof p !== 'object' || typeof p.name !== 'string' || !p.name) {
    throw new TypeError('loadPluginForTest: a plugin object needs a name (it stands for the name in `extends`)');
  }
  objects[p.name] = p;
  return p.name;
}

/** Load a plugin for one host and get a recorder-backed runner (see the module comment). */
export async function loadPluginForTest(plugin: Plugin | string, opts: PluginTestOptions = {}): Promise<PluginTest> {
  const hostName = opts.host ?? 'site';
  const ownDirectory = !opts.buildoutDirectory;
  const directory = opts.buildoutDirectory ? path.resolve(opts.buildoutDirectory) : mkdtempSync(path.join(os.tmpdir(), 'hostout-plugin-test-'));
  // An empty home of our own: no ~/.ssh/config, known_hosts or agent of the developer's machine is read.
  const home = mkdtempSync(path.join(os.tmpdir(), 'hostout-plugin-test-home-'));
  const sshEnv: SshEnvironment = { home, configPath: path.join(home, '.ssh', 'config'), localUser: opts.localUser ?? 'tester' };

  const objects: Record<string, Plugin> = {};
  const sections: Record<string, Record<string, string>> = {};
  const part = (options: HostOptions | undefined, plugins: (Plugin | string)[]) => {
    const own = { ...options };
    const words = [...plugins.map((p) => extendsWord(p, objects)), ...(own.extends ?? '').split(/\s+/).filter(Boolean)];
    delete own.extends;
    return { recipe: 'collective.hostout', ...own, ...(words.length ? { extends: words.join(' ') } : {}) };
  };
  sections[hostName] = part(opts.options, [plugin, ...(opts.with ?? [])]);
  for (const [name, other] of Object.entries(opts.hosts ?? {})) sections[name] = part(other.options, other.plugins ?? []);
  sections.buildout = { parts: Object.keys(sections).join(' ') };
  const bo = buildoutFromObject(directory, sections);
  // A directory of our own gets the buildout.cfg these sections stand for: a deploy ships it.
  if (ownDirectory) writeFileSync(path.join(directory, 'buildout.cfg'), formatConfig(sections));

  const catalog = hostCatalog(bo, { ssh: sshEnv, plugins: objects });
  const transport = new RecordingTransportFactory({ exists: opts.exists, responses: opts.responses, sshEnv });
  const logger = createRecordingLogger();
  const reports: ReportedStep[] = [];
  const runtime = new Runtime(catalog, {
    transport, log: logger, dryRun: opts.dryRun ?? false, buildoutDirectory: directory, rollback: opts.rollback ?? true, pluginOptions: opts.commandLine,
    report: (host, plugin, step) => reports.push({ host, plugin, ...step }),
  });
  const cleanup = () => {
    rmSync(home, { recursive: true, force: true });
    if (ownDirectory) rmSync(directory, { recursive: true, force: true });
  };
  let host: HostDefinition;
  try {
    host = await catalog.load(hostName);
    await runtime.load([hostName]);
  } catch (err) {
    cleanup();
    throw err;
  }
  // Each run() is a run of its own: what ctx.once made for the previous one is forgotten.
  const runOn = (name: string, command: string, args: string[]) => {
    runtime.startRun();
    return runtime.run(name, command, args);
  };
  return {
    host,
    options: host.options,
    records: transport.records,
    log: logger.lines,
    reports,
    run: (command, ...args) => runOn(hostName, command, args),
    runOn: (name, command, ...args) => runOn(name, command, args),
    commands: () => runtime.commands(hostName),
    clear: () => {
      transport.records.length = 0;
      logger.lines.length = 0;
      reports.length = 0;
    },
    close: async () => {
      await transport.closeAll();
      cleanup();
    },
  };
}
