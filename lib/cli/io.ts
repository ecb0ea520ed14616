/**
 * The CLI's world: where output goes, where it runs, its environment and its
 * command line. main() takes one, so the whole CLI runs in-process in tests
 * (no chdir, no stdout spies) as it runs for a person.
 *
 * Colour is decided here, once, as the npm ecosystem expects: `NO_COLOR`
 * (set and not empty) turns it off; else `FORCE_COLOR` turns it on (off when
 * `0` or `false`); else colour on a terminal (not TERM=dumb), none in a pipe.
 * NO_COLOR wins over FORCE_COLOR, as in colorette (which draws listr2's symbols),
 * so hostout's words and listr2's agree.
 */
import { isatty } from 'node:tty';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The command line as typed (without node and the script), for the run log. Default: main()'s argv. */
  argv?: readonly string[];
  /** Whether stdout is a terminal (a person watches): listr2 draws there. Default: false. */
  isTTY?: boolean;
  /** Colour the output. Default: colourWanted(env, isTTY). */
  colour?: boolean;
  /** The terminal's width in columns (`--help` wraps to it, 100 at most). Default: none (100). */
  columns?: number;
  /** A person can answer a prompt (a sudo password, a key's passphrase): stdin a terminal, CI unset. Default: false. */
  interactive?: boolean;
}

/** A CliIo with every field given but the terminal's width. */
export type ResolvedIo = Required<Omit<CliIo, 'columns'>> & Pick<CliIo, 'columns'>;

/** The process's own io. */
export function processIo(): CliIo {
  const isTTY = !!process.stdout.isTTY;
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    isTTY,
    colour: colourWanted(process.env, isTTY),
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    // isatty(0), not process.stdin.isTTY: that would open stdin's stream on every run.
    interactive: interactiveWanted(isatty(0), process.env),
  };
}

/** Whether to ask a person (a terminal on stdin, and not CI, where nobody answers). */
export function interactiveWanted(stdinIsTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return stdinIsTTY && !env.CI;
}

/** The one decision about colour (see the module comment). */
export function colourWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR.toLowerCase());
  return isTTY && env.TERM !== 'dumb';
}

export function resolveIo(io: CliIo): ResolvedIo {
  const isTTY = io.isTTY ?? false;
  return { ...io, argv: io.argv ?? [], isTTY, colour: io.colour ?? colourWanted(io.env, isTTY), interactive: io.interactive ?? false };
}

/** The styles of hostout's words; each is the identity without colour. */
export interface Paint {
  host(text: string): string;
  ok(text: string): string;
  failed(text: string): string;
  warning(text: string): string;
  error(text: string): string;
  /** Secondary text (not started, skipped). */
  dim(text: string): string;
  /** A banner. */
  strong(text: string): string;
}

const plain = (t: string) => t;
export const NO_PAINT: Paint = { host: plain, ok: plain, failed: plain, warning: plain, error: plain, dim: plain, strong: plain };

/**
 * ANSI SGR codes, each closed by its own reset (so styles nest). Written out:
 * Node's util.styleText is missing before 20.12 (engines allow 20.5) and from
 * 22.13 second-guesses the decision above; a dependency for six codes is not worth it.
 */
const sgr = (open: number, close: number) => (t: string) => `\x1b[${open}m${t}\x1b[${close}m`;

export function paint(colour: boolean): Paint {
  if (!colour) return NO_PAINT;
  const bold = sgr(1, 22);
  const yellow = sgr(33, 39);
  return {
    host: sgr(36, 39),
    ok: sgr(32, 39),
    failed: sgr(31, 39),
    warning: yellow,
    error: sgr(31, 39),
    dim: sgr(90, 39),
    strong: (t) => bold(yellow(t)),
  };
}
