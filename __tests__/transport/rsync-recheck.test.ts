/**
 * The files a push took as unchanged by size and time while their attributes
 * changed (rsync-recheck.ts): which itemized lines name them, how their names
 * come back from rsync's escapes, and the front's second pass by checksum,
 * which a preview never runs.
 */
import * as fs from 'node:fs';
import { createRecordingLogger } from '../../lib/log';
import type { Backend, RawResult, RsyncRun } from '../../lib/transport/backends/backend';
import { HostFront, type RunMode } from '../../lib/transport/front';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { contentUnchecked, decodeRsyncName, ItemizedFilter, sourceRoots, splitItemized } from '../../lib/transport/rsync-recheck';
import { hermeticSshEnvironment } from '../../lib/transport/ssh-config';
import { SudoPasswords } from '../../lib/transport/sudo-password';

describe('which itemized lines took content as unchanged', () => {
  test.each([
    ['.f...p.....', true], // in place: permissions only
    ['.f....og...', true], // owner and group only
    ['cf...p.....', true], // copied from --link-dest with other permissions
    ['cf.........', false], // copied from --link-dest (no hard link possible) with nothing else different: as an unchanged file in place
    ['>f.st......', false], // sent
    ['>f..t......', false], // sent (time differs)
    ['>f+++++++++', false], // new
    ['cf+++++++++', false], // new, made locally
    ['.d..t......', false], // a directory
    ['.L...p.....', false], // a symlink
    ['hf...p.....', false], // a hard link of another file of this transfer
  ])('%s → %s', (item, expected) => {
    expect(contentUnchecked(item)).toBe(expected);
  });

  test('names come back with the bytes rsync escaped; other lines stay as they were', () => {
    expect(decodeRsyncName('etc/odd\\#012name \\#303\\#251.ini').toString('utf8')).toBe('etc/odd\nname é.ini');
    const { recheck, rest } = splitItemized('hostout-itemized:.f...p..... a b\nsent 10 bytes\nhostout-itemized:>f.st...... c\n');
    expect(recheck.map((b) => b.toString())).toEqual(['a b']);
    expect(rest).toBe('sent 10 bytes\n');
  });

  test('the stream filter drops the itemized lines, even split across chunks, and keeps progress lines', () => {
    const out: string[] = [];
    const filter = new ItemizedFilter((c) => out.push(c.toString()));
    for (const chunk of ['hostout-item', 'ized:.f...p..... a\n  1,000  50%\r', '  2,000 100%\rTotal bytes sent: 5\nhostout-itemized:>f+++++++++ b\n']) filter.push(Buffer.from(chunk));
    filter.flush();
    expect(out.join('')).toBe('  1,000  50%\r  2,000 100%\rTotal bytes sent: 5\n');
  });

  test('the source each name is relative to', () => {
    expect(sourceRoots('/s/site/', false)).toEqual([{ root: '/s/site/', prefix: '' }]);
    expect(sourceRoots(['/s/site/bin', '/s/site/parts/'], false)).toEqual([{ root: '/s/site', prefix: 'bin' }, { root: '/s/site/parts/', prefix: '' }]);
    expect(sourceRoots(['/s/site/./bin/', '/s/site/./etc/app.ini'], true)).toEqual([{ root: '/s/site', prefix: 'bin' }, { root: '/s/site', prefix: 'etc/app.ini' }]);
  });
});

describe('the front', () => {
  function front(mode: RunMode, firstStdout: string) {
    const runs: RsyncRun[] = [];
    const lists: string[] = [];
    const backend: Backend = {
      connect: () => undefined,
      exec: async (): Promise<RawResult> => ({ stdout: '', stderr: '', code: 0 }),
      put: async () => undefined,
      get: async () => undefined,
      local: async (): Promise<RawResult> => ({ stdout: '', stderr: '', code: 0 }),
      rsync: async (call) => {
        runs.push(call);
        const from = (call.options.extra ?? []).find((a) => a.startsWith('--files-from='));
        if (from) lists.push(fs.readFileSync(from.slice('--files-from='.length), 'utf8'));
        const stdout = runs.length === 1 ? firstStdout : '';
        call.onStdout?.(Buffer.from(stdout));
        return { stdout, stderr: '', code: 0 };
      },
      forward: async () => Buffer.alloc(0),
      close: async () => undefined,
    };
    const log = createRecordingLogger();
    const settings = resolveHostSettings('web', { host: 'example.com', user: 'deploy' }, hermeticSshEnvironment());
    const f = new HostFront(settings, { mode, backend, recorder: mode === 'preview' ? backend : undefined, log, sudoPasswords: new SudoPasswords(false), interactive: false });
    return { f, log, runs, lists };
  }
  const ITEMIZED = 'hostout-itemized:.d..t...... ./\nhostout-itemized:.f...p..... etc/app.ini\nhostout-itemized:cf....o.... bin/x\nhostout-itemized:>f.st...... bin/y\n';

  test('a push with such files runs exactly one second pass of them, by checksum, from the same source to the same place', async () => {
    const { f, log, runs, lists } = front('real', ITEMIZED);
    const r = await f.rsync({ from: '/srv/site/', to: '/srv/site-next/', direction: 'push', delete: true, extra: ['--link-dest=/srv/site-old/'] });
    expect(runs).toHaveLength(2);
    expect(runs[1].options).toMatchObject({ from: '/srv/site/', to: '/srv/site-next/', delete: false, relative: false });
    expect(runs[1].options.extra).toEqual(['--link-dest=/srv/site-old/', '--checksum', expect.stringMatching(/^--files-from=/), '--from0']);
    expect(lists).toEqual(['etc/app.ini\0bin/x\0']);
    expect(r.stdout).not.toContain('hostout-itemized');
    expect(log.lines.join('\n')).not.toContain('hostout-itemized');
  });

  test('a push without any runs one rsync', async () => {
    const { f, runs } = front('real', 'hostout-itemized:>f.st...... bin/y\n');
    await f.rsync({ from: '/srv/site/', to: '/srv/site/', direction: 'push' });
    expect(runs).toHaveLength(1);
  });

  test('a caller\'s own --dry-run (pushdeploy\'s delta) keeps its itemized output and gets no second pass', async () => {
    const { f, runs } = front('real', '.f...p..... etc/app.ini\n');
    const r = await f.rsync({ from: '/srv/site/', to: '/srv/site/', direction: 'push', extra: ['--dry-run', '--itemize-changes'] });
    expect(runs).toHaveLength(1);
    expect(runs[0].extraFlags).toEqual([]);
    expect(r.stdout).toBe('.f...p..... etc/app.ini\n');
  });

  test('a preview runs no second pass, and its rsync stays a --dry-run', async () => {
    const { f, runs } = front('preview', '.f...p..... etc/app.ini\n');
    await f.rsync({ from: '/srv/site/', to: '/srv/site/', direction: 'push' });
    expect(runs.every((r) => r.extraFlags.includes('--dry-run'))).toBe(true);
    expect(runs.filter((r) => (r.options.extra ?? []).some((a) => a.startsWith('--files-from=')))).toEqual([]);
  });
});
