/**
 * bench/deploy: the cost of safe deploys. `hostout <site> push` (a new
 * release prepared with rsync --link-dest next to the live trees, then
 * flipped in by renames; docs/pushdeploy.md) against today's direct rsync
 * into the live trees (the floor of bench/push: a bare `rsync -a` of the same
 * folders over one shared ssh connection), side by side in one run, for a
 * first push, a no-op push and a push after touching 1% of the files; plus
 * the flip's own time and `hostout <site> rollback` including the restart of
 * a program under a real supervisord on production.
 *
 *   npm run build && node dist/bench/deploy/index.js        (as root; ~20,000 files / 200 MB)
 *   BENCH_FILES=2000 BENCH_MB=20 node dist/bench/deploy/index.js   (quick)
 *   BENCH_ROUNDS=5 …                                              (rounds, default 3; medians)
 *   BENCH_PAUSE=0 …                                               (no quiet between runs, default 3 s)
 *   BENCH_RTT=30 …                                                (every connection through bench/rtt's proxy: 30 ms
 *                                                                  round trips, and the round trips of each push counted)
 *   BENCH_BASELINE=/path/to/other/checkout/bin/hostout.js …        (also time that hostout's push: e.g. a
 *                                                                  build of main from before releases, "today's push")
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer } from '../../fixtures/servers';
import { inProduction, repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { RTT, startRttProxy, type RttProxy } from '../rtt';
import { bareRsync, buildStaging, touchOnePercent, time, type Ctx } from '../push/staging';

const FILES = Number(process.env.BENCH_FILES ?? 20000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 200) * 1024 * 1024;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** As bench/push: the effective user logs in, so no chown pass and no root dotfiles in the figures. */
const LOGIN = process.env.BENCH_USER ?? 'zope';
const DIRS = ['bin', 'eggs', 'parts'] as const;
const GROUP = 'bench';

const BASELINE = process.env.BENCH_BASELINE;
/**
 * Seconds of quiet before each timed run, for every method alike: deploys
 * come minutes apart, and a push leaves work running on production after it
 * returns (deleting pruned releases in the background) that the
 * next deploy should not pay for. BENCH_PAUSE=0 measures back-to-back pushes.
 */
const PAUSE = Number(process.env.BENCH_PAUSE ?? 3);

function hostout(c: Ctx, ...args: string[]): { seconds: number; out: string } {
  return hostoutFrom(path.join(repoRoot(), 'bin', 'hostout.js'), c, ...args);
}

function hostoutFrom(launcher: string, c: Ctx, ...args: string[]): { seconds: number; out: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync('node', [launcher, '-c', c.cfg, c.site, ...args], {
    cwd: path.dirname(c.cfg), encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 900000,
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`hostout ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return { seconds, out: `${r.stdout}${r.stderr}` };
}

/** A supervisord config in the staging etc/ (so it is part of every release), one program the restart lines restart. */
function writeSupervisorConf(c: Ctx): string {
  const conf = path.join(c.staging, 'etc', 'supervisord.conf');
  const v = `${c.staging}/var`;
  fs.writeFileSync(conf, [
    '[unix_http_server]', `file = ${v}/supervisor.sock`, '',
    '[supervisord]', `logfile = ${v}/supervisord.log`, `pidfile = ${v}/supervisord.pid`, '',
    '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface', '',
    '[supervisorctl]', `serverurl = unix://${v}/supervisor.sock`, '',
    `[program:app]`, 'command = sleep 100000', 'startsecs = 0', 'stopwaitsecs = 2', '',
    `[group:${GROUP}]`, 'programs = app', '',
  ].join('\n'));
  return conf;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/deploy needs root (it starts a namespaced sshd and writes /var/buildout)\n');
    process.exit(2);
  }
  const id = crypto.randomBytes(3).toString('hex');
  const site = `pd-bench-deploy-${id}`;
  const staging = `/var/buildout/${site}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-deploy-'));
  const prod = await startProductionSshServer({ authorizeClientKeyFor: [LOGIN], varBuildoutOnTmpfs: true });
  const c: Ctx = {
    prod, site, staging, production: path.join(prod.varBuildout as string, site), cfg: path.join(work, 'buildout.cfg'),
    key: prod.clientKeyPath, knownHosts: path.join(work, 'known_hosts'), control: path.join(work, 'cm-%C'),
  };
  let supervisorConf = '';
  let proxy: RttProxy | undefined;
  try {
    if (RTT !== undefined) {
      proxy = await startRttProxy(prod.port, RTT);
      c.port = proxy.port;
    }
    // Host keys are known by host and port: the proxy's port names the same server.
    fs.writeFileSync(c.knownHosts, `[127.0.0.1]:${c.port ?? prod.port} ${prod.hostKeyPublic}\n`);
    writeHostoutConfig(c.cfg, {
      [site]: {
        host: `127.0.0.1:${c.port ?? prod.port}`, 'identity-file': c.key, 'known-hosts-file': c.knownHosts,
        user: LOGIN, path: staging, 'buildout-user': 'root', 'effective-user': LOGIN,
        restart: `supervisorctl -c etc/supervisord.conf restart ${GROUP}:*`,
      },
    });
    fs.mkdirSync(staging, { recursive: true });
    process.stderr.write(`building the staging tree: ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB ...\n`);
    const files = buildStaging(staging, FILES, TOTAL_BYTES);
    supervisorConf = writeSupervisorConf(c);
    const baselineName = 'hostout push of BENCH_BASELINE';
    const names = ['bare rsync -a into the live trees (floor)', ...(BASELINE ? [baselineName] : []), 'hostout push with releases'];
    const results: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, [[], [], []]]));
    /** Round trips of each run (the exchanges the proxy counted), with BENCH_RTT. */
    const trips: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, [[], [], []]]));
    const exchanges = async () => (proxy ? proxy.exchanges() : 0);
    const flips: number[] = [];
    const flipRoundTrips: number[] = [];
    let round = 0;
    const fresh = () => {
      fs.rmSync(c.production, { recursive: true, force: true });
      fs.mkdirSync(c.production, { recursive: true });
      spawnSync('chown', [LOGIN, c.production]);
    };
    const push = () => {
      const r = hostout(c, 'push');
      const m = /flip ([\d.]+) ms on production, (\d+) ms with the round trip/.exec(r.out);
      if (m) {
        flips.push(Number(m[1]));
        flipRoundTrips.push(Number(m[2]));
      }
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of names) {
        fresh();
        const fn = name === names[0] ? () => bareRsync(c, LOGIN, DIRS) : name === baselineName ? () => void hostoutFrom(BASELINE as string, c, 'push') : push;
        const pause = () => spawnSync('sleep', [String(PAUSE)]);
        const timed = async (i: number) => {
          const before = await exchanges();
          results[name][i].push(time(fn, staging));
          trips[name][i].push((await exchanges()) - before);
        };
        await timed(0);
        pause();
        await timed(1);
        touchOnePercent(files, ++round);
        pause();
        await timed(2);
      }
    }
    // Rollback: production has releases now (the last method was hostout); start its supervisord, then roll back and forth.
    spawnSync('chown', ['-R', LOGIN, c.production]);
    inProduction(prod.pid, ['su', '-s', '/bin/sh', LOGIN, '-c', `supervisord -c ${staging}/etc/supervisord.conf`]);
    const rollbacks: number[] = [];
    let restarted = true;
    for (let r = 0; r < ROUNDS; r++) {
      const before = inProduction(prod.pid, ['supervisorctl', '-c', `${staging}/etc/supervisord.conf`, 'pid', `${GROUP}:app`], true).out.trim();
      rollbacks.push(hostout(c, 'rollback').seconds);
      const after = inProduction(prod.pid, ['supervisorctl', '-c', `${staging}/etc/supervisord.conf`, 'pid', `${GROUP}:app`], true).out.trim();
      restarted &&= before !== after && /^\d+$/.test(after);
      // Back to the newest release for the next round (a flip, no restart).
      const list = fs.readdirSync(path.join(c.production, '.hostout', 'releases')).sort();
      hostout(c, 'flip', list[list.length - 1]);
    }
    const floor = results[names[0]].map(median);
    const pad = (s: string, n: number) => s.padEnd(n);
    const out: string[] = [];
    if (BASELINE) out.push(`BENCH_BASELINE = ${BASELINE}`);
    out.push(`bench/deploy (login ${LOGIN}): ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB, loopback sshd (${os.cpus().length} cores)${RTT === undefined ? '' : `, round trip ${RTT} ms (proxy)`}, median of ${ROUNDS} rounds, ${PAUSE} s of quiet before each run`);
    if (RTT !== undefined) out.push('rt: round trips of the push, the exchanges the proxy counted (client sent, then server answered)');
    out.push(`${pad('', 44)}${pad('first push', 26)}${pad('no-op push', 26)}${pad('1% touched', 26)}`);
    for (const name of names) {
      const r = results[name].map(median);
      const rt = (i: number) => (RTT === undefined ? '' : `, ${median(trips[name][i])} rt`);
      out.push(pad(name, 44) + r.map((t, i) => pad(`${t.toFixed(2)} s (${(t / floor[i]).toFixed(2)}x${rt(i)})`, 26)).join(''));
    }
    out.push('each run (s):');
    // One column per case, wide enough for every round's figure (5 s 0.00 figures are 24 characters).
    const width = Math.max(20, 5 * ROUNDS + 2);
    for (const name of names) out.push(`  ${pad(name, 42)}${results[name].map((xs) => pad(xs.map((t) => t.toFixed(2)).join(' '), width)).join('')}`);
    out.push(`flip: median ${median(flips).toFixed(1)} ms of renames on production, ${median(flipRoundTrips)} ms with its round trip (${flips.length} flips: ${flips.map((f) => f.toFixed(1)).join(' ')})`);
    out.push(`rollback incl. restart of the supervisord program: median ${median(rollbacks).toFixed(2)} s (runs: ${rollbacks.map((t) => t.toFixed(2)).join(' ')}), program restarted each time: ${restarted}`);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    if (supervisorConf) inProduction(prod.pid, ['supervisorctl', '-c', `${staging}/etc/supervisord.conf`, 'shutdown'], true);
    await new Promise((r) => setTimeout(r, 500));
    await proxy?.stop();
    await prod.stop();
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}


main().catch((e: unknown) => {
  process.stderr.write(`bench/deploy failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
