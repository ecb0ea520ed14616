/**
 * Tests leave nothing behind in /tmp: the suite's globalSetup (`setup`) and
 * globalTeardown (`teardown`), for both jest projects (jest.config.js).
 *
 * How a leftover is told from what other processes make (another test run, an
 * editor, apt…), which cannot be known from a name alone:
 *
 * 1. The suite runs with a temp directory of its own: `setup` creates
 *    `/tmp/hostout-suite-XXXXXX` (mode 1777, like /tmp: test users write there
 *    too) and points TMPDIR at it before jest starts its workers, so every
 *    `os.tmpdir()` of a test, of the programs it starts (hostout, rsync, python,
 *    git) and of the sshd sessions the fixtures start (their sshd_config sets
 *    TMPDIR) lands there. Whatever is still in it at the end is this run's and
 *    fails the run, named; then it is removed.
 * 2. Some paths are /tmp itself on purpose or by nature (a test writing
 *    `/tmp/x` on a "remote" host, production's namespace, `sudo` dropping
 *    TMPDIR). Entries that appear directly in /tmp during the run and bear a
 *    name this suite uses (LEFTOVER_NAMES) fail the run too, unless another
 *    jest process was running at the start or the end of the run: then they may
 *    be that run's, and are only reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const TMP = '/tmp';
const SUITE_PREFIX = 'hostout-suite-';

/** Names this suite gives what it puts directly in /tmp. */
export const LEFTOVER_NAMES = /^(hostout[- ]|pd-|mh-e2e-|reader-)|---supervisor-.*\.log$/;
/** Kept on purpose: the lock that serialises creating the test users (fixtures/servers/users.ts), shared by every run. */
const KEPT = new Set(['hostout-test-users.lock']);

interface GuardState {
  suiteTmp: string;
  before: Set<string>;
  othersAtStart: number[];
}

const STATE = Symbol.for('hostout.tmp-guard');
type WithState = typeof globalThis & { [STATE]?: GuardState };

/** Our own process and the processes it started (jest's workers, their children). */
function ownProcesses(): Set<number> {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // the command name (field 2) may hold spaces and parentheses: the fields after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const own = new Set<number>([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!own.has(pid) && own.has(ppid)) {
        own.add(pid);
        grew = true;
      }
    }
  }
  // the npm/npx that started us
  own.add(process.ppid);
  return own;
}

/** Other jest runs on this machine right now (their main processes and workers). */
export function otherJestProcesses(): number[] {
  const own = ownProcesses();
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || own.has(Number(name))) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => /(^|\/)jest(-cli)?(\/|$)|jest-worker|\/jest\.js$/.test(a))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** The entries of `dir` (names), or none when it is gone. */
function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** What the run left: in its own temp dir (`own`), and directly in /tmp (`direct`). */
export function leftovers(state: GuardState): { own: string[]; direct: string[] } {
  const own = entries(state.suiteTmp).map((n) => path.join(state.suiteTmp, n));
  const direct = entries(TMP)
    .filter((n) => !state.before.has(n) && !KEPT.has(n) && !n.startsWith(SUITE_PREFIX) && LEFTOVER_NAMES.test(n))
    .map((n) => path.join(TMP, n));
  return { own: own.sort(), direct: direct.sort() };
}

export async function setup(): Promise<void> {
  const suiteTmp = fs.mkdtempSync(path.join(TMP, SUITE_PREFIX));
  fs.chmodSync(suiteTmp, 0o1777);
  (globalThis as WithState)[STATE] = { suiteTmp, before: new Set(entries(TMP)), othersAtStart: otherJestProcesses() };
  process.env.TMPDIR = suiteTmp;
}

export async function teardown(): Promise<void> {
  const state = (globalThis as WithState)[STATE];
  if (!state) return;
  const { own, direct } = leftovers(state);
  const others = [...state.othersAtStart, ...otherJestProcesses()];
  fs.rmSync(state.suiteTmp, { recursive: true, force: true });
  const failures: string[] = [];
  if (own.length) failures.push(`the tests left these in their temp directory (TMPDIR=${state.suiteTmp}, now removed):\n${own.map((p) => `  ${p}`).join('\n')}`);
  if (direct.length) {
    const list = direct.map((p) => `  ${p}`).join('\n');
    if (others.length) {
      process.stderr.write(`\nhostout test suite: these appeared in /tmp during the run; other jest processes ran meanwhile (pids ${[...new Set(others)].join(' ')}), so they may be theirs:\n${list}\n`);
    } else {
      failures.push(`the tests left these in /tmp:\n${list}`);
    }
  }
  if (failures.length) throw new Error(`${failures.join('\n')}\nEvery test removes what it makes (README.md, "Run the tests").`);
}
