/**
 * The views of a run, fed events and lines directly: no process, no stdout spy.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventInput } from '../../lib/events';
import { colourWanted, interactiveWanted, NO_PAINT, paint, resolveIo, type CliIo } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';
import { helpText, usageLines } from '../../lib/cli/option-layer';
import { PlanRunner, VIEW_READY_MS, type PlanEvent, type PlanObserver } from '../../lib/cli/schedule';
import { createProgress } from '../../lib/cli/progress';
import { RunLog } from '../../lib/cli/run-log';
import { jsonView } from '../../lib/cli/views/json';
import { runLogView } from '../../lib/cli/views/run-log';
import { DryRunTally, dryRunEnd } from '../../lib/cli/views/dry-run';
import { formatSummary } from '../../lib/cli/views/summary';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { hermeticSshEnvironment } from '../../lib/transport/ssh-config';

const strip = (t: string) => t.replace(/\x1b\[[0-9;]*m/g, '');

describe('colour is decided in one place', () => {
  test.each([
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
  ])('env %j, terminal %s: colour %s', (env, isTTY, want) => {
    expect(colourWanted(env, isTTY)).toBe(want);
  });

  test('an io given without isTTY is a pipe: no colour', () => {
    expect(resolveIo({ stdout() {}, stderr() {}, cwd: '/', env: {} })).toMatchObject({ isTTY: false, colour: false, argv: [] });
  });
});

describe('the plain view', () => {
  test('host names and warning labels in colour, the words unchanged', () => {
    const out: string[] = [];
    const err: string[] = [];
    const progress = createProgress({
      verbosity: 'normal', fancy: false, hosts: ['web1'], paint: paint(true),
      stdout: (l) => out.push(l), stderr: (l) => err.push(l),
    });
    progress.prefixHosts = true;
    progress.log.info('[web1] uploading');
    progress.log.warn('[web1] disk nearly full');
    expect(out).toEqual(['\x1b[36m[web1]\x1b[39m uploading']);
    expect(err.map(strip)).toEqual(['[web1] warning: [web1] disk nearly full']);
    expect(err[0]).toContain('\x1b[33mwarning: \x1b[39m');
  });

  test('without colour the lines are exactly as before', () => {
    const out: string[] = [];
    const progress = createProgress({ verbosity: 'normal', fancy: false, hosts: ['web1'], stdout: (l) => out.push(l), stderr: () => undefined });
    progress.prefixHosts = true;
    progress.log.info('[web1] uploading');
    progress.log.info('plain words');
    expect(out).toEqual(['[web1] uploading', 'plain words']);
  });
});

describe('the summary table', () => {
  const rows = [
    { host: 'web1', commands: ['deploy'], result: 'ok' as const, exitStatus: 0, durationMs: 1200 },
    { host: 'web22', commands: ['deploy'], result: 'failed' as const, exitStatus: 1, durationMs: 300 },
  ];

  test('coloured by result; the same table without the colour codes', () => {
    const coloured = formatSummary(rows, { paint: paint(true) });
    expect(coloured.map(strip)).toEqual(formatSummary(rows));
    expect(coloured[1]).toContain('\x1b[32mok\x1b[39m');
    expect(coloured[2]).toContain('\x1b[31mfailed (1)\x1b[39m');
  });

  test('extra columns are data: shown when a row has a value', () => {
    const lines = formatSummary(rows, { columns: [{ header: 'release', value: (r) => (r.host === 'web1' ? 'r7' : undefined) }] });
    expect(lines[0]).toBe('host   commands  result      release  time');
    expect(lines[2]).toMatch(/^web22 +deploy +failed \(1\) +\? +0\.3 s$/);
    expect(formatSummary(rows, { columns: [{ header: 'release', value: () => undefined }] })[0]).toBe('host   commands  result      time');
  });
});

describe('event views', () => {
  const RUN: EventInput[] = [
    { type: 'run-start', version: 1, hosts: ['web1', 'web2'], commands: ['deploy'], args: [], options: { parallel: 2, keepGoing: true, rollback: true, dryRun: false } },
    { type: 'host-start', host: 'web1' },
    { type: 'command-start', host: 'web1', command: 'deploy' },
    { type: 'step', host: 'web1', command: 'deploy', kind: 'remote', line: 'true', status: 0, durationMs: 5 },
    { type: 'rsync', host: 'web1', filesSent: 3, bytesSent: 300, deleted: 1 },
    { type: 'command-end', host: 'web1', command: 'deploy', status: 'failed', durationMs: 9, error: 'boom' },
    { type: 'host-end', host: 'web1', result: 'failed', exitStatus: 1, durationMs: 10, error: 'boom' },
    { type: 'host-end', host: 'web2', result: 'not started', exitStatus: 0, durationMs: 0 },
    { type: 'run-end', exitStatus: 1, durationMs: 11, interrupted: false, summary: [
      { host: 'web1', commands: [], result: 'failed', exitStatus: 1, durationMs: 10, error: 'boom' },
      { host: 'web2', commands: [], result: 'not started', exitStatus: 0, durationMs: 0 },
    ] },
  ];

  test('the run log: header, hosts, commands, steps, summary and exit status, then closed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-views-'));
    try {
      const log = new RunLog(dir);
      log.open();
      const view = runLogView(log, { argv: ['-P', '2', 'web1', 'web2', 'deploy'], cwd: '/site' });
      for (const e of RUN) view.emit(e);
      // Closed at the run's end: a later line is not written.
      log.line('info', undefined, 'after the end');
      const text = readFileSync(log.path, 'utf8').replace(/^\S+ /gm, '');
      expect(text.trimEnd().split('\n')).toEqual([
        '- run: hostout -P 2 web1 web2 deploy (in /site; hosts web1 web2; 2 at once, keep going)',
        '[web1] host: start',
        '[web1] command: deploy: start',
        '[web1] step: remote exit 0 in 5 ms: true',
        '[web1] rsync: 3 files sent, 300 bytes sent, 1 deleted',
        '[web1] command: deploy: failed in 9 ms: boom',
        '[web1] host: end: failed (exit status 1) in 10 ms',
        '- summary: host  commands  result       time',
        '- summary: web1  -         failed (1)   0.0 s',
        '- summary: web2  -         not started  -',
        '- run: exit status 1',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--json: one line per event, each stamped with its time', () => {
    let text = '';
    const view = jsonView((t) => { text += t; });
    for (const e of RUN) view.emit(e);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; time: string });
    expect(lines.map((l) => l.type)).toEqual(RUN.map((e) => e.type));
    for (const l of lines) expect(Number.isNaN(Date.parse(l.time))).toBe(false);
  });
});

describe('the dry run tally', () => {
  test('a question answered by assumption is counted as assumed (reported once, by assume()), not as a change', () => {
    const t = new DryRunTally();
    // The recorder prints the marked line and reports the assumption (run.ts's onAssumed calls assume()).
    t.assume();
    for (const line of [
      "[web1] remote(u@h:22): /bin/bash -l -c 'test -e /srv/x'",
      '[web1]   (assumed, not asked: /srv/x exists)',
      "[web1] remote(u@h:22): /bin/bash -l -c 'mkdir /srv/y'",
      "[web2] rsync(u@h2:22): ./ -> /srv/",
      'Hostout: Running command',
    ]) t.record(line);
    expect({ assumed: t.assumed, changes: t.changeCount, hosts: t.hostsChanged }).toEqual({ assumed: 1, changes: 2, hosts: 2 });
    expect(dryRunEnd(t, ['--dry-run', 'web1', 'run', 'a b'], false, NO_PAINT)).toEqual([
      'DRY RUN done: nothing was changed.',
      "  asked:        hostout --dry-run web1 run 'a b'",
      '  assumed:      1 answer (the "assumed, not …" lines above)',
      '  would change: 2 steps on 2 hosts (listed above)',
    ]);
  });
});

describe('host settings read the CLI environment, not the process', () => {
  test('HOSTOUT_STRICT_HOST_KEY_CHECKING and HOSTOUT_IDENTITY_PASSPHRASE come from the given variables', () => {
    const ssh = { ...hermeticSshEnvironment(), variables: { HOSTOUT_STRICT_HOST_KEY_CHECKING: 'accept-new', HOSTOUT_IDENTITY_PASSPHRASE: 'pp' } };
    expect(process.env.HOSTOUT_STRICT_HOST_KEY_CHECKING).toBeUndefined();
    const s = resolveHostSettings('web', { host: 'example.com' }, ssh);
    expect(s.hostKeyPolicy).toBe('accept-new');
    expect(s.login.passphrase).toEqual({ value: 'pp', source: 'from HOSTOUT_IDENTITY_PASSPHRASE' });
  });
});

describe('the terminal\'s width and a person to ask come from the CliIo given', () => {
  /** main() in-process with an io whose terminal is `columns` wide: what it printed. */
  async function help(columns: number | undefined): Promise<string> {
    let out = '';
    const io: CliIo = { stdout: (t) => { out += t; }, stderr: () => undefined, cwd: os.tmpdir(), env: {}, isTTY: true, ...(columns ? { columns } : {}) };
    expect(await main(['--help'], io)).toBe(0);
    return out;
  }

  test('--help wraps to the io\'s columns, 100 at most, 100 when the io knows none', async () => {
    expect(await help(60)).toBe(`${helpText(60)}\n`);
    expect((await help(60)).split('\n').slice(0, 3)).toEqual(usageLines(60));
    expect(await help(200)).toBe(`${helpText(100)}\n`);
    expect(await help(undefined)).toBe(`${helpText(100)}\n`);
  });

  test('a person is asked only when the io says one is there: a terminal on stdin, not CI', () => {
    expect(resolveIo({ stdout() {}, stderr() {}, cwd: '/', env: {} }).interactive).toBe(false);
    expect(resolveIo({ stdout() {}, stderr() {}, cwd: '/', env: {}, interactive: true }).interactive).toBe(true);
    expect(interactiveWanted(true, {})).toBe(true);
    expect(interactiveWanted(true, { CI: 'true' })).toBe(false);
    expect(interactiveWanted(false, {})).toBe(false);
  });
});

describe('the scheduler emits, the views follow', () => {
  /** An observer that records the plan's events by name. */
  const recorder = (seen: string[], shown?: (host: string, index: number) => Promise<void>): PlanObserver => ({
    event: (e: PlanEvent) => {
      if (e.type === 'host-start') seen.push(`host-start ${e.host}`);
      else if (e.type === 'host-skipped') seen.push(`skipped ${e.outcome.host}`);
      else if (e.type === 'host-end') seen.push(`host-end ${e.outcome.host} ${e.outcome.result}`);
      else if (e.type === 'command-start') seen.push(`start ${e.host} ${e.command} #${e.index}`);
      else seen.push(`end ${e.host} ${e.command} #${e.index} ${e.status}`);
    },
    ...(shown ? { commandShown: shown } : {}),
  });

  test('every observer gets the plan\'s events in order; a host passed over after a failure is told as skipped', async () => {
    const seen: string[] = [];
    const plan = [
      { host: 'a', commands: [{ name: 'x', run: async () => 1 }, { name: 'y', run: async () => { throw new Error('no'); } }] },
      { host: 'b', commands: [{ name: 'x', run: async () => 1 }] },
    ];
    const outcomes = await new PlanRunner().run(plan, { parallel: 1, keepGoing: false }, [recorder(seen)]);
    expect(outcomes.map((o) => o.result)).toEqual(['failed', 'not started']);
    expect(seen).toEqual(['host-start a', 'start a x #0', 'end a x #0 ok', 'start a y #1', 'end a y #1 failed', 'host-end a failed', 'skipped b']);
  });

  test('a command starts only once its view shows it', async () => {
    const seen: string[] = [];
    const show = (host: string, index: number) => new Promise<void>((r) => setTimeout(() => { seen.push(`shown ${host} #${index}`); r(); }, 50));
    const plan = [{ host: 'a', commands: [{ name: 'x', run: async () => 1 }, { name: 'y', run: async () => 2 }] }];
    await new PlanRunner().run(plan, { parallel: 1, keepGoing: false }, [recorder(seen, show), recorder([])]);
    expect(seen).toEqual(['host-start a', 'shown a #0', 'start a x #0', 'end a x #0 ok', 'shown a #1', 'start a y #1', 'end a y #1 ok', 'host-end a ok']);
  });

  test('a view that never shows the command holds it VIEW_READY_MS, no longer', async () => {
    const seen: string[] = [];
    const started = Date.now();
    const plan = [{ host: 'a', commands: [{ name: 'x', run: async () => 1 }] }];
    const [o] = await new PlanRunner().run(plan, { parallel: 1, keepGoing: false }, [recorder(seen, () => new Promise<void>(() => undefined))]);
    const took = Date.now() - started;
    expect(o.result).toBe('ok');
    expect(took).toBeGreaterThanOrEqual(VIEW_READY_MS - 50);
    // Generous: a loaded machine may be late, but not another bound late.
    expect(took).toBeLessThan(VIEW_READY_MS + 5000);
  });
});
