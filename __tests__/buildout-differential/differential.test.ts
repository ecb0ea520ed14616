/**
 * Differential test: a few hundred random configurations from the seeded
 * generator (fixtures/buildout-gen/generate.ts) resolved by the real
 * zc.buildout 2.13.2 (one batched oracle process) and by our engine, which
 * must give identical values, identical "__errors__" (keys and zc.buildout's
 * messages), or refuse exactly when zc.buildout refuses (then, for a
 * zc.buildout UserError, with its message). Our side runs in-process through
 * loadBuildout() for all seeds, and through the real `hostout` process
 * (--resolve and --annotate) for every 6th seed.
 *
 * Seeds are a fixed list (CI must be deterministic). To explore more locally:
 *   HOSTOUT_DIFF_SEEDS=5000-5999 npx jest __tests__/buildout-differential
 * A failure names its seed; the project is printed in the message.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateProject, type GeneratedProject } from '../../fixtures/buildout-gen/generate';
import { loadEngine } from '../support/engine';
import { OracleBatch, emptyHome, errorTail, hasStackTrace, requireOracle, runHostout, type OracleResult } from '../support/oracle';
import { dropCreatingDirectory, firstDifference, showProject, withDirPlaceholder, writeProject } from '../support/project';

function seedList(): number[] {
  const spec = process.env.HOSTOUT_DIFF_SEEDS;
  if (spec) {
    const [lo, hi] = spec.split('-').map(Number);
    return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
  }
  return Array.from({ length: 300 }, (_, i) => 1 + i);
}

const seeds = seedList();
const haveOracle = requireOracle();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-diff-'));
const projects = new Map<number, GeneratedProject>();
const oracle = new Map<number, OracleResult>();
const oracleAnnotate = new Map<number, OracleResult>();
const PROCESS_EVERY = 6;
const { engine, errors } = loadEngine();

function projectDir(seed: number, variant = 'engine'): string {
  return path.join(root, `${seed}-${variant}`);
}

beforeAll(async () => {
  if (!haveOracle) return;
  const batch = new OracleBatch();
  try {
    const pending: Array<Promise<void>> = [];
    for (const seed of seeds) {
      const p = generateProject(seed);
      projects.set(seed, p);
      for (const variant of ['oracle', 'engine', 'process', 'oracle-annotate']) writeProject(projectDir(seed, variant), p.files);
      pending.push(
        batch.request({ dir: projectDir(seed, 'oracle'), mode: 'resolve', args: ['-U', ...p.assignments] }, 120000).then((r) => {
          oracle.set(seed, r);
        }),
      );
      if (seed % PROCESS_EVERY === 0) {
        pending.push(
          batch
            .request({ dir: projectDir(seed, 'oracle-annotate'), mode: 'annotate', args: ['-U', ...p.assignments, 'annotate'] }, 120000)
            .then((r) => {
              oracleAnnotate.set(seed, r);
            }),
        );
      }
    }
    await Promise.all(pending);
  } finally {
    await batch.close();
  }
}, 240000);

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

(haveOracle ? describe : describe.skip)('random configurations: hostout == zc.buildout 2.13.2', () => {
  test.each(seeds)('seed %i (in-process loadBuildout)', async (seed) => {
    const p = projects.get(seed) as GeneratedProject;
    const want = oracle.get(seed) as OracleResult;
    const where = `seed ${seed}\n${showProject(p.files, p.assignments)}`;
    let got: { values: Record<string, Record<string, string>>; errors: Record<string, string> } | undefined;
    let refusal: unknown;
    try {
      const bo = await engine.loadBuildout({ cwd: projectDir(seed), userDefaults: false, assignments: p.assignments, env: { HOME: emptyHome() } });
      got = bo.resolveAll();
    } catch (err) {
      refusal = err;
    }
    if (want.status !== 0) {
      const tail = errorTail(want.stderr);
      if (refusal === undefined) throw new Error(`zc.buildout refused (${tail}) but hostout loaded it\n${where}`);
      if (!(refusal instanceof errors.HostoutError)) throw new Error(`hostout crashed instead of a ConfigError: ${String((refusal as Error).stack ?? refusal)}\n${where}`);
      if (tail.startsWith('Error: ')) {
        const message = tail.slice('Error: '.length).split(projectDir(seed, 'oracle')).join(projectDir(seed));
        if (!refusal.message.includes(message)) {
          throw new Error(`refusal message differs\n  zc.buildout: ${message}\n  hostout:     ${refusal.message}\n${where}`);
        }
      }
      return;
    }
    if (refusal !== undefined) throw new Error(`hostout refused: ${String((refusal as Error).message ?? refusal)}\nbut zc.buildout resolved it\n${where}`);
    let ours: Record<string, unknown> = { ...(got as { values: Record<string, unknown> }).values };
    if (Object.keys((got as { errors: Record<string, string> }).errors).length) ours.__errors__ = (got as { errors: Record<string, string> }).errors;
    ours = withDirPlaceholder(ours, projectDir(seed));
    const theirs = withDirPlaceholder(want.json as Record<string, unknown>, projectDir(seed, 'oracle'));
    const diff = firstDifference(theirs, ours);
    if (diff) throw new Error(`${diff}\n${where}`);
    expect(ours).toEqual(theirs);
  });

  const processSeeds = seeds.filter((s) => s % PROCESS_EVERY === 0);
  test.each(processSeeds)('seed %i (hostout process: --resolve and --annotate)', async (seed) => {
    const p = projects.get(seed) as GeneratedProject;
    const where = `seed ${seed}\n${showProject(p.files, p.assignments)}`;
    const want = oracle.get(seed) as OracleResult;
    const r = await runHostout(projectDir(seed, 'process'), ['-U', ...p.assignments, '--resolve']);
    if (hasStackTrace(r.stderr)) throw new Error(`stack trace on stderr:\n${r.stderr}\n${where}`);
    if (want.status !== 0) {
      if (r.status !== 2) throw new Error(`zc.buildout refused (${errorTail(want.stderr)}); hostout exit ${r.status}\n${where}`);
    } else {
      const theirs = withDirPlaceholder(want.json as Record<string, unknown>, projectDir(seed, 'oracle'));
      let ours: Record<string, unknown>;
      try {
        ours = withDirPlaceholder(JSON.parse(r.stdout) as Record<string, unknown>, projectDir(seed, 'process'));
      } catch {
        throw new Error(`--resolve printed no JSON (exit ${r.status}): ${r.stderr}\n${where}`);
      }
      const diff = firstDifference(theirs, ours);
      if (diff) throw new Error(`${diff}\n${where}`);
      expect(r.status === 0).toBe(!('__errors__' in theirs));
    }
    const wantA = oracleAnnotate.get(seed) as OracleResult;
    const a = await runHostout(projectDir(seed, 'process'), ['-U', ...p.assignments, '--annotate']);
    if (wantA.status !== 0) {
      if (a.status !== 2 || hasStackTrace(a.stderr)) throw new Error(`annotate: zc.buildout refused (${errorTail(wantA.stderr)}); hostout exit ${a.status}: ${a.stderr}\n${where}`);
      return;
    }
    const mine = dropCreatingDirectory(a.stdout).split(projectDir(seed, 'process')).join('<DIR>');
    const theirsA = dropCreatingDirectory(wantA.stdout).split(projectDir(seed, 'oracle-annotate')).join('<DIR>');
    expect({ seed, exit: a.status, annotate: mine }).toEqual({ seed, exit: 0, annotate: theirsA });
  });
});
