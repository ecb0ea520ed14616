/**
 * The plan of the built-in deploy in both preview modes, for a buildout with a
 * develop egg (fixtures/compat/hellowsgi): `--dry-run --offline` assumes what
 * it cannot ask in the direction that lets the plan go on, and says so;
 * `--dry-run` asks the real host (a real sshd) and changes nothing. Both show
 * the pin a real run writes and the upload of the release.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

let site: string;
let home: string;
let remote: string;
let server: SshServer | undefined;

beforeAll(async () => {
  site = mkdtempSync(path.join(os.tmpdir(), 'hostout-plans-'));
  cpSync(path.join(ROOT, 'fixtures', 'compat', 'hellowsgi'), site, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'hostout-plans-home-'));
  remote = mkdtempSync(path.join(os.tmpdir(), 'hostout-plans-remote-'));
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(path.join(home, '.ssh', 'known_hosts'), server.knownHostsLine + '\n');
}, 120_000);
afterAll(async () => {
  await server?.stop();
  for (const d of [site, home, remote, EMPTY_HOME]) rmSync(d, { recursive: true, force: true });
});

const run = (args: string[]) => hostout(args, site, { HOME: home });
const pinOf = (stdout: string): string | undefined => /\[versions\]\nhellowsgi = (\S+)\n/.exec(stdout)?.[1];

test('--dry-run --offline deploy: the whole plan, every assumption marked, the pin and the upload a real run makes', () => {
  const r = run(['--dry-run', '--offline', 'prod', 'deploy']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('[prod]   (assumed, not asked: /var/buildout/hellowsgi/bin/buildout exists)\n');
  expect(r.stdout).toContain('[prod]   (assumed, not asked: src/hellowsgi is hellowsgi 0.1, as written in its setup files)\n');
  expect(r.stdout).toContain('[prod]   (assumed, not asked: /var/buildout/buildout-cache/downloads/dist holds none of these releases yet)\n');
  expect(pinOf(r.stdout)).toMatch(/^0\.1\+h[0-9a-f]{12}$/);
  expect(r.stdout).toMatch(new RegExp(`\\[prod\\] put\\(deploy@www\\.example\\.com:22\\): ${site}/dist/hellowsgi-h[0-9a-f]{12}/hellowsgi-0\\.1\\+h[0-9a-f]{12}\\.zip -> /tmp/`));
  expect(r.stdout).toContain("sh -c '\\''bin/supervisorctl start hellowsgi'\\''");
  expect(r.stdout).toContain("Hostout: Running command 'postdeploy' from 'collective.hostout'\n");
  // Nothing was built.
  expect(existsSync(path.join(site, 'dist')) ? readdirSync(path.join(site, 'dist')) : []).toEqual([]);
});

test('--dry-run uploadeggs against the real host: the same pin, the upload listed, nothing changed there or here', () => {
  const offline = pinOf(run(['--dry-run', '--offline', 'prod', 'uploadeggs']).stdout);
  const cache = path.join(remote, 'cache');
  const r = run([
    `prod:host=127.0.0.1:${server!.port}`, 'prod:user=root', `prod:identity-file=${server!.clientKeyPath}`,
    `prod:path=${remote}/site`, `prod:buildout-cache=${cache}`, 'prod', 'uploadeggs', '--dry-run',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // No answer assumed: no marked line, and the closing banner says so.
  expect(r.stdout).not.toContain('(assumed, not');
  expect(r.stdout).toContain('\n  assumed:      nothing\n');
  expect(pinOf(r.stdout)).toBe(offline);
  expect(r.stdout).toMatch(new RegExp(`put\\(root@127\\.0\\.0\\.1:${server!.port}\\): \\S+/hellowsgi-${offline!.replace(/[.+]/g, '\\$&')}\\.zip -> /tmp/`));
  expect(existsSync(cache)).toBe(false);
  expect(existsSync(path.join(site, 'dist')) ? readdirSync(path.join(site, 'dist')) : []).toEqual([]);
});
