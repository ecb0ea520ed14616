/**
 * Benchmark: resolving a large buildout configuration with `hostout --resolve`
 * versus the real zc.buildout 2.13.2 (fixtures/buildout-oracle.py), each as a
 * whole process, several runs, median wall time. Prints both times, their
 * ratio, and the same for 1×, 4× and 16× the size to show how time grows.
 * Not a test: it asserts nothing about time (it does check both sides print
 * the same values, so the comparison is fair).
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/buildout/run.js [--runs N] [--scales 1,4,16]
 *
 * Size at 1×: 30 files (nested directories, an extends tree with diamonds),
 * 300 sections in macro chains 20 deep (`<=`), each option a substitution
 * chain 20 deep across sections, `+=`/`-=` across files.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const HOSTOUT = path.join(REPO, 'bin', 'hostout.js');
const ORACLE = path.join(REPO, 'fixtures', 'buildout-oracle.py');
const PYTHON = '/usr/bin/python3';
const CHAIN = 20;

export interface BenchProject {
  files: Record<string, string>;
  sections: number;
}

/** A deterministic project of 30×scale files and 300×scale sections. */
export function benchProject(scale: number): BenchProject {
  const nFiles = 30 * scale;
  const nSections = 300 * scale;
  const fileName = (i: number): string => (i === 0 ? 'buildout.cfg' : `${['conf', 'conf/sub', 'shared', 'conf/sub/deep'][i % 4]}/f${i}.cfg`);
  const rel = (from: number, to: number): string => {
    const fromDir = path.posix.dirname(fileName(from));
    return path.posix.relative(fromDir, fileName(to)) || fileName(to);
  };
  const bodies: string[][] = Array.from({ length: nFiles }, () => []);
  // extends: a binary tree (file i extends 2i+1 and 2i+2; depth ~log2 of the
  // file count, since zc.buildout recurses once per level and a 480-deep chain
  // exceeds Python's recursion limit), plus diamonds: every 10th file also
  // extends the last file (they must not compound: zc.buildout re-reads a
  // diamond's file on every path, so nested diamonds explode exponentially)
  for (let i = 0; i < nFiles; i++) {
    const ext: string[] = [];
    for (const child of [2 * i + 1, 2 * i + 2]) if (child < nFiles) ext.push(rel(i, child));
    if (i % 10 === 0 && nFiles - 1 > 2 * i + 2) ext.push(rel(i, nFiles - 1));
    const lines = ['[buildout]'];
    if (ext.length) lines.push(`extends =\n    ${ext.join('\n    ')}`);
    if (i === 0) lines.push(`parts =\n    ${Array.from({ length: Math.ceil(nSections / CHAIN) }, (_, c) => `s${c * CHAIN + CHAIN - 1}`).join('\n    ')}`);
    lines.push(`flag${i} = ${i}`);
    bodies[i].push(lines.join('\n'));
  }
  for (let j = 0; j < nSections; j++) {
    const file = (j * 7) % nFiles;
    const head = j % CHAIN === 0;
    const lines = [`[s${j}]`];
    if (!head) lines.push(`<= s${j - 1}`);
    lines.push(`name = \${:_buildout_section_name_}`);
    lines.push(`v${j % 5} = ${head ? `\${buildout:directory}/root${j}` : `\${s${j - 1}:v${(j - 1) % 5}}/${j}`}`);
    lines.push(`path = \${:name}/\${buildout:flag${file}}`);
    lines.push(`list =\n    a${j}\n    b${j}\n    c${j}`);
    lines.push(`text = ${'lorem ipsum '.repeat(4)}$$\{not:substituted} ${j}`);
    bodies[file].push(lines.join('\n'));
    // the same section touched again from a file further down the chain: += / -= across files
    const later = Math.min(nFiles - 1, file + 1 + (j % 3));
    if (later !== file) bodies[later].push(`[s${j}]\nlist += d${j}\nlist -= b${j}\nextra${j % 3} = \${:path}`);
  }
  const files: Record<string, string> = {};
  bodies.forEach((b, i) => {
    files[fileName(i)] = b.join('\n\n') + '\n';
  });
  return { files, sections: nSections };
}

interface Timing {
  medianMs: number;
  runs: number[];
  status: number;
  stdout: string;
}

/**
 * Both sides run with the same minimal environment. A developer machine's
 * variables can skew one side only: this sandbox sets NODE_EXTRA_CA_CERTS
 * (Node then reads a CA bundle at every start, ~40 ms) and
 * PYTHONDONTWRITEBYTECODE; neither is part of what is being compared.
 */
function benchEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
}

function runOnce(cmd: string, args: string[], cwd: string): { ms: number; status: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, env: benchEnv(cwd) });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.status ?? -1, stdout: res.stdout };
}

function summarise(times: number[], last: { status: number; stdout: string }): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], runs: times, status: last.status, stdout: last.stdout };
}

/** The two commands alternate run by run, so a noisy neighbour slows both alike. One untimed run of each first (file cache). */
function timePair(a: [string, string[]], b: [string, string[]], cwd: string, runs: number): [Timing, Timing] {
  runOnce(a[0], a[1], cwd);
  runOnce(b[0], b[1], cwd);
  const ta: number[] = [];
  const tb: number[] = [];
  let la = { status: 0, stdout: '' };
  let lb = { status: 0, stdout: '' };
  for (let r = 0; r < runs; r++) {
    const ra = runOnce(a[0], a[1], cwd);
    const rb = runOnce(b[0], b[1], cwd);
    ta.push(ra.ms);
    tb.push(rb.ms);
    la = ra;
    lb = rb;
  }
  return [summarise(ta, la), summarise(tb, lb)];
}

function main(): void {
  const argv = process.argv.slice(2);
  const runs = Number(argv[argv.indexOf('--runs') + 1]) || 5;
  const scalesArg = argv.includes('--scales') ? argv[argv.indexOf('--scales') + 1] : '1,4,16';
  const scales = scalesArg.split(',').map(Number);
  if (!fs.existsSync(path.join(REPO, 'dist', 'lib', 'cli', 'main.js'))) {
    process.stderr.write('build first: npx tsc -p tsconfig.build.json\n');
    process.exit(2);
  }
  const rows: string[] = [];
  const base: { hostout?: number; oracle?: number } = {};
  for (const scale of scales) {
    const proj = benchProject(scale);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hostout-bench-${scale}x-`));
    for (const [rel, text] of Object.entries(proj.files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    const n = scale >= 16 ? Math.max(2, Math.ceil(runs / 2)) : runs;
    const [ours, theirs] = timePair([process.execPath, [HOSTOUT, '-U', '--resolve']], [PYTHON, [ORACLE, dir, '-U']], dir, n);
    let same: string;
    try {
      same = JSON.stringify(JSON.parse(ours.stdout)) === JSON.stringify(JSON.parse(theirs.stdout)) ? 'yes' : 'NO (values differ)';
    } catch {
      same = `NO (exit ${ours.status}/${theirs.status})`;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (scale === scales[0]) {
      base.hostout = ours.medianMs / scale;
      base.oracle = theirs.medianMs / scale;
    }
    const bytes = Object.values(proj.files).reduce((s, t) => s + t.length, 0);
    rows.push(
      [
        `${scale}x`.padEnd(5),
        `${Object.keys(proj.files).length} files`.padEnd(10),
        `${proj.sections} sections`.padEnd(15),
        `${(bytes / 1024).toFixed(0)} KiB`.padEnd(9),
        `hostout ${ours.medianMs.toFixed(0)} ms`.padEnd(17),
        `zc.buildout ${theirs.medianMs.toFixed(0)} ms`.padEnd(21),
        `ratio ${(theirs.medianMs / ours.medianMs).toFixed(1)}x`.padEnd(12),
        `hostout ms/scale ${(ours.medianMs / scale).toFixed(0)}`.padEnd(22),
        `buildout ms/scale ${(theirs.medianMs / scale).toFixed(0)}`.padEnd(23),
        `same output: ${same}`,
        `(${n} runs, median)`,
      ].join(' '),
    );
    process.stdout.write(rows[rows.length - 1] + '\n');
  }
}

if (require.main === module) main();
