/**
 * The plan of the core `deploy` from a generated parts/hostout/hostout.cfg
 * (the sample of hostout-compat.md, Appendix A, at a temp location), compared
 * step by step with what collective.hostout master runs for it. The lines are
 * what `--dry-run` prints (the same recording transport); nothing connects.
 *
 * Where we differ on purpose, docs/compat.md lists it; each such place is
 * marked "(listed difference)" below.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBuildout } from '../../lib/buildout';
import { Runtime } from '../../lib/hostout/dispatch';
import { loadHosts } from '../../lib/hostout/hosts';
import { buildoutDirectoryOf } from '../../lib/hostout/parts';
import { createRecordingLogger } from '../../lib/log';
import { RecordingTransportFactory } from '../../lib/transport';
import { NO_SSH } from '../support/runtime';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { recipeHostSection, writeDevelopEgg, writeGeneratedHostoutConfig } from '../../fixtures/compat';

let site: string;
let cfg: string;

beforeAll(() => {
  site = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-plan-'));
  writeFileSync(path.join(site, 'production.cfg'), '[buildout]\nextends = base.cfg\nparts =\n');
  writeFileSync(path.join(site, 'base.cfg'), '[versions]\n');
  writeFileSync(path.join(site, 'hostoutversions.cfg'), '[versions]\nzc.buildout = 1.7.1\nmy.package = 0.1\n');
  writeDevelopEgg(site, 'x', 'my.package');
  writeDevelopEgg(site, 'x', 'other.package');
  mkdirSync(path.join(site, 'bin'));
  cfg = writeGeneratedHostoutConfig(site, [['prod', recipeHostSection('prod', site)]], ['src/my.package', 'src/other.package']);
});
afterAll(() => {
  rmSync(site, { recursive: true, force: true });
  rmSync(EMPTY_HOME, { recursive: true, force: true });
});

async function plan(command: string): Promise<{ lines: string[]; running: string[] }> {
  const bo = await loadBuildout({ config: cfg, cwd: site, userDefaults: false, assignments: [], env: { HOME: EMPTY_HOME } });
  const hosts = await loadHosts(bo, { configFile: cfg, ssh: NO_SSH });
  // Bootstrapped: bin/buildout exists (what predeploy checks); nothing else is there yet.
  const transport = new RecordingTransportFactory({ sshEnv: NO_SSH, exists: (p: string) => p === '/var/buildout/prod/bin/buildout' });
  const log = createRecordingLogger();
  const rt = new Runtime(hosts, { transport, log, dryRun: true, buildoutDirectory: buildoutDirectoryOf(bo, cfg) });
  await rt.run('prod', command);
  return { lines: transport.records.map((l: string) => l.replace(/^\[prod\] /, '')), running: log.lines.filter((l) => l.startsWith('Hostout: Running')) };
}

const L = 'admin@www.example.com:2222'; // login user `user`
const B = 'admin@www.example.com:2222'; // buildout-user (the same user in the sample)
const CACHE = '/var/buildout/buildout-cache'; // master: …/buildout-cache/admin (listed difference, its issue #24)

test('deploy: the same steps, users, paths and order as the original', async () => {
  const { lines, running } = await plan('deploy');
  expect(running.map((l) => /'(\w+)'/.exec(l)![1])).toEqual(['deploy', 'predeploy', 'precommands', 'uploadeggs', 'uploadbuildout', 'buildout', 'postdeploy']);
  const steps: Array<[string, RegExp]> = [
    // predeploy: [ -e <path>/bin/buildout ] as the buildout user (ours: an sftp stat)
    ['predeploy: bin/buildout exists?', new RegExp(`^exists\\(${B}\\): /var/buildout/prod/bin/buildout$`)],
    // precommands: none in the sample.
    // uploadeggs: every develop egg released locally, from [buildout] location, content-hash tagged
    ['release my.package: name, version', new RegExp(`^local: cd ${site}/src/my.package && /usr/bin/python2.7 setup.py --name --version$`)],
    ['release my.package: sdist', new RegExp(`^local: cd ${site}/src/my.package && rm -rf .* setup.py -q egg_info --tag-build \\S+ sdist --formats=zip --dist-dir ${site}/dist/my.package-h`)],
    ['release other.package: name, version', new RegExp(`^local: cd ${site}/src/other.package && /usr/bin/python2.7 setup.py --name --version$`)],
    ['release other.package: sdist', new RegExp(`^local: cd ${site}/src/other.package && .* sdist --formats=zip`)],
    // `ls <cache>/downloads/dist` as the buildout user (ours creates it first: listed difference);
    // a dry run asks for the listing on its own (read-only) before the recorded real step.
    ['(dry run) what the remote dist holds', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'ls -1 ${CACHE}/downloads/dist'$`)],
    ['ls the remote dist', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'mkdir -p ${CACHE}/downloads/dist && ls -1 ${CACHE}/downloads/dist'$`)],
    // each missing release put to /tmp, then moved into the dist (a dry run shows the sdist it would build)
    ['put my.package to /tmp', new RegExp(`^put\\(${B}\\): ${site}/dist/my.package-h[0-9a-f]{12}/my.package-1.0\\+h[0-9a-f]{12}\\.zip -> /tmp/my.package-1.0\\+h[0-9a-f]{12}\\.zip$`)],
    ['mv it into the dist', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'mv -f /tmp/my.package-\\S+\\.zip ${CACHE}/downloads/dist/my.package-\\S+\\.zip && chmod a\\+r `)],
    ['put other.package to /tmp', new RegExp(`^put\\(${B}\\): \\S+/other.package-1.0\\+h[0-9a-f]{12}\\.zip -> /tmp/`)],
    ['mv it into the dist', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'mv -f /tmp/other.package-`)],
    ['upload <path>/pinned.cfg', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && printf .*\\[buildout\\]\\ndevelop =\\nauto-checkout =\\n\\[versions\\]\\n.*> pinned.cfg'$`, 's')],
    // uploadbuildout: is deploy_<id>.tgz there?; the tarball of the cfgs; put; untar in <path>
    ['test -f deploy_<id>.tgz', new RegExp(`^exists\\(${B}\\): ${CACHE}/downloads/dist/deploy_[0-9a-f]{12}\\.tgz$`)],
    ['local tarball of the shipped cfgs', new RegExp(`^local: cd ${site} && mkdir -p ${site}/dist && tar -czf ${site}/dist/deploy_[0-9a-f]{12}\\.tgz production.cfg base.cfg$`)],
    ['(ours) mkdir the remote dist', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'mkdir -p ${CACHE}/downloads/dist'$`)],
    ['put the tarball', new RegExp(`^put\\(${B}\\): ${site}/dist/deploy_\\w+\\.tgz -> ${CACHE}/downloads/dist/deploy_\\w+\\.tgz$`)],
    ['tar -p -x… in <path>', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && tar -p -xzf ${CACHE}/downloads/dist/deploy_\\w+\\.tgz'$`)],
    // buildout: <path>/prod-<id>.cfg; pinned.cfg fallback; bin/buildout -c it; find var chmod g+w
    ['upload <path>/prod-<id>.cfg', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && printf .* > prod-[0-9a-f]{12}\\.cfg'$`, 's')],
    ['pinned.cfg fallback', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && test -f pinned.cfg \\|\\| `)],
    ['bin/buildout -c prod-<id>.cfg', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && bin/buildout -c prod-[0-9a-f]{12}\\.cfg'$`)],
    ['find var -exec chmod g+w', new RegExp(`^remote\\(${B}\\): /bin/bash -l -c 'cd /var/buildout/prod && find var -exec chmod g\\+w \\{\\} \\\\; \\|\\| true'$`)],
    // postdeploy: each post-command with sudo, in <path>, the local buildout path replaced by the remote one
    ['post-command (sudo sh -c, path rewritten)', new RegExp(`^remote\\(${L}\\): sudo -H -- /bin/bash -l -c 'cd /var/buildout/prod && sh -c /var/buildout/prod/bin/supervisord'$`)],
  ];
  expect(lines).toHaveLength(steps.length);
  lines.forEach((line, i) => expect({ step: steps[i][0], line }).toEqual({ step: steps[i][0], line: expect.stringMatching(steps[i][1]) }));
});

test("buildout: the generated cfg is the original's template, with the recipe's versions file minus the released develop eggs", async () => {
  // uploadeggs of a real run leaves the pins it uploaded; the generated cfg drops those names from the versions file.
  mkdirSync(path.join(site, 'dist'), { recursive: true });
  writeFileSync(path.join(site, 'dist', 'pinned-prod.cfg'), '[buildout]\ndevelop =\nauto-checkout =\n[versions]\nmy.package = 1.0+h0123456789ab\nother.package = 1.0+hba9876543210\n');
  const { lines } = await plan('buildout');
  const written = /printf '\\''%s'\\'' '\\''([\s\S]*)'\\'' > prod-[0-9a-f]{12}\.cfg'$/.exec(lines[0])?.[1];
  expect(written).toBe([
    '[buildout]',
    'extends = production.cfg pinned.cfg',
    `eggs-directory = ${CACHE}/eggs`,
    `download-cache = ${CACHE}/downloads`,
    'versions = versions',
    `extends-cache = ${CACHE}/downloads/extends`,
    'newest = true',
    '',
    '[versions]',
    'zc.buildout = 1.7.1',
    '',
  ].join('\n'));
});

test('the same plan through the command line: `hostout -c parts/hostout/hostout.cfg prod uploadeggs uploadbuildout postdeploy --dry-run --offline`', () => {
  const r = hostout(['-c', 'parts/hostout/hostout.cfg', 'prod', 'uploadeggs', 'uploadbuildout', 'postdeploy', '--dry-run', '--offline'], site);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // The files come from [buildout] location, not parts/hostout (the defect: `tar -czf` with no files, cd …/parts/hostout/src/…).
  expect(r.stdout).toContain(`local: cd ${site}/src/my.package && /usr/bin/python2.7 setup.py --name --version`);
  expect(r.stdout).toMatch(/tar -czf \S+\/dist\/deploy_[0-9a-f]{12}\.tgz production\.cfg base\.cfg\n/);
  expect(r.stdout).not.toContain('parts/hostout/src');
  expect(r.stdout).toContain("sh -c /var/buildout/prod/bin/supervisord'");
});
