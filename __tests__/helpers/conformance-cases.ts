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
/** Expectations are generated with each case copied here; the test runs ours at the same path. */
export const CONFORMANCE_ROOT = '/tmp/hostout-conformance';

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

/** A fresh copy of the case at CONFORMANCE_ROOT/<name>; returns the directory and the env to run with. */
export function prepareCase(c: ConformanceCase): { dir: string; env: RunEnv } {
  const src = path.join(CASES_DIR, c.name);
  const dir = path.join(CONFORMANCE_ROOT, c.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(src)) {
    if (CASE_META.has(entry)) continue;
    fs.cpSync(path.join(src, entry), path.join(dir, entry), { recursive: true });
  }
  const dirs = [...(c.spec.fresh ? [] : ['eggs']), ...(c.spec.mkdirs ?? [])];
  for (const d of dirs) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const env: RunEnv = { HOME: path.join(CONFORMANCE_ROOT, '.empty-home') };
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
