/**
 * How a push's receiver compares files: the argv for each comparison, and
 * what counts as the remote rsync refusing the nanosecond one (rsync 3.1.2's
 * own words, from its option parser).
 */
import { rsyncArgv } from '../../lib/transport/command-line';
import { comparisonNote, refusedNanoseconds, remoteRsyncKey, serverVersion, StderrGate } from '../../lib/transport/rsync-compare';

const REFUSAL = 'rsync: on remote machine: -@-1: unknown option\nrsync error: syntax or usage error (code 1) at main.c(1568) [server=3.1.2]\n';
const target = { user: 'root', hostname: 'prod' };
const push = { from: 'site/', to: '/srv/site/', direction: 'push' as const };

test('nanoseconds by default, --checksum in its place for an old receiver', () => {
  expect(rsyncArgv(push, target, 'RSH')).toContain('--modify-window=-1');
  const checksum = rsyncArgv(push, { ...target, compare: 'checksum' }, 'RSH');
  expect(checksum).toContain('--checksum');
  expect(checksum).not.toContain('--modify-window=-1');
});

test('a refusal is a usage error naming the option, before the remote rsync said anything', () => {
  expect(refusedNanoseconds(1, REFUSAL, false)).toBe(true);
  expect(refusedNanoseconds(1, REFUSAL, true)).toBe(false);
  expect(refusedNanoseconds(12, REFUSAL, false)).toBe(false);
  expect(refusedNanoseconds(1, 'rsync: on remote machine: --foo: unknown option\n', false)).toBe(false);
  expect(refusedNanoseconds(23, 'rsync: change_dir "/x" failed: No such file or directory (2)\n', false)).toBe(false);
  expect(serverVersion(REFUSAL)).toBe('3.1.2');
  expect(serverVersion('rsync error\n')).toBeUndefined();
  expect(comparisonNote('checksum', 'root@prod:22', REFUSAL)).toMatch(/^the rsync on root@prod:22 \(3\.1\.2\) cannot compare times to the nanosecond .*--checksum/);
  expect(remoteRsyncKey(true)).not.toBe(remoteRsyncKey(false));
});

test('the stderr gate holds until opened, then passes through in order; a dropped refusal is never shown', () => {
  const out: string[] = [];
  const gate = new StderrGate((c) => out.push(c.toString()), true);
  gate.write(Buffer.from('a'));
  expect(out).toEqual([]);
  gate.open();
  gate.write(Buffer.from('b'));
  expect(out).toEqual(['a', 'b']);
  const dropped: string[] = [];
  const refused = new StderrGate((c) => dropped.push(c.toString()), true);
  refused.write(Buffer.from(REFUSAL));
  refused.drop();
  expect(dropped).toEqual([]);
});
