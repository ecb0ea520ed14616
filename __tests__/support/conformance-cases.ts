/**
 * The conformance corpus in fixtures/buildout/<case>/: reading case.json and
 * expected.json, preparing a case at its fixed path, and translating buildout
 * command-line flags into hostout's. The python side of the same logic is
 * fixtures/buildout/regen.py (prepare(), oracle_args()); keep them in step.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, type RunEnv } from './oracle';

export const CASES_DIR = path.join(REPO_ROOT, 'fixtures', 'buildout');
/** Expectations are generated with each case copied here (fixtures/buildout/regen.py). */
export const EXPECTED_ROOT = '/tmp/hostout-conformance';

/**
 * Where a test run copies the cases: a fresh directory per run, so two runs on
 * one machine never delete each other's files. Cases that name their own
 * absolute path get EXPECTED_ROOT rewritten to it (prepareCase), and outputs
 * get it rewritten back (toExpectedRoot) before comparing.
 */
export function makeRunRoot(): string {
  return fs.mkdtempSync(`${EXPECTED_ROOT}-run-`);
}

/** Our output as if it had run at EXPECTED_ROOT. */
export function toExpectedRoot(text: string, runRoot: string): string {
  return text.split(runRoot).join(EXPECTED_ROOT);
}

export type CompareMode = 'resolve' | 'annotate' | 'query';

export interface CaseSpec {
  description: string;
  source: string;
  /** buildout command-line flags and assignments: -U, -c FILE, -o/-O/-n/-N, -v/-q, section:option=value */
  args: string[];
  compare: CompareMode[];
  annotateSections?: string[];
  query?: string[];
  /** HOME / BUILDOUT_HOME, relative to the case directory. */
  env?: { HOME?: string; BUILDOUT_HOME?: string };
  /** Don't pre-create eggs/ (annotate then prints "Creating directory ..."). */
  fresh?: boolean;
  /** Extra directories to create before running (relative). */
  mkdirs?: string[];
  /** Our own requirements when zc.buildout refuses the configuration. */
  refuse?: { stderrMatches?: string[] };
}

export type Outcome =
  | { status: 0; json?: Record<string, unknown>; stdout?: string }
  | { status: number; error: string };

export interface Expected {
  root: string;
  resolve?: Outcome;
  annotate?: Outcome;
  query?: Array<Outcome & { arg: string }>;
}

export interface ConformanceCase {
  name: string;
  spec: CaseSpec;
  expected: Expected;
}

const CASE_META = new Set(['case.json', 'expected.json']);

export function listCases(): ConformanceCase[] {
  return fs
    .readdirSync(CASES_DIR)
    .filter((n) => fs.existsSync(path.join(CASES_DIR, n, 'case.json')))
    .sort()
    .map((name) => ({
      name,
      spec: JSON.parse(fs.readFileSync(path.join(CASES_DIR, name, 'case.json'), 'utf8')) as CaseSpec,
      expected: JSON.parse(fs.readFileSync(path.join(CASES_DIR, name, 'expected.json'), 'utf8')) as Expected,
    }));
}

function copyRewriting(src: string, dst: string, runRoot: string): void {
  if (fs.statSync(src).isDirectory()) {
    fs.mkdirSync(dst, { recursive: true });
    for (const e of fs.readdirSync(src)) copyRewriting(path.join(src, e), path.join(dst, e), runRoot);
    return;
  }
  const data = fs.readFileSync(src);
  const marker = Buffer.from(`${EXPECTED_ROOT}/`);
  if (data.includes(marker)) fs.writeFileSync(dst, data.toString('utf8').split(`${EXPECTED_ROOT}/`).join(`${runRoot}/`));
  else fs.writeFileSync(dst, data);
}

/** A fresh copy of the case at <runRoot>/<name>; returns the directory and the env to run with. */
export function prepareCase(c: ConformanceCase, runRoot: string): { dir: string; env: RunEnv } {
  const src = path.join(CASES_DIR, c.name);
  const dir = path.join(runRoot, c.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(src)) {
    if (CASE_META.has(entry)) continue;
    copyRewriting(path.join(src, entry), path.join(dir, entry), runRoot);
  }
  const dirs = [...(c.spec.fresh ? [] : ['eggs']), ...(c.spec.mkdirs ?? [])];
  for (const d of dirs) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const env: RunEnv = { HOME: path.join(runRoot, '.empty-home') };
  fs.mkdirSync(env.HOME as string, { recursive: true });
  if (c.spec.env?.HOME) env.HOME = path.join(dir, c.spec.env.HOME);
  if (c.spec.env?.BUILDOUT_HOME) env.BUILDOUT_HOME = path.join(dir, c.spec.env.BUILDOUT_HOME);
  return { dir, env };
}

/**
 * buildout flags → hostout's: -U and -c pass through; -o/-O/-n/-N are the
 * buildout:offline/newest assignments buildout itself appends; -v/-q add up to
 * a buildout:verbosity assignment (only when non-zero, as buildout does).
 */
export function hostoutArgs(args: string[]): string[] {
  const out: string[] = [];
  let verbosity = 0;
  for (const a of args) {
    if (a === '-o') out.push('buildout:offline=true');
    else if (a === '-O') out.push('buildout:offline=false');
    else if (a === '-n') out.push('buildout:newest=true');
    else if (a === '-N') out.push('buildout:newest=false');
    else if (a === '-v') verbosity += 10;
    else if (a === '-q') verbosity -= 10;
    else out.push(a);
  }
  if (verbosity) out.push(`buildout:verbosity=${verbosity}`);
  return out;
}

/** The oracle script has no -v/-q: same translation, other flags unchanged. */
export function oracleArgs(args: string[]): string[] {
  const out: string[] = [];
  let verbosity = 0;
  for (const a of args) {
    if (a === '-v') verbosity += 10;
    else if (a === '-q') verbosity -= 10;
    else out.push(a);
  }
  if (verbosity) out.push(`buildout:verbosity=${verbosity}`);
  return out;
}
