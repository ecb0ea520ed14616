/**
 * bench/hosts: one staged site deployed to 1, 4 and 8 loopback production
 * servers at once (the harness's namespaced sshds, fixtures/servers), by
 *
 * - the floor: one bare `rsync -a` of the site's trees per host, all hosts at once;
 * - rsync's batch mode: the floor's transfer computed once (`--write-batch`) and
 *   applied on the other hosts (`--read-batch`), to see what that idea could save;
 * - hostout: `hostout -q -P N web1 … webN deploy` (pushdeploy: push, then the restart line);
 * - Ansible (Debian's ansible): a playbook with ansible.posix.synchronize for
 *   each tree and a shell task for the restart, forks = N, host keys checked;
 * - Fabric 2 (Debian's python3-fabric): a ThreadingGroup that runs rsync for
 *   each tree (patchwork's way: `c.local("rsync …")`) and the restart, host keys checked;
 *
 * for a first deploy (production empty) and after touching 1% of the files.
 * Prints one table of seconds and ratios to the floor.
 *
 *   npm run build && node dist/bench/hosts/index.js               (as root; 1000 files / 10 MB)
 *   BENCH_FILES=5000 BENCH_MB=50 node dist/bench/hosts/index.js  (the issue's size)
 *   BENCH_HOSTS=1,4 BENCH_ROUNDS=3 node dist/bench/hosts/index.js (host counts; rounds, medians)
 *   BENCH_METHODS=hostout node dist/bench/hosts/index.js           (the floor and only these methods: batch, hostout, ansible, fabric)
 *   BENCH_COMPRESS=lz4 node dist/bench/hosts/index.js               (compress as hostout does by default; see COMPRESS)
 *   BENCH_BASELINE=/other/checkout/bin/hostout.js …                 (also that build's deploy, e.g. main before releases)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { buildStaging as buildPushStaging, fileContent } from '../push/staging';

const FILES = Number(process.env.BENCH_FILES ?? 1000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 10) * 1024 * 1024;
const HOST_COUNTS = (process.env.BENCH_HOSTS ?? '1,4,8').split(',').map(Number);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
/** Which methods beside the floor (always measured: every ratio is to it). */
const METHODS = (process.env.BENCH_METHODS ?? 'batch,hostout,ansible,fabric').split(',');
/** Production login for every method (also the effective user): Debian's default shell start-up, as in bench/push. */
const LOGIN = process.env.BENCH_USER ?? 'zope';
const TREES = ['bin', 'eggs', 'parts', 'etc', 'var'];
/** Debian's Python, which has fabric (a pyenv python3 on PATH may not). */
const PYTHON = '/usr/bin/python3';
const RESTART = 'date +%s%N > restarted';
/**
 * rsync's compression for every method: none by default, as the floor's bare
 * `rsync -a` and Fabric's rsync. On loopback compression only costs CPU, which
 * on 2 cores is wall time: hostout is told `rsync-compress = no` (its
 * default, lz4, is for real links) and Ansible's synchronize `compress: false`
 * (its default is zlib). BENCH_COMPRESS=lz4 measures hostout's default (and
 * lets Ansible compress as it does by default).
 */
const COMPRESS = process.env.BENCH_COMPRESS ?? 'no';

interface Host { name: string; server: SshServer; key: string; production: string }
interface Ctx { site: string; staging: string; work: string; knownHosts: string; cfg: string; hosts: Host[] }

/** The staged site of bench/push (same file mix), plus var/log: the run log's folder on staging. */
function buildStaging(staging: string): string[] {
  const files = buildPushStaging(staging, FILES, TOTAL_BYTES);
  fs.mkdirSync(path.join(staging, 'var', 'log'), { recursive: true });
  return files;
}

/** Every file of a tree read once: each method starts with the staging tree in the page cache (see bench/push). */
function warm(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) warm(p);
    else if (e.isFile()) fs.readFileSync(p);
  }
}

/** Runs a command to its end; its stdout. `input`: a file for its standard input. */
function exec(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const fd = opts.input === undefined ? 'ignore' : fs.openSync(opts.input, 'r');
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [fd, 'pipe', 'pipe'] });
    if (typeof fd === 'number') fs.closeSync(fd);
    let out = '';
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out.slice(-3000)}`));
    });
  });
}

const sshCommand = (c: Ctx, h: Host) => `ssh -i ${h.key} -p ${h.server.port} -o UserKnownHostsFile=${c.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`;

/** The floor: one `rsync -a` per host (every tree in one run, one connection), all hosts at once. */
async function floor(c: Ctx, hosts: Host[]): Promise<void> {
  await Promise.all(hosts.map((h) => exec('rsync', ['-a', '-R', '-e', sshCommand(c, h), ...TREES.map((t) => `${c.staging}/./${t}`), `${LOGIN}@127.0.0.1:${c.staging}/`])));
}

/**
 * rsync's batch mode, the issue's idea for many hosts that hold the same
 * release: the delta is computed once, against the first host
 * (`--write-batch`), then the batch file is applied on every other host at
 * once (`rsync --read-batch=-` over ssh, the file on its stdin). Bare rsync
 * and ssh like the floor (no release, lock or restart); it only shows what the
 * idea could save, and it is only correct when every host holds exactly what
 * the first one did.
 */
async function batch(c: Ctx, hosts: Host[]): Promise<void> {
  const file = path.join(c.work, 'rsync-batch');
  const [first, ...rest] = hosts;
  await exec('rsync', ['-a', '-R', `--write-batch=${file}`, '-e', sshCommand(c, first), ...TREES.map((t) => `${c.staging}/./${t}`), `${LOGIN}@127.0.0.1:${c.staging}/`]);
  await Promise.all(rest.map((h) => exec('ssh', [...sshCommand(c, h).split(' ').slice(1), `${LOGIN}@127.0.0.1`, `rsync -a -R --read-batch=- ${c.staging}/`], { input: file })));
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.sh`, { force: true });
}

/** Where hostout's time went in its last run, from its --json step events: seconds per kind of step, summed over hosts. */
let lastHostoutSteps = '';

/** BENCH_BASELINE: another build's bin/hostout.js (e.g. main before releases, "today's deploy"), run the same way. */
const BASELINE = process.env.BENCH_BASELINE;

async function baseline(c: Ctx, hosts: Host[]): Promise<void> {
  await exec('node', [BASELINE as string, '-q', '-c', c.cfg, '-P', String(hosts.length), ...hosts.map((h) => h.name), 'deploy'], { cwd: c.work });
}

async function hostout(c: Ctx, hosts: Host[]): Promise<void> {
  const t = Date.now();
  const out = await exec('node', [path.join(repoRoot(), 'bin', 'hostout.js'), '--json', '-q', '-c', c.cfg, '-P', String(hosts.length), ...hosts.map((h) => h.name), 'deploy'], { cwd: c.work });
  const wall = (Date.now() - t) / 1000;
  const byKind = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { type: string; kind?: string; durationMs?: number };
    if (e.type === 'step') byKind.set(e.kind as string, (byKind.get(e.kind as string) ?? 0) + (e.durationMs as number) / 1000);
  }
  lastHostoutSteps = `wall ${wall.toFixed(2)} s; steps summed over ${hosts.length} host(s): ${[...byKind].map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`;
}

async function ansible(c: Ctx, hosts: Host[]): Promise<void> {
  const inventory = path.join(c.work, 'inventory.ini');
  fs.writeFileSync(inventory, ['[web]', ...hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.server.port} ansible_user=${LOGIN} ansible_ssh_private_key_file=${h.key}`), ''].join('\n'));
  const playbook = path.join(c.work, 'deploy.yml');
  fs.writeFileSync(playbook, [
    '- hosts: web',
    '  gather_facts: false',
    '  tasks:',
    '    - name: trees',
    '      ansible.posix.synchronize:',
    `        src: "${c.staging}/{{ item }}/"`,
    `        dest: "${c.staging}/{{ item }}"`,
    '        archive: true',
    '        use_ssh_args: true',
    `        compress: ${COMPRESS === 'no' ? 'false' : 'true'}`,
    `      loop: [${TREES.join(', ')}]`,
    '    - name: restart',
    `      ansible.builtin.shell: "${RESTART}"`,
    '      args:',
    `        chdir: "${c.staging}"`,
    '',
  ].join('\n'));
  await exec('ansible-playbook', ['-i', inventory, '-f', String(hosts.length), playbook], {
    cwd: c.work,
    env: {
      ...process.env,
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${c.knownHosts}`,
      ANSIBLE_PYTHON_INTERPRETER: PYTHON,
      ANSIBLE_LOCAL_TEMP: path.join(c.work, 'ansible-tmp'),
      ANSIBLE_CONTROL_PATH_DIR: path.join(c.work, 'ansible-cp'),
      ANSIBLE_NOCOLOR: '1',
    },
  });
  // ControlPersist keeps a master per host: end them, as each hostout run ends its connections.
  for (const h of hosts) spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${path.join(c.work, 'ansible-cp')}/%C`, '-p', String(h.server.port), `${LOGIN}@127.0.0.1`], { stdio: 'ignore' });
}

const FABFILE = `
import json, sys
import paramiko
from concurrent.futures import ThreadPoolExecutor
from fabric import Connection, ThreadingGroup

cfg = json.load(open(sys.argv[1]))
conns = []
for h in cfg['hosts']:
    c = Connection('127.0.0.1', port=h['port'], user=cfg['user'],
                   connect_kwargs={'key_filename': h['key'], 'look_for_keys': False, 'allow_agent': False})
    c.client.load_host_keys(cfg['known_hosts'])
    c.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    conns.append(c)

def push(ch):
    c, h = ch
    for t in cfg['trees']:
        c.local("rsync -a -e '%s' %s/%s/ %s@127.0.0.1:%s/%s" % (h['ssh'], cfg['staging'], t, cfg['user'], cfg['staging'], t), hide=True)

with ThreadPoolExecutor(len(conns)) as pool:
    list(pool.map(push, zip(conns, cfg['hosts'])))
ThreadingGroup.from_connections(conns).run('cd %s && %s' % (cfg['staging'], cfg['restart']), hide=True)
`;

async function fabric(c: Ctx, hosts: Host[]): Promise<void> {
  const script = path.join(c.work, 'fab_deploy.py');
  fs.writeFileSync(script, FABFILE);
  const config = path.join(c.work, 'fab.json');
  fs.writeFileSync(config, JSON.stringify({
    user: LOGIN, staging: c.staging, trees: TREES, restart: RESTART, known_hosts: c.knownHosts,
    hosts: hosts.map((h) => ({ port: h.server.port, key: h.key, ssh: sshCommand(c, h) })),
  }));
  await exec(PYTHON, [script, config], { cwd: c.work });
}

/** Production's copies, emptied (a first deploy) or brought up to date untimed (before a 1% change). */
function resetProduction(c: Ctx, hosts: Host[], empty: boolean): Promise<void> {
  for (const h of hosts) {
    if (empty) fs.rmSync(h.production, { recursive: true, force: true });
    fs.mkdirSync(h.production, { recursive: true });
    spawnSync('chown', [LOGIN, h.production]);
  }
  return empty ? Promise.resolve() : floor(c, hosts);
}

/** What arrived: every host has every staging file of eggs with the same size (a method that did nothing fails here). */
function check(c: Ctx, hosts: Host[], files: string[], method: string): void {
  for (const h of hosts) {
    for (const f of files.filter((_, i) => i % 97 === 0)) {
      const there = path.join(h.production, path.relative(c.staging, f));
      if (!fs.existsSync(there) || !fs.readFileSync(there).equals(fs.readFileSync(f))) throw new Error(`${method}: ${there} differs from staging`);
    }
    if (method !== 'floor' && !fs.existsSync(path.join(h.production, 'restarted'))) throw new Error(`${method}: no restart on ${h.name}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/hosts needs root (it starts namespaced sshds and writes /var/buildout)\n');
    process.exit(2);
  }
  const id = crypto.randomBytes(3).toString('hex');
  const site = `hb-bench-${id}`;
  const staging = `/var/buildout/${site}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-'));
  const most = Math.max(...HOST_COUNTS);
  process.stderr.write(`starting ${most} production servers ...\n`);
  const servers = await Promise.all(Array.from({ length: most }, () => startProductionSshServer({ authorizeClientKeyFor: [LOGIN], varBuildoutOnTmpfs: true })));
  try {
    const hosts: Host[] = servers.map((server, i) => {
      const key = path.join(work, `key${i + 1}`);
      fs.copyFileSync(server.clientKeyPath, key);
      fs.chmodSync(key, 0o600);
      return { name: `web${i + 1}`, server, key, production: path.join(server.varBuildout as string, site) };
    });
    const c: Ctx = { site, staging, work, knownHosts: path.join(work, 'known_hosts'), cfg: path.join(work, 'buildout.cfg'), hosts };
    fs.writeFileSync(c.knownHosts, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
    writeHostoutConfig(c.cfg, Object.fromEntries(hosts.map((h) => [h.name, {
      host: `127.0.0.1:${h.server.port}`, 'identity-file': h.key, 'known-hosts-file': c.knownHosts,
      user: LOGIN, path: staging, 'buildout-user': 'root', 'effective-user': LOGIN, restart: RESTART, 'rsync-compress': COMPRESS,
    }])));
    fs.mkdirSync(staging, { recursive: true });
    process.stderr.write(`building the staging tree: ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB ...\n`);
    const files = buildStaging(staging);
    const peers: Array<[string, string, (c: Ctx, hosts: Host[]) => Promise<void>]> = [
      ['batch', 'floor, rsync batch (1 + N-1)', batch],
      ['hostout', 'hostout -P N deploy', hostout],
      ...(BASELINE ? [['hostout', 'BENCH_BASELINE -P N deploy', baseline] as [string, string, typeof baseline]] : []), ['ansible', 'Ansible synchronize, forks N', ansible], ['fabric', 'Fabric 2 ThreadingGroup', fabric],
    ];
    const methods: Array<[string, (c: Ctx, hosts: Host[]) => Promise<void>]> = [
      ['floor (bare rsync -a per host)', floor], ...peers.filter(([key]) => METHODS.includes(key)).map(([, name, fn]) => [name, fn] as [string, typeof fn]),
    ];
    // results[method][n] = [first deploy times, 1% change times]
    const results: Record<string, Record<number, [number[], number[]]>> = {};
    for (const [name] of methods) results[name] = Object.fromEntries(HOST_COUNTS.map((n) => [n, [[], []]]));
    let touch = 0;
    const breakdown: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      breakdown.length = 0; // the last round's, as printed
      for (const n of HOST_COUNTS) {
        const some = hosts.slice(0, n);
        for (const [name, fn] of methods) {
          for (const [phase, empty] of [[0, true], [1, false]] as const) {
            await resetProduction(c, some, empty);
            if (!empty) {
              touch++;
              for (let i = touch; i < files.length; i += 100) fs.writeFileSync(files[i], fileContent(fs.statSync(files[i]).size, i + touch * 7));
            }
            spawnSync('sync');
            warm(staging);
            process.stderr.write(`${name}, ${n} host${n > 1 ? 's' : ''}, ${phase === 0 ? 'first deploy' : '1% changed'} ...\n`);
            const t = process.hrtime.bigint();
            await fn(c, some);
            results[name][n][phase].push(Number(process.hrtime.bigint() - t) / 1e9);
            if (fn === hostout) breakdown.push(`  ${n} host(s), ${phase === 0 ? 'first deploy' : '1% changed'}: ${lastHostoutSteps}`);
            check(c, some, files, name.startsWith('floor') ? 'floor' : name);
          }
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const pad = (s: string, w: number) => s.padEnd(w);
    const floorName = methods[0][0];
    const out: string[] = [];
    out.push(`bench/hosts (login ${LOGIN}, compression ${COMPRESS}): ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB, loopback sshds, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, median of ${ROUNDS} round(s)`);
    out.push(pad('', 34) + HOST_COUNTS.flatMap((n) => [pad(`${n} host(s) first`, 20), pad(`${n} host(s) 1%`, 20)]).join(''));
    for (const [name] of methods) {
      const cells = HOST_COUNTS.flatMap((n) => [0, 1].map((p) => {
        const t = median(results[name][n][p]);
        return pad(`${t.toFixed(2)} s (${(t / median(results[floorName][n][p])).toFixed(2)}x)`, 20);
      }));
      out.push(pad(name, 34) + cells.join(''));
    }
    out.push('hostout (last round), where the time went:', ...breakdown);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/hosts failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
