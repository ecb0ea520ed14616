/**
 * bench/push: `hostout <site> push` against the floor (a bare `rsync -a` of
 * the same folders over one shared ssh connection) and against the
 * original's way (a new ssh connection for each of its steps), for a first
 * push, a no-op push and a push after touching 1% of the files.
 *
 *   npm run build && node dist/bench/push/index.js        (as root; ~20,000 files / 200 MB)
 *   BENCH_FILES=2000 BENCH_MB=20 node dist/bench/push/index.js   (quick)
 *   BENCH_COMPRESS=no node dist/bench/push/index.js             (hostout's rsync-compress; default lz4)
 *   BENCH_ROUNDS=5 node dist/bench/push/index.js                (rounds of all methods, default 3; medians)
 *
 * It starts the harness's production sshd (fixtures/servers), builds the
 * staging tree under /var/buildout/pd-bench-<id>, and removes everything at
 * the end. Prints one table with seconds and ratios, plus the sshd login
 * count per hostout run (one login per identity is the target).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { bareRsync as bareRsyncAs, buildStaging, touchOnePercent, run, sshArgs, time, type Ctx } from './staging';

const FILES = Number(process.env.BENCH_FILES ?? 20000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 200) * 1024 * 1024;
const DIRS = ['bin', 'eggs', 'parts'] as const;
/**
 * The production login for every method. Default `zope` (also the effective
 * user, so the chowns need no root): its shell start-up is Debian's default,
 * so the figures measure the tools, not root's dotfiles (on a machine whose
 * root ~/.bashrc loads pyenv/nvm each remote shell costs seconds).
 */
const LOGIN = process.env.BENCH_USER ?? 'zope';
/** Rounds of all methods; the table shows each figure's median. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));


const bareRsync = (c: Ctx) => bareRsyncAs(c, LOGIN, DIRS);

/** The original's way (hostout.pushdeploy's push): each ssh step and each rsync opens its own connection. */
function originalWay(c: Ctx): void {
  const ssh = (command: string) => run('ssh', [...sshArgs(c, false), `${LOGIN}@127.0.0.1`, command]);
  const rsh = `ssh ${sshArgs(c, false).join(' ')}`;
  ssh(`mkdir -p ${c.staging}/var`);
  ssh(`chown ${LOGIN} ${c.staging}`);
  ssh(`chown ${LOGIN} ${c.staging}/var`);
  for (const d of DIRS) {
    run('rsync', ['-pthlrz', '--rsh', rsh, `${c.staging}/${d}/`, `${LOGIN}@127.0.0.1:${c.staging}/${d}`]);
    ssh(`chown -R ${LOGIN} ${c.staging}/${d}`);
  }
  run('rsync', ['--ignore-existing', '-pthlrz', '--rsh', rsh, `${c.staging}/var/`, `${LOGIN}@127.0.0.1:${c.staging}/var`]);
  run('rsync', ['-pthlrz', '--rsh', rsh, `${c.staging}/etc/`, `${LOGIN}@127.0.0.1:${c.staging}/etc`]);
  ssh(`chown -R ${LOGIN} ${c.staging}/etc`);
}

function hostoutPush(c: Ctx): void {
  run('node', [path.join(repoRoot(), 'bin', 'hostout.js'), '-q', '-c', c.cfg, c.site, 'push'], { cwd: path.dirname(c.cfg) });
}


async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/push needs root (it starts a namespaced sshd and writes /var/buildout)\n');
    process.exit(2);
  }
  const id = crypto.randomBytes(3).toString('hex');
  const site = `pd-bench-${id}`;
  const staging = `/var/buildout/${site}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-'));
  // Production's side on a tmpfs: the staging tree is read from the page cache
  // (see warm), so neither side's timing includes this VM's disk.
  const prod = await startProductionSshServer({ authorizeClientKeyFor: [LOGIN], varBuildoutOnTmpfs: true });
  const c: Ctx = {
    prod, site, staging, production: path.join(prod.varBuildout as string, site), cfg: path.join(work, 'buildout.cfg'),
    key: prod.clientKeyPath, knownHosts: path.join(work, 'known_hosts'), control: path.join(work, 'cm-%C'),
  };
  try {
    fs.writeFileSync(c.knownHosts, prod.knownHostsLine + '\n');
    writeHostoutConfig(c.cfg, {
      [site]: {
        host: `127.0.0.1:${prod.port}`, 'identity-file': c.key, 'known-hosts-file': c.knownHosts,
        user: LOGIN, path: staging, 'buildout-user': 'root', 'effective-user': LOGIN, restart: 'true',
        // BENCH_COMPRESS: hostout's rsync-compress option (default lz4; `no` is what the floor does)
        ...(process.env.BENCH_COMPRESS ? { 'rsync-compress': process.env.BENCH_COMPRESS } : {}),
      },
    });
    fs.mkdirSync(staging, { recursive: true });
    process.stderr.write(`building the staging tree: ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB ...\n`);
    const files = buildStaging(staging, FILES, TOTAL_BYTES);
    const methods: Array<[string, (c: Ctx) => void]> = [
      ['bare rsync -a, one ssh (floor)', bareRsync],
      ['hostout push', hostoutPush],
      ["original's way (ssh per step)", originalWay],
    ];
    // Rounds, each running every method once in turn: this machine's first
    // push varies by a second or more from run to run (disk writeback, page
    // cache), so one run per method compared luck as much as tools.
    const results: Record<string, number[][]> = Object.fromEntries(methods.map(([name]) => [name, [[], [], []]]));
    let logins = 0;
    let hostoutRuns = 0;
    let round = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, fn] of methods) {
        fs.rmSync(c.production, { recursive: true, force: true });
        fs.mkdirSync(c.production, { recursive: true });
        spawnSync('chown', [LOGIN, c.production]);
        const before = prod.acceptedLogins().length;
        const times = results[name];
        times[0].push(time(() => fn(c), staging));
        times[1].push(time(() => fn(c), staging));
        touchOnePercent(files, ++round);
        times[2].push(time(() => fn(c), staging));
        if (fn === hostoutPush) {
          logins += prod.acceptedLogins().length - before;
          hostoutRuns += 3;
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const floor = results[methods[0][0]].map(median);
    const pad = (s: string, n: number) => s.padEnd(n);
    const out: string[] = [];
    out.push(`bench/push (login ${LOGIN}): ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB, loopback sshd (${os.cpus().length} cores), median of ${ROUNDS} rounds`);
    out.push(`${pad('', 34)}${pad('first push', 20)}${pad('no-op push', 20)}${pad('1% touched', 20)}`);
    for (const [name] of methods) {
      const r = results[name].map(median);
      out.push(pad(name, 34) + r.map((t, i) => pad(`${t.toFixed(2)} s (${(t / floor[i]).toFixed(2)}x)`, 20)).join(''));
    }
    out.push('each run (s):');
    for (const [name] of methods) out.push(`  ${pad(name, 32)}${results[name].map((xs) => pad(xs.map((t) => t.toFixed(2)).join(' '), 20)).join('')}`);
    out.push(`sshd logins per hostout push run: ${(logins / hostoutRuns).toFixed(1)} (${hostoutRuns} runs, ${logins} logins; one identity)`);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await prod.stop();
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/push failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
