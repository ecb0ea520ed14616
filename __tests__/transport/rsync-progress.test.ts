/**
 * rsync's --info=progress2 read as progress updates, on output captured from
 * real rsync 3.5 runs (fixtures/rsync: a push of 400 files in 81 directories
 * through a remote shell with --stats --no-human-readable, as hostout runs it,
 * and a push of 300 files with rsync's default units), throttled to two a second.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRsyncStats } from '../../lib/events';
import { parseProgressLine, ProgressSplitter, throttleProgress, type TransferProgress } from '../../lib/transport/rsync-progress';
import { formatTransferProgress } from '../../lib/cli/transfer-line';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'rsync', name), 'utf8');

function split(text: string, chunk = 4096): { updates: TransferProgress[]; other: string } {
  const updates: TransferProgress[] = [];
  let other = '';
  const s = new ProgressSplitter((p) => updates.push(p), (t) => { other += t; });
  // In pieces, as a pipe delivers it: an update may be cut anywhere.
  for (let i = 0; i < text.length; i += chunk) s.push(Buffer.from(text.slice(i, i + chunk)));
  s.flush();
  return { updates, other };
}

describe('parseProgressLine', () => {
  test('a full update: bytes, percent, rate in rsync units of 1024, time left, files transferred and checked', () => {
    expect(parseProgressLine('       40464720  99%   20.30MB/s    0:00:01 (xfr#299, to-chk=1/301)')).toEqual({
      bytes: 40464720, percent: 99, bytesPerSecond: Math.round(20.3 * 1024 * 1024), etaSeconds: 1,
      filesTransferred: 299, filesChecked: 300, filesTotal: 301, listComplete: true,
    });
  });

  test('the first update has no file counts; kB/s and hours', () => {
    expect(parseProgressLine('          32768   0%    0.00kB/s    1:02:03  ')).toEqual({
      bytes: 32768, percent: 0, bytesPerSecond: 0, etaSeconds: 3723, filesTransferred: 0,
    });
  });

  test('digits grouped by the locale (rsync 3.2 default), -h units, and a list still growing (ir-chk)', () => {
    expect(parseProgressLine('      1,234,567  45%    1.50GB/s    0:00:03 (xfr#12, ir-chk=100/2000)')).toMatchObject({
      bytes: 1234567, bytesPerSecond: Math.round(1.5 * 1024 ** 3), filesChecked: 1900, filesTotal: 2000, listComplete: false,
    });
    expect(parseProgressLine('         40.51M 100%   39.59MB/s    0:00:00 (xfr#300, to-chk=0/301)')?.bytes).toBe(40_510_000);
  });

  test('other output is not progress', () => {
    for (const line of ['', 'sending incremental file list', 'Number of files: 481 (reg: 400, dir: 81)', '<f+++++++++ bin/instance', 'total size is 25756508  speedup is 0.99']) {
      expect(parseProgressLine(line)).toBeUndefined();
    }
  });
});

describe('ProgressSplitter on captured output', () => {
  test('hostout\'s own flags (--stats --no-human-readable): every update in order, the statistics left whole', () => {
    const text = fixture('progress2-stats.out');
    const { updates, other } = split(text, 333);
    // One update per carriage return, none lost to the chunking.
    expect(updates.length).toBe(text.split('\r').filter((s) => s.trim() !== '').length);
    const last = updates[updates.length - 1];
    expect(last).toMatchObject({ bytes: 25756508, percent: 100, filesTransferred: 400, filesChecked: 481, filesTotal: 481, listComplete: true });
    // Bytes and files only grow.
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i].bytes).toBeGreaterThanOrEqual(updates[i - 1].bytes);
      expect(updates[i].filesTransferred).toBeGreaterThanOrEqual(updates[i - 1].filesTransferred);
    }
    // What is not progress goes on as lines: the --stats block, still readable by its parser.
    expect(other).not.toContain('\r');
    expect(other).not.toMatch(/to-chk/);
    expect(parseRsyncStats(other)).toEqual({ filesSent: 400, bytesSent: 25893107, deleted: 0, files: 481 });
    expect(parseRsyncStats(text)).toEqual(parseRsyncStats(other));
  });

  test('rsync\'s default units (40.51M): read as decimal units, as rsync -h prints them', () => {
    const { updates, other } = split(fixture('progress2-units.out'));
    expect(updates.length).toBeGreaterThan(250);
    expect(updates[updates.length - 1]).toMatchObject({ bytes: 40_510_000, percent: 100, filesTransferred: 300, filesTotal: 301 });
    expect(other.trim()).toBe('');
  });
});

describe('throttleProgress', () => {
  const p = (bytes: number): TransferProgress => ({ bytes, percent: 0, bytesPerSecond: 0, etaSeconds: 0, filesTransferred: 0 });

  test('at most one update per interval; the last one held back goes out at the end', () => {
    let t = 0;
    const sent: number[] = [];
    const th = throttleProgress((x) => sent.push(x.bytes), 500, () => t);
    for (let i = 0; i < 100; i++) {
      t = i * 20; // 50 updates a second for two seconds
      th.update(p(i));
    }
    th.end();
    // t = 0, 500, 1000, 1500 (i = 0, 25, 50, 75), then the held last one.
    expect(sent).toEqual([0, 25, 50, 75, 99]);
  });

  test('nothing held back: end sends nothing more', () => {
    const sent: number[] = [];
    const th = throttleProgress((x) => sent.push(x.bytes), 500, () => 0);
    th.update(p(1));
    th.end();
    expect(sent).toEqual([1]);
  });
});

test('the line a person sees', () => {
  expect(formatTransferProgress({ bytes: 812_400_000, percent: 41, bytesPerSecond: 25_300_000, etaSeconds: 31, filesTransferred: 1200, filesChecked: 1234, filesTotal: 20000, listComplete: true }))
    .toBe('rsync: 1,234 of 20,000 files (1,200 sent), 812.4 MB (41%), 25.3 MB/s, 0:00:31 left');
  expect(formatTransferProgress({ bytes: 900, percent: 100, bytesPerSecond: 0, etaSeconds: 62, filesTransferred: 3, filesChecked: 5, filesTotal: 9, listComplete: false }))
    .toBe('rsync: 5 of at least 9 files (3 sent), 900 B (100%), 0 B/s, done in 0:01:02');
});
