/**
 * The hostout command line grammar, in two steps (docs/cli.md states the rules).
 *
 *   hostout [options] [section:option=value...] HOST [HOST...|all] COMMAND [COMMAND...] [--] [ARG...]
 *
 * `scanArgv` takes hostout's options out of argv and leaves every other word,
 * in order and unchanged: a long option (`--dry-run`) is hostout's anywhere
 * before `--`; a short one (`-v`) only before the first command word, so
 * `run grep -v foo log` gives grep its `-v`. Where the hosts end depends on the
 * configuration, so the scan takes `isHost`; main.ts scans again once the
 * hosts are known. `splitPositionals` then applies the original's algorithm
 * (hosts, greedy command names, the arguments) and honours `--`.
 *
 * Why not a generic parser alone: they take options out of the arguments meant
 * for remote commands, which is exactly what must never happen here. yargs
 * (option-layer.ts) types the option words this scan took, and nothing else.
 */
import { UsageError } from '../errors';
import { shellQuote } from '../transport/quote';
import {
  OPTIONS, SAFETY_OPTIONS, optionByName, optionByShort, pluginOptionValues, typeOptions,
  type OptionSpec, type ParsedOptions, type TakenOption,
} from './options';
import { nearest } from '../suggest';

export interface ScannedArgv {
  options: ParsedOptions;
  /** The plugins' options given (Plugin.options), by name: the value as typed, or true for a flag. */
  pluginOptions: Record<string, string | true>;
  /** `section:option=value` words given before the first host. */
  assignments: string[];
  /** Everything else, in order: hosts, commands, arguments; the first `--` stays in, at `dashDash`. */
  positional: string[];
  /** Index in `positional` of the first `--`, the end of option parsing and command matching. */
  dashDash?: number;
  /**
   * A dash word after the first positional word was kept as an argument, and
   * would be hostout's if the words before it were hosts: scan again with the hosts.
   */
  hostDependent: boolean;
  /**
   * A refusal found while the hosts were unknown (a near miss of an option after
   * a word that may be a host). main.ts scans again with the hosts, which throws
   * the precise error, or throws this one when no hosts are loaded.
   */
  deferred?: UsageError;
  /**
   * With `lenient`: the first long option before the command word that is not
   * hostout's, refused as such. It may be an option of the selected hosts'
   * plugins, known once they are loaded: main.ts scans again with their rows.
   */
  unknownOption?: UsageError;
}

/** What a scan knows besides argv: which words are hosts, and the options of the selected hosts' plugins. */
export interface ScanContext {
  /** Whether a word is a host of the configuration (unknown: the first scan). */
  isHost?: (word: string) => boolean;
  /** The option rows of the plugins of the selected hosts (Plugin.options). */
  rows?: readonly OptionSpec[];
  /**
   * Keep an unknown long option before the command word (as `unknownOption`)
   * instead of throwing: the scan that finds the hosts, before their plugins
   * are loaded. With `isHost`, a word after it that is no host, option or
   * assignment is taken as its value, so the hosts after it are still found.
   */
  lenient?: boolean;
}

/**
 * A `section:option=value` command-line assignment (or `option=value`, for
 * [buildout]). Like zc.buildout's main(), ANY word with an `=` before the first
 * positional word is one; the config engine validates it.
 */
const isAssignment = (word: string): boolean => word.includes('=');

/** A leading `-`, or a typographic dash a word processor put there (`—dry-run`). */
const DASHES = /^[-\u2010-\u2015\u2212]+/;

/** The option name a dash word might have meant: no dashes, no `=value`, lower case, `_` as `-`. */
function optionCore(word: string): string {
  return word.replace(DASHES, '').split('=')[0].toLowerCase().replace(/_/g, '-');
}

/** The option a long dash word nearly names (`--dryrun`, `--verbos`, `--conf`), if any. */
export function nearOption(word: string, among: readonly OptionSpec[] = OPTIONS): OptionSpec | undefined {
  const core = optionCore(word);
  if (core.length < 2) return undefined;
  const exact = among.find((o) => o.name === core);
  if (exact) return exact;
  const name = nearest(core, among.map((o) => o.name), { prefix: true });
  return name === undefined ? undefined : among.find((o) => o.name === name);
}

/**
 * The safety option (--dry-run, --offline) a word might have meant, written
 * with one dash, two, or a typographic dash. A short word never counts: `-n`
 * and `-d` are everyday options of other tools.
 */
function nearSafetyOption(word: string): OptionSpec | undefined {
  if (!DASHES.test(word) || word === '--') return undefined;
  const core = optionCore(word);
  if (core.length < 5) return undefined;
  const exact = SAFETY_OPTIONS.find((o) => o.name === core);
  if (exact) return exact;
  const name = nearest(core, SAFETY_OPTIONS.map((o) => o.name));
  return name === undefined ? undefined : optionByName(name);
}

/** A command line as people type it: words quoted only when the shell needs it. */
function commandLine(words: readonly string[]): string {
  return ['hostout', ...words].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : shellQuote(w))).join(' ');
}

type Phase = 'front' | 'hosts' | 'command' | 'verbatim';

/**
 * Take hostout's options out of argv (see the module comment). Throws
 * UsageError (exit 2) for an unknown option before the first command word, a
 * near miss of one of hostout's long options after it, and a safety option
 * after `--` (unless --literal).
 */
export function scanArgv(argv: readonly string[], context: ScanContext | ((word: string) => boolean) = {}): ScannedArgv {
  const { isHost, rows = [], lenient = false } = typeof context === 'function' ? { isHost: context } : context;
  const all = rows.length ? [...OPTIONS, ...rows] : OPTIONS;
  const byName = (name: string) => optionByName(name) ?? rows.find((o) => o.name === name);
  const taken: TakenOption[] = [];
  const out: Omit<ScannedArgv, 'options' | 'pluginOptions'> = { assignments: [], positional: [], hostDependent: false };
  let phase: Phase = 'front';
  /** Index in argv of the first command word (where `--` would go to hand words to the command). */
  let commandAt = -1;
  const afterDashDash: { word: string; at: number; spec: OptionSpec }[] = [];

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (phase === 'verbatim') {
      const spec = nearSafetyOption(word);
      if (spec) afterDashDash.push({ word, at: i, spec });
      out.positional.push(word);
      continue;
    }
    if (word === '--') {
      out.dashDash = out.positional.length;
      out.positional.push(word);
      phase = 'verbatim';
      continue;
    }
    const ourPart = phase === 'front' || phase === 'hosts';
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const spec = byName(eq >= 0 ? word.slice(2, eq) : word.slice(2));
      if (spec) {
        i = takeOption(argv, i, spec, eq >= 0 ? word.slice(eq + 1) : undefined, taken);
        continue;
      }
      const near = nearOption(word, all);
      if (ourPart && lenient) {
        out.unknownOption ??= noSuchOption(word, near);
        out.hostDependent = true;
        const next = argv[i + 1];
        if (isHost && eq < 0 && next !== undefined && !next.startsWith('-') && !isAssignment(next) && next !== 'all' && !isHost(next)) i++;
        continue;
      }
      if (ourPart) throw noSuchOption(word, near);
      if (near) {
        const err = nearMissAfterCommand(argv, i, commandAt, near);
        if (isHost) throw err;
        out.deferred ??= err;
      }
      out.positional.push(word);
      out.hostDependent = true;
      continue;
    }
    if (word.length > 1 && DASHES.test(word)) {
      if (ourPart && word.startsWith('-')) {
        i = takeShortOptions(argv, i, taken, all);
        continue;
      }
      const safety = nearSafetyOption(word);
      if (safety) {
        if (ourPart) throw noSuchOption(word, safety);
        const err = nearMissAfterCommand(argv, i, commandAt, safety);
        if (isHost) throw err;
        out.deferred ??= err;
        out.hostDependent = true;
      }
      out.positional.push(word);
      out.hostDependent ||= word.startsWith('-');
      continue;
    }
    if (phase === 'front' && isAssignment(word)) {
      out.assignments.push(word);
      continue;
    }
    out.positional.push(word);
    if (ourPart) {
      if (word === 'all' || isHost?.(word)) phase = 'hosts';
      else { phase = 'command'; commandAt = i; }
    }
  }
  if (afterDashDash.length > 0 && !taken.some((t) => t.spec.name === 'literal')) throw safetyAfterDashDash(argv, afterDashDash[0]);
  return { options: typeOptions(taken), pluginOptions: pluginOptionValues(taken), ...out };
}

/** `no such option: --verbsoe`, with the nearest option as the did-you-mean and a pointer to --help. */
function noSuchOption(word: string, near: OptionSpec | undefined, within?: string): UsageError {
  return new UsageError(`no such option: ${word}${within ? ` (in ${within})` : ''}`, {
    suggestHelp: true, didYouMean: near ? `--${near.name}` : undefined,
  });
}

/** One option of ours at argv[i] (its value inline or in the next word); returns the index of the last word used. */
function takeOption(argv: readonly string[], i: number, spec: OptionSpec, inline: string | undefined, taken: TakenOption[]): number {
  if (spec.type === 'value') {
    const value = inline ?? argv[i + 1];
    if (value === undefined) throw new UsageError(`option --${spec.name} needs a value: --${spec.name} ${spec.placeholder}`, { suggestHelp: true });
    if (spec.numeric && !/^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value)) {
      throw new UsageError(`option --${spec.name} needs a number (${spec.placeholder}), not '${value}'`, { suggestHelp: true });
    }
    taken.push({ spec, value });
    return inline === undefined ? i + 1 : i;
  }
  if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`, { suggestHelp: true });
  taken.push({ spec });
  return i;
}

/** A short-option word (`-v`, `-qU`, `-cFILE`, `-c FILE`), optparse style; returns the index of the last word used. */
function takeShortOptions(argv: readonly string[], i: number, taken: TakenOption[], among: readonly OptionSpec[]): number {
  const word = argv[i];
  for (let k = 1; k < word.length; k++) {
    const spec = optionByShort(word[k]);
    if (!spec) {
      const near = word.length > 2 ? nearOption(word, among) : undefined;
      throw noSuchOption(`-${word[k]}`, near, word.length > 2 ? word : undefined);
    }
    if (spec.type === 'value') return takeOption(argv, i, spec, k + 1 < word.length ? word.slice(k + 1) : undefined, taken);
    taken.push({ spec });
  }
  return i;
}

/** A message and its two remedies, the command lines aligned. */
function refusal(reason: string, remedies: [label: string, words: readonly string[]][]): UsageError {
  const width = Math.max(...remedies.map(([label]) => label.length)) + 1;
  return new UsageError([reason, ...remedies.map(([label, words]) => `  ${`${label}:`.padEnd(width)} ${commandLine(words)}`)].join('\n'));
}

/** `--dryrun` after the command word: refused, with both ways to write what was meant. */
function nearMissAfterCommand(argv: readonly string[], at: number, commandAt: number, near: OptionSpec): UsageError {
  const word = argv[at];
  const asOption = [...argv.slice(0, at), `--${near.name}`, ...argv.slice(at + 1)];
  // Handing the word on: `--` after the command word, and --literal when the word reads like a safety option.
  const c = commandAt >= 0 ? commandAt + 1 : at;
  const literal = near.safety ? ['--literal'] : [];
  const asArgument = [...argv.slice(0, c), ...literal, '--', ...argv.slice(c)];
  return refusal(`${word} is not an option of hostout's; after the command word it would be the command's argument. Refusing to guess:`, [
    [`for hostout's --${near.name}`, asOption],
    [`to give ${word} to the command`, asArgument],
  ]);
}

/** `-- … --dry-run`: the run would be real and the command would get the word. Refused, with both spellings. */
function safetyAfterDashDash(argv: readonly string[], hit: { word: string; at: number; spec: OptionSpec }): UsageError {
  const dd = argv.indexOf('--');
  const before = [...argv.slice(0, dd), `--${hit.spec.name}`, ...argv.slice(dd, hit.at), ...argv.slice(hit.at + 1)];
  const literal = [...argv.slice(0, dd), '--literal', ...argv.slice(dd)];
  return refusal(`${hit.word} comes after --, so the command would get it and the run would be real. Refusing:`, [
    [`for hostout's --${hit.spec.name}, put it before --`, before],
    [`to give ${hit.word} to the command, add --literal`, literal],
  ]);
}

export interface SplitCommandLine {
  hosts: string[];
  commands: string[];
  args: string[];
}

/**
 * The original's algorithm: hosts first (`all` = every host, in `parts`
 * order), then command names, greedily, from the union of the selected hosts'
 * commands, then the arguments. `--` ends the matching; directly after the last
 * command it is dropped (the original's optparse dropped it), anywhere later it
 * is an argument like any other. A host is run once even when named twice or
 * also covered by `all`, and `all` keeps the hosts named before it.
 */
export function splitPositionals(
  positional: readonly string[],
  allHosts: readonly string[],
  commandsOf: (hosts: string[]) => ReadonlySet<string>,
  dashDash?: number,
): SplitCommandLine {
  // A `--` before the first host only ends hostout's options (`hostout -c x.cfg -- web run -v`,
  // as optparse allowed): hosts and commands are still matched after it.
  if (dashDash === 0) return splitPositionals(positional.slice(1), allHosts, commandsOf);
  const end = dashDash ?? positional.length;
  const hosts: string[] = [];
  let i = 0;
  for (; i < end; i++) {
    const word = positional[i];
    if (allHosts.includes(word)) { if (!hosts.includes(word)) hosts.push(word); continue; }
    if (word === 'all') { for (const h of allHosts) if (!hosts.includes(h)) hosts.push(h); continue; }
    break;
  }
  const commands: string[] = [];
  const known = hosts.length ? commandsOf(hosts) : new Set<string>();
  for (; i < end && hosts.length; i++) {
    if (!known.has(positional[i])) break;
    commands.push(positional[i]);
  }
  if (i === dashDash && commands.length > 0) i++;
  return { hosts, commands, args: positional.slice(i) };
}
