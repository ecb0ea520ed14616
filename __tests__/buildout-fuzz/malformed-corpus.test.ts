/**
 * The malformed-configuration corpus (fixtures/malformed/corpus.json; its
 * `about` says what a case holds) plus 150 seeded mutants
 * (fixtures/buildout-gen/mutate.ts), each through the real `hostout` process:
 * every run ends in bounded time with exit 0 or 2 (a configuration error, also
 * when `--resolve` printed the values and listed those with errors; the case's
 * own expectation when it has one), never a stack trace, and the message the case names. Before the bounded reader, `extends = /dev/zero` grew without end and
 * a FIFO blocked forever; before the iterative macro expansion, a `<=` chain
 * of 20,000 sections spun for minutes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mutant } from '../../fixtures/buildout-gen/mutate';
import { hasStackTrace, REPO_ROOT, runHostout, type ProcessResult } from '../support/oracle';

jest.setTimeout(900_000);

interface Generate {
  bigFile?: { name: string; bytes: number };
  macroChain?: { length: number; end?: 'missing' | 'loop' };
  substitutionChain?: { length: number; oneSection?: boolean };
  extendsChain?: { length: number };
  longLine?: { bytes: number };
  continuationLines?: { count: number };
  longHeader?: { length: number };
  rawBytes?: { name: string; hex: string };
}
interface Case {
  name: string;
  files: Record<string, string>;
  fifo?: string;
  generate?: Generate;
  args?: string[];
  expect: number | number[];
  stderr?: string;
}

const corpus = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'malformed', 'corpus.json'), 'utf8')) as { cases: Case[] };
const MUTANTS = 150;
/** Far above the slowest case on a loaded machine (~4 s); what never ends is killed here. */
const CASE_TIMEOUT_MS = 30_000;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-malformed-'));

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function generated(g: Generate): Record<string, string | Buffer> {
  const B = '[buildout]\nparts =\n';
  if (g.bigFile) {
    const line = `# ${'x'.repeat(77)}\n`;
    return { [g.bigFile.name]: line.repeat(Math.ceil(g.bigFile.bytes / line.length)) };
  }
  if (g.macroChain) {
    const { length, end } = g.macroChain;
    const out = [B, end === 'loop' ? `[s0]\n<= s${length - 1}\na = 1\n` : end === 'missing' ? '[s0]\n<= nowhere\na = 1\n' : '[s0]\na = 1\n'];
    for (let i = 1; i < length; i++) out.push(`[s${i}]\n<= s${i - 1}\n`);
    return { 'buildout.cfg': out.join('') };
  }
  if (g.substitutionChain) {
    const { length, oneSection } = g.substitutionChain;
    if (oneSection) {
      const opts = Array.from({ length }, (_, i) => `o${i} = \${:o${i + 1}}`).join('\n');
      return { 'buildout.cfg': `${B}[s]\n${opts}\no${length} = end\n` };
    }
    const out = [B, '[s0]\na = 1\n'];
    for (let i = 1; i < length; i++) out.push(`[s${i}]\na = \${s${i - 1}:a}\n`);
    return { 'buildout.cfg': out.join('') };
  }
  if (g.extendsChain) {
    const files: Record<string, string> = { 'buildout.cfg': `${B}extends = f0.cfg\n` };
    for (let i = 0; i < g.extendsChain.length; i++) files[`f${i}.cfg`] = `[buildout]\nextends = f${i + 1}.cfg\n[s]\nv${i} = ${i}\n`;
    files[`f${g.extendsChain.length}.cfg`] = '[s]\nend = 1\n';
    return files;
  }
  if (g.longLine) return { 'buildout.cfg': `${B}[s]\nx = ${'v'.repeat(g.longLine.bytes)}\n` };
  if (g.continuationLines) {
    return { 'buildout.cfg': `${B}[s]\nx =\n${Array.from({ length: g.continuationLines.count }, (_, i) => `    line${i}`).join('\n')}\n` };
  }
  if (g.longHeader) return { 'buildout.cfg': `${B}[${'s'.repeat(g.longHeader.length)}]\nx = 1\n` };
  if (g.rawBytes) return { [g.rawBytes.name]: Buffer.from(g.rawBytes.hex, 'hex') };
  throw new Error(`unknown generator ${JSON.stringify(g)}`);
}

function writeProject(dir: string, files: Record<string, string | Buffer>, fifo?: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, data] of Object.entries(files)) {
    const f = path.join(dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, data);
  }
  if (fifo) execFileSync('mkfifo', [path.join(dir, fifo)]);
}

interface Outcome { name: string; result: ProcessResult; ms: number; expect: number[]; stderr?: string }

async function runAll(items: Array<{ name: string; dir: string; args: string[]; expect: number[]; stderr?: string }>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const it = items[next++];
      const started = Date.now();
      const result = await runHostout(it.dir, it.args, undefined, CASE_TIMEOUT_MS);
      out.push({ name: it.name, result, ms: Date.now() - started, expect: it.expect, stderr: it.stderr });
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

function verdicts(outcomes: Outcome[]): string[] {
  const bad: string[] = [];
  for (const o of outcomes) {
    const r = o.result;
    const why = !o.expect.includes(r.status)
      ? `exit ${r.status}, expected ${o.expect.join(' or ')}`
      : hasStackTrace(r.stderr)
        ? 'stack trace'
        : o.stderr && !new RegExp(o.stderr).test(r.stderr)
          ? `message does not match /${o.stderr}/`
          : r.status !== 0 && !r.stderr.trim()
            ? `exit ${r.status} without a message`
            : undefined;
    if (why) bad.push(`${o.name}: ${why}: ${r.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
  }
  return bad;
}

test('every hand-made case ends in bounded time with its exit status and message, never a stack trace', async () => {
  const items = corpus.cases.map((c, i) => {
    const dir = path.join(root, `case-${i}`);
    writeProject(dir, { ...c.files, ...(c.generate ? generated(c.generate) : {}) }, c.fifo);
    return { name: c.name, dir, args: c.args ?? ['-c', 'buildout.cfg', '--resolve'], expect: [c.expect].flat(), stderr: c.stderr };
  });
  expect(items.length).toBeGreaterThan(30);
  const outcomes = await runAll(items);
  expect(verdicts(outcomes)).toEqual([]);
  const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
  console.log(`${outcomes.length} malformed cases; slowest ${slowest.name}: ${slowest.ms} ms`);
});

test(`${MUTANTS} seeded mutants end with exit 0 or 2 (a configuration error) and no stack trace`, async () => {
  const items = Array.from({ length: MUTANTS }, (_, i) => {
    const p = mutant(i);
    const dir = path.join(root, `mutant-${i}`);
    writeProject(dir, p.files);
    return { name: p.name, dir, args: ['-c', 'buildout.cfg', '--resolve'], expect: [0, 2] };
  });
  const outcomes = await runAll(items);
  expect(verdicts(outcomes)).toEqual([]);
  // Every outcome occurs: the mutants are not all trivially broken or all harmless.
  expect(new Set(outcomes.map((o) => o.result.status))).toEqual(new Set([0, 2]));
  // Both kinds of configuration error occur: unreadable ones, and values --resolve lists under "__errors__".
  expect(outcomes.some((o) => o.result.status === 2 && o.result.stdout.includes('"__errors__"'))).toBe(true);
  expect(outcomes.some((o) => o.result.status === 2 && !o.result.stdout.includes('"__errors__"'))).toBe(true);
});
