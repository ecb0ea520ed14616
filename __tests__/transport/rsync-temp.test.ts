/**
 * Where rsync's temp files go for each shape of transfer (rsync-temp.ts):
 * the destination directory when sources' contents or directories are
 * copied, else the directory a single file goes into. The real transfers are
 * in rsync.test.ts and rsync-faults.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { receiverTemp } from '../../lib/transport/rsync-temp';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-rsync-temp-'));
const file = path.join(dir, 'site.conf');
fs.writeFileSync(file, 'x');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it.each([
  ['contents of a dir (trailing slash)', { from: `${dir}/`, to: '/srv/site/bin' }, '/srv/site/bin', true],
  ['several sources with -R', { from: [`${dir}/./bin/`, `${dir}/./eggs/`], to: '/srv/site', relative: true }, '/srv/site', true],
  ['a local directory without slash', { from: dir, to: '/srv/site/' }, '/srv/site', true],
  ['a single file to a file path', { from: file, to: '/etc/supervisor/conf.d/site.conf' }, '/etc/supervisor/conf.d', false],
] as const)('push, %s', (_name, o, base, isDestination) => {
  const t = receiverTemp({ ...o, direction: 'push' }, 'staging-1-1');
  expect(t).toEqual({
    base,
    isDestination,
    dir: `${base}/.hostout-rsync-tmp/staging-1-1`,
    args: [`--temp-dir=${base}/.hostout-rsync-tmp/staging-1-1`, ...(isDestination ? ['--exclude=/.hostout-rsync-tmp/'] : [])],
  });
});

it('pull: into an existing local directory, or beside a single local file', () => {
  expect(receiverTemp({ from: '/srv/site/var/blobstorage', to: dir, direction: 'pull' }, 'r').base).toBe(dir);
  expect(receiverTemp({ from: '/srv/site/var/Data.fs', to: path.join(dir, 'Data.fs'), direction: 'pull' }, 'r')).toMatchObject({ base: dir, isDestination: false });
  expect(receiverTemp({ from: '/srv/site/var/', to: path.join(dir, 'new'), direction: 'pull' }, 'r')).toMatchObject({ base: path.join(dir, 'new'), isDestination: true });
});
