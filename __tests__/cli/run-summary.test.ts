/** The pieces of a run's end: rsync's --stats read into numbers, the exit status over hosts, the summary table. */
import { parseRsyncStats } from '../../lib/events';
import { formatSummary, runExitStatus } from '../../lib/cli/progress';
import type { HostSummary } from '../../lib/events';

const STATS = (sent: string, files: string, deleted: string) => [
  'Number of files: 5 (reg: 3, dir: 2)',
  'Number of created files: 4 (reg: 3, dir: 1)',
  `Number of deleted files: ${deleted}`,
  `Number of regular files transferred: ${files}`,
  'Total file size: 9,000 bytes',
  `Total bytes sent: ${sent}`,
  'Total bytes received: 91',
].join('\n');

describe('parseRsyncStats', () => {
  test('rsync 3.x with thousands separators, plain digits, and -h units', () => {
    expect(parseRsyncStats(STATS('9,252', '1,203', '1 (reg: 1)'))).toEqual({ filesSent: 1203, bytesSent: 9252, deleted: 1, files: 5 });
    expect(parseRsyncStats(STATS('9252', '3', '0'))).toMatchObject({ filesSent: 3, bytesSent: 9252, deleted: 0 });
    expect(parseRsyncStats(STATS('821.43K', '301', '0'))).toMatchObject({ bytesSent: 821430 });
    expect(parseRsyncStats(STATS('1.20M', '301', '0'))).toMatchObject({ bytesSent: 1200000 });
    // A locale that groups with dots.
    expect(parseRsyncStats(STATS('1.234.567', '2', '0'))).toMatchObject({ bytesSent: 1234567 });
  });

  test('older rsync: "Number of files transferred"; no statistics: undefined', () => {
    expect(parseRsyncStats('Number of files transferred: 7\nTotal bytes sent: 10\n')).toEqual({ filesSent: 7, bytesSent: 10, deleted: 0 });
    expect(parseRsyncStats('sending incremental file list\n')).toBeUndefined();
  });
});

const row = (host: string, result: HostSummary['result'], exitStatus = 0): HostSummary => ({ host, commands: result === 'ok' ? ['deploy'] : [], result, exitStatus, durationMs: 1234 });

describe('runExitStatus', () => {
  test.each([
    ['every host ok', [row('a', 'ok'), row('b', 'ok')], undefined, 0],
    ['some ok, some failed', [row('a', 'ok'), row('b', 'failed', 69)], undefined, 3],
    ['one failed, the rest not started', [row('a', 'failed', 75), row('b', 'not started')], undefined, 75],
    ['all failed alike', [row('a', 'failed', 69), row('b', 'failed', 69)], undefined, 69],
    ['all failed differently', [row('a', 'failed', 69), row('b', 'failed', 75)], undefined, 1],
    ['interrupted by Ctrl-C', [row('a', 'ok'), row('b', 'interrupted', 130)], 130, 130],
    ['terminated', [row('a', 'interrupted', 143)], 143, 143],
    ['all or nothing, brought back', [row('a', 'rolled back'), row('b', 'failed', 1), row('c', 'stopped')], undefined, 1],
    ['all or nothing, --no-rollback', [row('a', 'ok'), row('b', 'failed', 1)], undefined, 3],
  ] as const)('%s', (_what, rows, interrupt, status) => {
    expect(runExitStatus(rows as unknown as HostSummary[], interrupt)).toBe(status);
  });
});

test('formatSummary: aligned columns; releases only when known; a failure shows its status', () => {
  expect(formatSummary([row('web1', 'ok'), row('web22', 'failed', 69), row('w3', 'not started')])).toEqual([
    'host   commands  result       time',
    'web1   deploy    ok           1.2 s',
    'web22  -         failed (69)  1.2 s',
    'w3     -         not started  -',
  ]);
  const lines = formatSummary([{ ...row('web1', 'rolled back'), columns: { 'release before': 'r1', 'release after': 'r1' }, durationMs: 75_000 }, { ...row('web2', 'ok'), columns: { 'release before': 'r1' } }]);
  expect(lines).toEqual([
    'host  commands  result       release before  release after  time',
    'web1  -         rolled back  r1              r1             1 min 15 s',
    'web2  deploy    ok           r1              ?              1.2 s',
  ]);
});
