/**
 * bench/zero-downtime: requests through haproxy while deploying, side by side
 * in one run (docs/pushdeploy.md, "Zero-downtime deploys"):
 *
 *   (a) the deploy as before: `restart = supervisorctl restart site:*`;
 *   (b) the rolling deploy (`instances`, haproxy drain/ready, health per instance);
 *   (c) a rolling deploy whose release fails its health check (automatic rollback);
 *   (d) two hosts, `-P 2` (one host at a time, one haproxy in front of both).
 *
 * Production is two loopback sshds in their own mount namespaces, each with a
 * real supervisord running two instances of fixtures/rolling/app.py (they listen
 * 2 s after they start, like Zope) and a real haproxy on the first. A bounded
 * Node loop (BENCH_CONCURRENCY keep-alive clients, default 8) sends GETs through
 * haproxy while each scenario deploys again and again until BENCH_REQUESTS
 * (default 10,000) requests were made. Prints requests, failed requests, the
 * longest request and the median deploy time.
 *
 *   npm run build && node dist/bench/zero-downtime/index.js     (as root)
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import {
  Balancer, SiteSupervisor, instancesOption, makeInstances, seedPorts, setRelease, startLoad, waitForAll, writeStagingSite,
  type AppInstance, type LoadResult,
} from '../../fixtures/rolling';

const MIN_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function hostout(cfg: string, cwd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOSTOUT, '-c', cfg, ...args], { cwd, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

interface Row {
  label: string;
  deploys: number;
  exitCodes: Set<number | null>;
  load: LoadResult;
  deployMs: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: it starts sshd servers in mount namespaces');
  const id = crypto.randomBytes(3).toString('hex');
  const site = `zdt-${id}`;
  const sitePath = `/var/buildout/${site}`;
  if (fs.existsSync(sitePath)) throw new Error(`${sitePath} exists`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-zdt-'));
  let prods: SshServer[] = [];
  const supervisors: SiteSupervisor[] = [];
  let balancer: Balancer | undefined;
  try {
    prods = await Promise.all([0, 1].map(() => startProductionSshServer({ authorizeClientKeyFor: ['root'] })));
    const hostSite = (k: number) => path.join(prods[k].varBuildout as string, site);
    const inst: AppInstance[][] = [];
    for (const [k, h] of ['a', 'b'].entries()) {
      inst.push((await makeInstances(2)).map((i, n) => ({ ...i, server: `${h}-${n + 1}` })));
      seedPorts(hostSite(k), inst[k]);
    }
    let release = 0;
    const good = () => setRelease(sitePath, { release: `r${++release}`, delayMs: 10 });
    writeStagingSite(sitePath, site, ['instance1', 'instance2'], { release: 'r0', delayMs: 10 });
    const knownHosts = path.join(work, 'known_hosts');
    fs.writeFileSync(knownHosts, prods.map((p) => p.knownHostsLine).join('\n') + '\n');
    const cfg = path.join(work, 'buildout.cfg');
    const host = (k: number) => ({
      host: `127.0.0.1:${prods[k].port}`, 'known-hosts-file': knownHosts, user: 'root', 'identity-file': prods[k].clientKeyPath,
      path: sitePath, hostname: site, restart: `supervisorctl restart ${site}:*`,
    });
    const rolling = (k: number) => ({ ...host(k), instances: instancesOption(inst[k]), 'health-timeout': '30', 'drain-timeout': '10' });
    const write = (socket: string) => writeHostoutConfig(cfg, {
      a: host(0),
      b: { ...rolling(0), 'haproxy-socket': socket, 'haproxy-backend': 'one' },
      c: { ...rolling(0), 'haproxy-socket': socket, 'haproxy-backend': 'one', 'health-timeout': '8' },
      web1: { ...rolling(0), 'haproxy-socket': socket, 'haproxy-backend': 'two' },
      web2: { ...rolling(1), 'haproxy-host': 'web1', 'haproxy-backend': 'two' },
    });
    write('/nonexistent');
    for (const part of ['a', 'web2']) {
      const r = await hostout(cfg, work, [part, 'push']);
      if (r.code !== 0) throw new Error(`push ${part}: ${r.out}`);
    }
    for (const k of [0, 1]) {
      supervisors.push(new SiteSupervisor(prods[k].pid, sitePath, hostSite(k)));
      await supervisors[k].start(inst[k]);
    }
    // Backend `one`: the first host's instances (a–c); `two`: both hosts' (d).
    balancer = await Balancer.startBackends(prods[0].pid, prods[0].varBuildout as string, { one: inst[0], two: [...inst[0], ...inst[1]] });
    write(balancer.socket);

    const scenario = async (label: string, port: number, args: string[], prepare: () => void): Promise<Row> => {
      await waitForAll(inst.flat(), 30000);
      await new Promise((r) => setTimeout(r, 3000)); // haproxy's checks see every server up
      const row: Row = { label, deploys: 0, exitCodes: new Set(), load: undefined as unknown as LoadResult, deployMs: [] };
      const load = startLoad(port, CONCURRENCY);
      while (load.snapshot().requests < MIN_REQUESTS || row.deploys === 0) {
        prepare();
        const t = Date.now();
        const r = await hostout(cfg, work, args);
        row.deployMs.push(Date.now() - t);
        row.deploys++;
        row.exitCodes.add(r.code);
        if (r.code !== 0 && !label.startsWith('(c)')) say(`${label}: hostout exited ${r.code}:\n${r.out}`);
        // (a) leaves haproxy with no server until its checks see them again: wait as the next deploy would.
        await waitForAll(inst.flat(), 30000);
      }
      row.load = await load.stop();
      say(`${label}: ${row.deploys} deploys, ${row.load.requests} requests, ${row.load.failed} failed${row.load.errors.length ? ` (${row.load.errors.join('; ')})` : ''}`);
      return row;
    };

    const rows: Row[] = [];
    rows.push(await scenario('(a) restart = supervisorctl restart site:*', balancer.ports.one, ['a', 'deploy'], good));
    rows.push(await scenario('(b) rolling deploy', balancer.ports.one, ['b', 'deploy'], good));
    rows.push(await scenario('(c) rolling deploy, health check fails (rollback)', balancer.ports.one, ['c', 'deploy'],
      () => setRelease(sitePath, { release: `broken${++release}`, status: 500, delayMs: 10 })));
    rows.push(await scenario('(d) two hosts, -P 2', balancer.ports.two, ['-P', '2', 'web1', 'web2', 'deploy'], good));

    say('');
    say(`requests through haproxy (${CONCURRENCY} keep-alive clients) while deploying, until ${MIN_REQUESTS} requests per scenario:`);
    say('');
    say('| scenario | deploys | exit | requests | failed | longest request | deploy time (median) |');
    say('|---|---|---|---|---|---|---|');
    const base = median(rows[0].deployMs);
    for (const r of rows) {
      const m = median(r.deployMs);
      say(`| ${r.label} | ${r.deploys} | ${[...r.exitCodes].join(',')} | ${r.load.requests} | ${r.load.failed} | ${r.load.longestMs} ms | ${(m / 1000).toFixed(1)} s (${(m / base).toFixed(2)}× of (a)) |`);
    }
  } finally {
    await balancer?.stop().catch(() => undefined);
    for (const s of supervisors) await s.stop().catch(() => undefined);
    await Promise.allSettled(prods.map((p) => p.stop()));
    fs.rmSync(sitePath, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/zero-downtime: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
