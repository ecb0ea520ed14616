/**
 * Configurations written for collective.hostout, as hostout reads them
 * (issue: the original's own configurations work). In-process with the
 * recording transport; the same cases run end to end on a real sshd in
 * __tests__/compat/e2e-config.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBuildout, configFilesOf } from '../../lib/buildout';
import { ConfigError } from '../../lib/errors';
import { Runtime } from '../../lib/hostout/dispatch';
import { loadHost } from '../../lib/hostout/hosts';
import { ignoredOptionNotes } from '../../lib/hostout/ignored-options';
import { applyRecipeDefaults, applyRuntimeDefaults } from '../../lib/hostout/options';
import { ConfigValueError } from '../../lib/validate';
import { createRecordingLogger } from '../../lib/log';
import { RecordingTransportFactory } from '../../lib/transport';
import { requireConnectable, resolveHostSettings } from '../../lib/transport/host-settings';
import { OutputMask } from '../../lib/cli/output-mask';
import { COMMENT_PLACEHOLDER_HOST, MULTI_FILE_COMMENTED_OUT, MULTI_FILE_SHIPPED, hostPart, writeMultiFileBuildout } from '../../fixtures/compat/configs';
import { NO_SSH } from '../support/runtime';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HOST = { host: 'prod.example.com', user: 'admin', path: '/srv/site' };

async function runtimeFor(part = 'prod', exists: (p: string) => boolean = () => false) {
  const bo = await loadBuildout({ config: path.join(dir, 'buildout.cfg'), cwd: dir, userDefaults: false, env: {} });
  const def = await loadHost(bo, part, { buildoutDirectory: dir, ssh: NO_SSH });
  const transport = new RecordingTransportFactory({ sshEnv: NO_SSH, exists: (p) => exists(p) });
  const rt = new Runtime([def], { transport, log: createRecordingLogger(), dryRun: true, buildoutDirectory: dir });
  return { rt, def, records: () => transport.records };
}

describe('uploadbuildout ships every file the engine read', () => {
  test('a comment and a blank line inside extends hide nothing: every cfg of the chains and the include are in the tarball', async () => {
    writeMultiFileBuildout(dir, { prod: HOST });
    const { rt, records } = await runtimeFor();
    await rt.run('prod', 'uploadbuildout', []);
    const tar = records().find((r) => r.includes('tar -czf'));
    expect(tar).toBeDefined();
    const shipped = tar!.slice(tar!.indexOf('.tgz') + 5).split(' ').map((w) => w.replace(/'/g, ''));
    expect(shipped).toEqual(MULTI_FILE_SHIPPED);
    expect(shipped).not.toContain(MULTI_FILE_COMMENTED_OUT);
  });

  test("the file list is the engine's record: the same files, in reading order, as configFilesOf", async () => {
    writeMultiFileBuildout(dir, { prod: HOST });
    const files = await configFilesOf({ config: path.join(dir, 'deploy.cfg'), cwd: dir, userDefaults: false });
    expect(files.map((f) => path.relative(dir, f))).toEqual(['deploy.cfg', 'conf/base.cfg', 'conf/versions.cfg', 'conf/staging.cfg']);
  });

  test('extends URLs are neither fetched nor shipped, and a [versions] that only a URL has does not stop the listing', async () => {
    writeFileSync(path.join(dir, 'deploy.cfg'), '[buildout]\nextends =\n    http://127.0.0.1:9/never.cfg\n    local.cfg\nversions = versions\n');
    writeFileSync(path.join(dir, 'local.cfg'), '[buildout]\n');
    const files = await configFilesOf({ config: path.join(dir, 'deploy.cfg'), cwd: dir, userDefaults: false });
    expect(files.map((f) => path.relative(dir, f))).toEqual(['deploy.cfg', 'local.cfg']);
  });

  test('a `buildout` file that does not exist: ConfigError naming the option, before any call reaches the host (deploy too)', async () => {
    writeFileSync(path.join(dir, 'buildout.cfg'), `[buildout]\nparts = prod\n\n${hostPart('prod', { ...HOST, buildout: 'x.cfg' })}`);
    const { rt, records } = await runtimeFor('prod', () => true);
    for (const command of ['uploadbuildout', 'deploy', 'buildout']) {
      const err = await rt.run('prod', command, []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as Error).message).toContain(`buildout = x.cfg: ${path.join(dir, 'x.cfg')} does not exist`);
    }
    expect(records()).toEqual([]);
  });

  test('an extended file that does not exist, and an include that does not exist: ConfigError, nothing recorded', async () => {
    writeFileSync(path.join(dir, 'deploy.cfg'), '[buildout]\nextends = gone.cfg\n');
    writeFileSync(path.join(dir, 'buildout.cfg'), `[buildout]\nparts = prod inc\n\n${hostPart('prod', { ...HOST, buildout: 'deploy.cfg' })}\n${hostPart('inc', { ...HOST, buildout: 'buildout.cfg', include: 'etc/missing.conf' })}`);
    const a = await runtimeFor('prod');
    await expect(a.rt.run('prod', 'uploadbuildout', [])).rejects.toThrow(/deploy\.cfg, line 2: cannot open extended file .*gone\.cfg: no such file/);
    const b = await runtimeFor('inc');
    await expect(b.rt.run('inc', 'uploadbuildout', [])).rejects.toThrow(`include = etc/missing.conf: ${path.join(dir, 'etc/missing.conf')} does not exist`);
    expect([...a.records(), ...b.records()]).toEqual([]);
  });
});

describe('values are validated where they are used, naming the option that holds them', () => {
  test('an empty buildout-group blocks only the commands that use the group', async () => {
    writeFileSync(path.join(dir, 'buildout.cfg'), `[buildout]\nparts = prod\n\n${hostPart('prod', { ...HOST, 'buildout-group': '' })}`);
    const { rt, records } = await runtimeFor();
    await rt.run('prod', 'run', ['uptime']);
    expect(records()).toHaveLength(1);
    await expect(rt.run('prod', 'setowners', [])).rejects.toThrow('buildout-group = "": the group name is empty');
    await expect(rt.run('prod', 'bootstrap_users', [])).rejects.toThrow(ConfigValueError);
    expect(records()).toHaveLength(1);
  });

  test('a comment left as the user is reported as `user` (the option written), with the comment rule', async () => {
    writeFileSync(path.join(dir, 'buildout.cfg'), `[buildout]\nparts = prod\n\n${hostPart('prod', { host: 'prod.example.com', user: COMMENT_PLACEHOLDER_HOST.user })}`);
    const { rt } = await runtimeFor();
    const err = await rt.run('prod', 'run', ['uptime']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigValueError);
    expect((err as ConfigValueError).option).toBe('user');
    expect((err as Error).message).toContain(`user = "${COMMENT_PLACEHOLDER_HOST.user}": the value is a comment left in the configuration`);
  });

  test('host: a comment left as the host, or no host at all, is refused where a connection would open', () => {
    const placeholder = resolveHostSettings('prod', { host: COMMENT_PLACEHOLDER_HOST.host }, NO_SSH);
    expect(() => requireConnectable(placeholder)).toThrow(`host = "${COMMENT_PLACEHOLDER_HOST.host}": the value is a comment left in the configuration`);
    const none = resolveHostSettings('app', {}, NO_SSH);
    expect(none.hostSource).toBe('none');
    expect(() => requireConnectable(none)).toThrow(/\[app\] host is not set, so hostout does not know where to connect/);
    expect(() => requireConnectable(resolveHostSettings('app', { host: 'app.example.com' }, NO_SSH))).not.toThrow();
  });

  test('a part without host still lists and records (offline dry run): only connecting needs it', async () => {
    writeFileSync(path.join(dir, 'buildout.cfg'), `[buildout]\nparts = app\n\n${hostPart('app', { user: 'root', path: '/srv/app' })}`);
    const { rt, records } = await runtimeFor('app');
    await rt.run('app', 'run', ['uptime']);
    expect(records()).toHaveLength(1);
  });
});

describe('relative paths in hostout options are relative to the buildout directory', () => {
  test('identity-file and known-hosts-file, whatever the current directory; ~ is left to the transport', () => {
    const o = applyRecipeDefaults('prod', { ...HOST, 'identity-file': 'deploykey', 'known-hosts-file': 'keys/known ~/.ssh/known_hosts' }, { buildoutDirectory: dir, ssh: NO_SSH });
    const { options, settings } = applyRuntimeDefaults('prod', o, { buildoutDirectory: dir, ssh: NO_SSH });
    expect(options['identity-file']).toBe(path.join(dir, 'deploykey'));
    expect(settings.identityFile).toBe(path.join(dir, 'deploykey'));
    expect(settings.knownHostsFiles).toEqual([path.join(dir, 'keys/known'), path.join(NO_SSH.home, '.ssh/known_hosts')]);
  });

  test('a configured key that does not exist is an error naming its path, never skipped', () => {
    const o = applyRecipeDefaults('prod', { ...HOST, 'identity-file': 'deploykey' }, { buildoutDirectory: dir, ssh: NO_SSH });
    const { settings } = applyRuntimeDefaults('prod', o, { buildoutDirectory: dir, ssh: NO_SSH });
    expect(() => requireConnectable(settings)).toThrow(`identity-file = ${path.join(dir, 'deploykey')}: no such file`);
    writeFileSync(path.join(dir, 'deploykey'), 'not checked here');
    const again = applyRuntimeDefaults('prod', o, { buildoutDirectory: dir, ssh: NO_SSH });
    expect(() => requireConnectable(again.settings)).not.toThrow();
    expect(again.settings.login.keyFiles[0]).toBe(path.join(dir, 'deploykey'));
  });
});

describe("options of the original hostout does not act on", () => {
  test('each one set gets one note; the recipe\'s own values and a false tunnel none', () => {
    const notes = ignoredOptionNotes({ tunnel: 'true', hostimage: 'debian', eggs: 'my.fabfiles', python: 'python27', 'force-python-compile': 'yes' }, () => false);
    expect(notes.map((n) => n.split(' ')[1])).toEqual(['tunnel', 'hostimage', 'eggs', 'python', 'force-python-compile']);
    expect(ignoredOptionNotes({ tunnel: 'false', hostimage: 'ubuntu', eggs: 'collective.hostout', 'force-python-compile': 'yes' }, (c) => c === 'bootstrap_python_buildout')).toEqual([]);
  });

  test("a part's packages are honoured: develop eggs uploadeggs releases", () => {
    const o = applyRecipeDefaults('prod', { ...HOST, packages: 'src/my.theme\nsrc/my.policy' }, { buildoutDirectory: dir, develop: 'src/my.policy src/core', ssh: NO_SSH });
    expect(o.develop.split('\n')).toEqual(['src/my.policy', 'src/core', 'src/my.theme']);
  });
});

test('OutputMask: every spelling of each secret, longest first, nothing before a secret is added', () => {
  const mask = new OutputMask();
  expect(mask.apply('remote(root@127.0.0.1:22)')).toBe('remote(root@127.0.0.1:22)');
  mask.add(['root', '', "ro'ot!"]);
  expect(mask.apply("remote(root@127.0.0.1:22): echo 'ro'\\''ot!' \"ro'ot!\"")).toBe("remote(********@127.0.0.1:22): echo '********' \"********\"");
});
