/** LocalShell: /bin/sh as the current user, as another user (su / sudo -u), sudo, cwd, env, stdin, quoting, errors. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandError } from '../../lib/errors';
import { createRecordingLogger } from '../../lib/log';
import { shellQuote } from '../../lib/transport/quote';
import { RealTransportFactory } from '../../lib/transport';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { ensureTestUsers, ZOPE } from '../../fixtures/servers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout local '));
fs.chmodSync(dir, 0o755);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const settings = resolveHostSettings('site', { host: 'example.com', password: 'hunter2' }, {
  home: dir, configPath: path.join(dir, 'none'), localUser: os.userInfo().username,
});
const log = createRecordingLogger();
const local = new RealTransportFactory({ log, interactive: false, sshEnv: { home: dir, configPath: path.join(dir, 'none'), localUser: os.userInfo().username } })
  .forHost(settings).local;

beforeAll(() => ensureTestUsers());

it('runs /bin/sh -c as the current user with cwd, env and stdin', async () => {
  const r = await local.run('pwd; echo "$A"; cat', { cwd: dir, env: { A: "x'y $z" }, stdin: 'in\n' });
  expect(r).toEqual({ stdout: `${dir}\nx'y $z\nin\n`, stderr: '', code: 0 });
});

it('runs as another user through su or sudo -u, with cwd and env inside the command', async () => {
  const r = await local.run('id -un; pwd; echo "$B"', { as: ZOPE.name, cwd: dir, env: { B: 'b c' } });
  expect(r.stdout).toBe(`zope\n${dir}\nb c\n`);
  expect(log.lines).toContain(`debug: [site] local: su -s /bin/sh zope -c ${shellQuote(`cd ${shellQuote(dir)} && export B='b c' && id -un; pwd; echo "$B"`)}`);
});

it('runs through sudo, as root or as another user', async () => {
  expect((await local.run('id -un', { sudo: true })).stdout).toBe('root\n');
  expect((await local.run('id -un', { sudo: true, as: ZOPE.name })).stdout).toBe('zope\n');
});

it('keeps quoted arguments intact and injects nothing, also through su', async () => {
  const canary = path.join(dir, 'injected');
  const words = ['a b', "it's", '$(touch CANARY)', '`touch CANARY`', 'x\ny', '; touch CANARY'].map((w) => w.replace('CANARY', canary));
  const cmd = `printf '<%s>' ${words.map(shellQuote).join(' ')}`;
  const expected = words.map((w) => `<${w}>`).join('');
  expect((await local.run(cmd)).stdout).toBe(expected);
  expect((await local.run(cmd, { as: ZOPE.name })).stdout).toBe(expected);
  expect((await local.run(cmd, { sudo: true })).stdout).toBe(expected);
  expect(fs.existsSync(canary)).toBe(false);
});

it('fails with the command, status and stderr, secrets masked', async () => {
  const err = (await local.run('echo hunter2 >&2; exit 5').catch((e: unknown) => e)) as CommandError;
  expect(err).toBeInstanceOf(CommandError);
  expect(err.message).toBe('[site] command failed on localhost with exit status 5: echo ******** >&2; exit 5\n  ********');
  expect((await local.run('exit 5', { allowFailure: true })).code).toBe(5);
});
