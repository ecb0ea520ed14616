/**
 * The config-engine modes of the CLI: `--resolve` (JSON of every resolved
 * value), `--annotate [SECTION…]` and `--query SECTION:OPTION`, printing
 * exactly what zc.buildout 2.13's `annotate` and `query` print (docs/buildout-compat.md).
 */
import { ConfigError, EXIT, HostoutError } from '../errors';
import type { ResolveProblem } from '../buildout/buildout';
import { loadBuildout, type LoadedBuildout } from '../buildout';
import { pySortInPlace } from '../buildout/pywhitespace';
import type { ConfigModeName } from './options';

export interface BuildoutModeArgs {
  config?: string;
  userDefaults: boolean;
  assignments: string[];
  positional: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Where a mode writes (main.ts's CliIo, through the output mask): text as is, lines end in \n. */
export interface ModeOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The options of lib/cli/options.ts marked configMode. */
export type BuildoutMode = ConfigModeName;

/** Python's json.dump(indent=2, ensure_ascii=False) output for string-only nested objects. */
export function formatResolveJson(
  values: Record<string, Record<string, string>>,
  errors: Record<string, string>,
): string {
  // Written out directly (same bytes as JSON.stringify(sorted, null, 2)):
  // rebuilding sorted objects first cost more than resolving large configs.
  // One string is appended to (V8 keeps the pieces as a rope and flattens it
  // once): no arrays of lines to map and join (saved ~0.4 MB at 1x).
  const names = pySortInPlace(Object.keys(values));
  const hasErrors = Object.keys(errors).length > 0;
  if (!names.length && !hasErrors) return '{}\n';
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    out += (i ? ',\n  ' : '\n  ') + jsonString(names[i]) + ': ' + jsonObject(values[names[i]]);
  }
  if (hasErrors) out += (names.length ? ',\n  ' : '\n  ') + '"__errors__": ' + jsonObject(errors);
  return out + '\n}\n';
}

/** One section's object, at the second level of indentation. */
function jsonObject(record: Record<string, string>): string {
  const keys = pySortInPlace(Object.keys(record));
  if (!keys.length) return '{}';
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    out += (i ? ',\n    ' : '\n    ') + jsonString(keys[i]) + ': ' + jsonString(record[keys[i]]);
  }
  return out + '\n  }';
}

/** Characters JSON.stringify escapes (lone surrogates included). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(s), without a call into it for the usual string that needs no escape. */
function jsonString(s: string): string {
  return JSON_ESCAPED.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** The most distinct problems `--resolve` describes on stderr; the JSON's `__errors__` has every one. */
export const MAX_PROBLEMS_SHOWN = 5;
/** The most section names one problem line lists. */
const MAX_KEYS_PER_PROBLEM = 3;

/**
 * `--resolve`'s problems for people: one line per distinct problem (a chain of
 * sections that all fail on the same missing section is one problem, naming a
 * few of them), and at most MAX_PROBLEMS_SHOWN of those, then how many more.
 */
export function problemLines(problems: readonly ResolveProblem[]): string[] {
  const byDetail = new Map<string, string[]>();
  for (const p of problems) {
    const detail = p.detail.replace(/\s+$/, '');
    const keys = byDetail.get(detail);
    if (keys) keys.push(p.key);
    else byDetail.set(detail, [p.key]);
  }
  const lines: string[] = [];
  for (const [detail, keys] of byDetail) {
    if (lines.length === MAX_PROBLEMS_SHOWN) break;
    const also = keys.slice(1, MAX_KEYS_PER_PROBLEM).map((k) => `[${k}]`).join(', ');
    const more = keys.length > MAX_KEYS_PER_PROBLEM ? ` and ${keys.length - MAX_KEYS_PER_PROBLEM} more` : '';
    lines.push(`hostout: [${keys[0]}] ${detail}${also ? ` (also ${also}${more})` : ''}`);
  }
  if (byDetail.size > MAX_PROBLEMS_SHOWN) {
    const rest = byDetail.size - MAX_PROBLEMS_SHOWN;
    lines.push(`hostout: … and ${rest} more problem${rest === 1 ? '' : 's'} (${problems.length} values in all; the JSON's "__errors__" lists each)`);
  }
  return lines;
}

/** buildout creates its cache/eggs directories for every command and says so on stdout. */
function creationLog(buildout: LoadedBuildout): string {
  return buildout
    .createStandardDirectories()
    .map((l) => l + '\n')
    .join('');
}

async function runMode(mode: BuildoutMode, args: BuildoutModeArgs, out: ModeOutput): Promise<number> {
  const buildout = (await loadBuildout({
    config: args.config,
    cwd: args.cwd,
    env: args.env,
    userDefaults: args.userDefaults,
    assignments: args.assignments,
  })) as LoadedBuildout;
  switch (mode) {
    case 'resolve': {
      const { values, problems } = buildout.resolveAllDetailed();
      const errors: Record<string, string> = {};
      for (const p of problems) errors[p.key] = p.message;
      out.stdout(formatResolveJson(values, errors));
      for (const line of problemLines(problems)) out.stderr(line + '\n');
      // A value that cannot be resolved is a configuration error, as for every host command.
      return problems.length ? EXIT.usage : EXIT.ok;
    }
    case 'annotate':
      out.stdout(creationLog(buildout) + buildout.annotate(args.positional));
      return 0;
    case 'query':
      // Only the value: zc.buildout creates its eggs/develop-eggs/… directories first and says so,
      // but a question creates nothing here (hostout installs no eggs), so a script can read the answer.
      if (args.positional.length !== 1) throw new ConfigError('The query command requires a single argument.');
      out.stdout(buildout.query(args.positional[0]) + '\n');
      return 0;
  }
}

/** Run one mode; prints to stdout, returns the exit status (2 for config/usage errors). */
export async function runBuildoutMode(mode: BuildoutMode, args: BuildoutModeArgs, out: ModeOutput): Promise<number> {
  try {
    return await runMode(mode, args, out);
  } catch (err) {
    if (err instanceof HostoutError) {
      out.stderr(`hostout: ${err.message.replace(/\s+$/, '')}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
