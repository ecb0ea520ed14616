/**
 * Who asks rsync for its progress: the front adds --info=progress2 only to a
 * real transfer that someone follows (onProgress), reads the updates out of
 * stdout (the rest stays lines), and never touches a preview's rsync, whose
 * stdout is its itemized delta. The CLI's instrumentation follows only when
 * the run has a view for it (a terminal, --json), and not over echoed output.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { instrumentTransport } from '../../lib/cli/instrument';
import type { StepSink, TransferProgress } from '../../lib/events';
import { createRecordingLogger } from '../../lib/log';
import type { Backend, RawResult, RsyncRun } from '../../lib/transport/backends/backend';
import { HostFront, type RunMode } from '../../lib/transport/front';
import { ITEMIZED_OUT_FORMAT } from '../../lib/transport/rsync-recheck';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { hermeticSshEnvironment } from '../../lib/transport/ssh-config';
import { SudoPasswords } from '../../lib/transport/sudo-password';
import type { HostTransport, RsyncOptions, TransportFactory } from '../../lib/transport/types';

const CAPTURED = readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'rsync', 'progress2-stats.out'), 'utf8');

/** A backend whose rsync prints the captured progress2 output (as a pipe would, in pieces). */
function fakeBackend(runs: RsyncRun[]): Backend {
  const none = async (): Promise<RawResult> => ({ stdout: '', stderr: '', code: 0 });
  return {
    connect: () => undefined,
    exec: none,
    put: async () => undefined,
    get: async () => undefined,
    local: none,
    rsync: async (call) => {
      runs.push(call);
      const progress = call.extraFlags.includes('--info=progress2');
      const out = progress ? CAPTURED : CAPTURED.replace(/\r[^\r\n]*/g, '');
      for (let i = 0; i < out.length; i += 1000) call.onStdout?.(Buffer.from(out.slice(i, i + 1000)));
      return { stdout: out, stderr: '', code: 0 };
    },
    forward: async () => Buffer.alloc(0),
    close: async () => undefined,
  };
}

function front(mode: RunMode, runs: RsyncRun[]) {
  const log = createRecordingLogger();
  const backend = fakeBackend(runs);
  const settings = resolveHostSettings('web', { host: 'example.com', user: 'deploy' }, hermeticSshEnvironment());
  const f = new HostFront(settings, { mode, backend, recorder: mode === 'preview' ? fakeBackend([]) : undefined, log, sudoPasswords: new SudoPasswords(false), interactive: false });
  return { f, log };
}

const PUSH: RsyncOptions = { from: '/srv/site/bin/', to: '/srv/site/bin', direction: 'push' };

describe('the front', () => {
  test('a real rsync with onProgress gets --info=progress2; the updates come out parsed, at most one per half second plus the last', async () => {
    const runs: RsyncRun[] = [];
    const { f, log } = front('real', runs);
    const got: TransferProgress[] = [];
    const r = await f.rsync({ ...PUSH, onProgress: (p) => got.push(p) });
    expect(runs[0].extraFlags).toEqual(['--info=progress2', ITEMIZED_OUT_FORMAT]);
    // Read in well under a second: the first update, then the last one held back.
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThan(10);
    expect(got[got.length - 1]).toMatchObject({ bytes: 25756508, percent: 100, filesTransferred: 400, filesTotal: 481 });
    // The -v lines are rsync's other output: no update among them.
    const lines = log.lines.join('\n');
    expect(lines).toContain('Number of regular files transferred: 400');
    expect(lines).not.toMatch(/to-chk|\r/);
    expect(r.stdout).toContain('Total bytes sent: 25893107');
  });

  test('without onProgress: no --info=progress2 (a push still names what it changed, for rsync-recheck.ts)', async () => {
    const runs: RsyncRun[] = [];
    await front('real', runs).f.rsync(PUSH);
    expect(runs[0].extraFlags).toEqual([ITEMIZED_OUT_FORMAT]);
    await front('real', runs).f.rsync({ from: '/srv/site/var/', to: '/tmp/x/', direction: 'pull' });
    expect(runs[1].extraFlags).toEqual([]);
  });

  test('a preview (--dry-run) never asks for progress, even when followed', async () => {
    const runs: RsyncRun[] = [];
    const got: TransferProgress[] = [];
    const { f } = front('preview', runs);
    // The host has the destination (exists answers 0), so the preview runs rsync itself.
    await f.rsync({ ...PUSH, onProgress: (p) => got.push(p) });
    expect(runs[0].extraFlags).toEqual(['--dry-run', '--itemize-changes']);
    expect(got).toEqual([]);
  });
});

describe('the CLI instrumentation', () => {
  function instrumented(sink: Partial<StepSink>) {
    const seen: RsyncOptions[] = [];
    const inner: HostTransport = {
      remote: {} as HostTransport['remote'],
      local: {} as HostTransport['local'],
      rsync: async (o) => {
        seen.push(o);
        o.onProgress?.({ bytes: 1, percent: 1, bytesPerSecond: 1, etaSeconds: 1, filesTransferred: 1 });
        return { stdout: '', stderr: '', code: 0 };
      },
    };
    const factory: TransportFactory = { forHost: () => inner, closeAll: async () => undefined };
    const steps: StepSink = { step: () => undefined, rsyncStats: () => undefined, ...sink };
    return { t: instrumentTransport(factory, { steps, onTouch: () => undefined }).forHost('web', {}), seen };
  }

  test('a run with a progress view follows every transfer, per host', async () => {
    const got: Array<[string, number]> = [];
    const { t, seen } = instrumented({ transferProgress: (host, p) => got.push([host, p.bytes]) });
    await t.rsync(PUSH);
    expect(seen[0].onProgress).toBeDefined();
    expect(got).toEqual([['web', 1]]);
  });

  test('no view (a pipe, -q, -v): rsync runs without progress; echoed output is never mixed with it', async () => {
    expect((await (async () => { const i = instrumented({}); await i.t.rsync(PUSH); return i.seen[0]; })()).onProgress).toBeUndefined();
    const got: unknown[] = [];
    const echoed = instrumented({ transferProgress: () => got.push(1) });
    await echoed.t.rsync({ ...PUSH, echo: true });
    expect(echoed.seen[0].onProgress).toBeUndefined();
    expect(got).toEqual([]);
  });
});
