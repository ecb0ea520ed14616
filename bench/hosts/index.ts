/**
 * bench/hosts: one staged site deployed to 1, 4, 8 and 16 loopback production
 * servers at once (the harness's namespaced sshds, fixtures/servers), by
 *
 * - the safe floor: the same safe deploy as hostout's (lock, new release of
 *   hard links, atomic renames live, restart, unlock) as the shortest shell
 *   over one OpenSSH connection per host (ControlMaster): one ssh, one
 *   `rsync -a --delete`, one ssh; every ratio is to it;
 * - the bare floor: one bare `rsync -a` of the site's trees per host, all hosts at once;
 * - rsync's batch mode: the floor's transfer computed once (`--write-batch`) and
 *   applied on the other hosts (`--read-batch`), to see what that idea could save;
 * - hostout: `hostout -q -P N web1 … webN deploy` (pushdeploy: push, then the restart line);
 * - Ansible (Debian's ansible): a playbook with ansible.posix.synchronize for
 *   each tree and a shell task for the restart, forks = N, host keys checked;
 * - Fabric 2 (Debian's python3-fabric): a ThreadingGroup that runs rsync for
 *   each tree (patchwork's way: `c.local("rsync …")`) and the restart, host keys checked;
 *
 * for a first deploy (production empty) and after touching 1% of the files.
 * Prints one table of seconds and ratios to the safe floor, how each method's
 * time grows from the fewest to the most hosts, and hostout's CPU time and
 * peak memory (GNU time's -v: the hostout process and the local processes it waited for).
 * BENCH_RTT=MS puts a proxy (bench/rtt) in front of every server that
 * delays each direction by MS/2 and counts round trips, printed per host.
 *
 *   npm run build && node dist/bench/hosts/index.js               (as root; 1000 files / 10 MB)
 *   BENCH_FILES=5000 BENCH_MB=50 node dist/bench/hosts/index.js  (the issue's size)
 *   BENCH_HOSTS=1,4 BENCH_ROUNDS=3 node dist/bench/hosts/index.js (host counts, default 1,4,8,16; rounds, medians)
 *   BENCH_METHODS=hostout node dist/bench/hosts/index.js           (the floors and only these methods: batch, hostout, ansible, fabric)
 *   BENCH_RTT=30 node dist/bench/hosts/index.js                     (30 ms round trips, and round trips counted)
 *   BENCH_COMPRESS=lz4 node dist/bench/hosts/index.js               (compress as hostout does by default; see COMPRESS)
 *   BENCH_BASELINE=/other/checkout/bin/hostout.js …                 (also that build's deploy, e.g. main before releases)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { exchangesOf, RTT, startRttProxy, type RttProxy } from '../rtt';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { buildStaging as buildPushStaging, fileContent } from '../push/staging';

const FILES = Number(process.env.BENCH_FILES ?? 1000);
const TOTAL_BYTES = Number(process.env.BENCH_MB ?? 10) * 1024 * 1024;
const HOST_COUNTS = (process.env.BENCH_HOSTS ?? '1,4,8,16').split(',').map(Number);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
/** Which methods beside the floor (always measured: every ratio is to it). */
const METHODS = (process.env.BENCH_METHODS ?? 'batch,hostout,ansible,fabric').split(',');
/** Production login for every method (also the effective user): Debian's default shell start-up, as in bench/push. */
const LOGIN = process.env.BENCH_USER ?? 'zope';
const TREES = ['bin', 'eggs', 'parts', 'etc', 'var'];
/** The trees of a release (var/ is production's own, in place, as in hostout's releases). */
const RELEASE_TREES = ['bin', 'eggs', 'parts', 'etc'];
/** GNU time, for hostout's CPU time and peak memory (Debian package `time`). */
const GNU_TIME = '/usr/bin/time';
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

/** `port`: where methods connect: the server's own, or its RTT proxy's (BENCH_RTT). */
interface Host { name: string; server: SshServer; key: string; production: string; port: number; proxy?: RttProxy }
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

const sshCommand = (c: Ctx, h: Host) => `ssh -i ${h.key} -p ${h.port} -o UserKnownHostsFile=${c.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`;

/**
 * The safe floor: what hostout's deploy guarantees, as the shortest shell over
 * one OpenSSH connection per host (a ControlMaster, all hosts at once):
 *
 * 1. one ssh: takes the lock (`mkdir .floor/lock`, refused when it exists, which
 *    ends the deploy), drops the release before the previous one, and starts
 *    the new release as hard links of the live trees (`cp -al` into .floor/next);
 * 2. one `rsync -a --delete` of the release trees into .floor/next over the
 *    master connection (a changed file is a new file renamed over its link:
 *    the live file is never written);
 * 3. one ssh: renames each live tree into .floor/prev (the way back) and the
 *    new one into its place (each rename atomic), runs the restart line and
 *    removes the lock.
 *
 * var/ is not sent: it is production's own (staging's holds an empty log/ here).
 */
const SAFE_PREPARE = [
  'mkdir -p .floor', 'mkdir .floor/lock', 'rm -rf .floor/next .floor/prev', 'mkdir .floor/next',
  `for t in ${RELEASE_TREES.join(' ')}; do if [ -d "$t" ]; then cp -al "$t" .floor/next/ || exit 1; fi; done`,
].join(' && ');
const SAFE_FLIP = [
  'mkdir .floor/prev',
  `for t in ${RELEASE_TREES.join(' ')}; do if [ -d "$t" ]; then mv "$t" .floor/prev/ || exit 1; fi; mv ".floor/next/$t" "$t" || exit 1; done`,
  'rmdir .floor/next', RESTART, 'rmdir .floor/lock',
].join(' && ');

async function safeFloor(c: Ctx, hosts: Host[]): Promise<void> {
  await Promise.all(hosts.map(async (h) => {
    const ssh = `${sshCommand(c, h)} -o ControlPath=${path.join(c.work, `cm-${h.name}`)}`;
    const target = `${LOGIN}@127.0.0.1`;
    const run = (script: string) => exec('ssh', [...ssh.split(' ').slice(1), target, `cd ${c.staging} && ${script}`]);
    try {
      await exec('ssh', [...ssh.split(' ').slice(1), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=yes', target, `cd ${c.staging} && ${SAFE_PREPARE}`]);
      await exec('rsync', ['-a', '--delete', '-R', '-e', ssh, ...RELEASE_TREES.map((t) => `${c.staging}/./${t}`), `${target}:${c.staging}/.floor/next/`]);
      await run(SAFE_FLIP);
    } finally {
      spawnSync('ssh', [...ssh.split(' ').slice(1), '-O', 'exit', target], { stdio: 'ignore' });
    }
  }));
}

/**
 * The safe floor really refuses a held lock: with .floor/lock made on the
 * first host beforehand, its deploy must fail and leave no new release.
 */
async function checkSafeFloorLock(c: Ctx, h: Host): Promise<void> {
  const lock = path.join(h.production, '.floor', 'lock');
  fs.mkdirSync(lock, { recursive: true });
  spawnSync('chown', ['-R', LOGIN, h.production]);
  const refused = await safeFloor(c, [h]).then(() => false, () => true);
  const started = fs.existsSync(path.join(h.production, '.floor', 'next'));
  fs.rmSync(h.production, { recursive: true, force: true });
  if (!refused || started) throw new Error('safe floor: a deploy went ahead while .floor/lock was held');
}

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

/** hostout's CPU seconds (user + system) and peak resident memory (MB) in its last run, from GNU time -v. */
let lastHostoutUsage = { cpu: 0, peakMb: 0 };

async function hostout(c: Ctx, hosts: Host[]): Promise<void> {
  const t = Date.now();
  const usage = path.join(c.work, 'hostout-time.txt');
  const out = await exec(GNU_TIME, ['-v', '-o', usage, 'node', path.join(repoRoot(), 'bin', 'hostout.js'), '--json', '-q', '-c', c.cfg, '-P', String(hosts.length), ...hosts.map((h) => h.name), 'deploy'], { cwd: c.work });
  const wall = (Date.now() - t) / 1000;
  const byKind = new Map<string, number>();
  /** Steps per kind: a remote (or sudo) step is one command on production, one channel of the connection and its answer. */
  const counts = new Map<string, number>();
  let ownRoundTrips = 0;
  for (const line of out.split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { type: string; kind?: string; durationMs?: number; summary?: Array<{ roundTrips?: number }> };
    if (e.type === 'run-end') ownRoundTrips = (e.summary ?? []).reduce((n, row) => n + (row.roundTrips ?? 0), 0) / hosts.length;
    if (e.type !== 'step') continue;
    byKind.set(e.kind as string, (byKind.get(e.kind as string) ?? 0) + (e.durationMs as number) / 1000);
    counts.set(e.kind as string, (counts.get(e.kind as string) ?? 0) + 1);
  }
  const v = fs.readFileSync(usage, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(v)?.[1] ?? NaN);
  lastHostoutUsage = { cpu: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'), peakMb: field('Maximum resident set size \\(kbytes\\)') / 1024 };
  lastHostoutSteps = `wall ${wall.toFixed(2)} s; steps summed over ${hosts.length} host(s): ${[...byKind].map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}; per host ${[...counts].filter(([k]) => k !== 'local').map(([k, v]) => `${v / hosts.length} ${k}`).join(', ')} step(s), run-end roundTrips ${ownRoundTrips} per host`;
}

async function ansible(c: Ctx, hosts: Host[]): Promise<void> {
  const inventory = path.join(c.work, 'inventory.ini');
  fs.writeFileSync(inventory, ['[web]', ...hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=${LOGIN} ansible_ssh_private_key_file=${h.key}`), ''].join('\n'));
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
  for (const h of hosts) spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${path.join(c.work, 'ansible-cp')}/%C`, '-p', String(h.port), `${LOGIN}@127.0.0.1`], { stdio: 'ignore' });
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
    hosts: hosts.map((h) => ({ port: h.port, key: h.key, ssh: sshCommand(c, h) })),
  }));
  await exec(PYTHON, [script, config], { cwd: c.work });
}

/**
 * Production's copies emptied, before a first deploy. A 1% change follows the
 * same method's first deploy, so each method deploys onto its own layout (a
 * bare rsync over hostout's releases would turn its tree links into
 * directories, and its next flip would refuse them).
 */
function resetProduction(hosts: Host[]): void {
  for (const h of hosts) {
    fs.rmSync(h.production, { recursive: true, force: true });
    fs.mkdirSync(h.production, { recursive: true });
    spawnSync('chown', [LOGIN, h.production]);
  }
}

/**
 * What arrived: every host has every 97th staging file with the same bytes (a
 * method that did nothing fails here), and the restart ran. For the safe
 * floor also its guarantees: the lock is given back, the previous release is
 * kept, and after a 1% change an untouched file is a hard link shared with it.
 */
function check(c: Ctx, hosts: Host[], files: string[], method: string, touched: number | undefined): void {
  for (const h of hosts) {
    for (const f of files.filter((_, i) => i % 97 === 0)) {
      const there = path.join(h.production, path.relative(c.staging, f));
      if (!fs.existsSync(there) || !fs.readFileSync(there).equals(fs.readFileSync(f))) throw new Error(`${method}: ${there} differs from staging`);
    }
    if (method !== 'floor' && !fs.existsSync(path.join(h.production, 'restarted'))) throw new Error(`${method}: no restart on ${h.name}`);
    if (method !== 'safe') continue;
    const floorDir = path.join(h.production, '.floor');
    if (fs.existsSync(path.join(floorDir, 'lock'))) throw new Error(`safe floor: the lock is still held on ${h.name}`);
    if (!fs.existsSync(path.join(floorDir, 'prev'))) throw new Error(`safe floor: no previous release on ${h.name}`);
    if (touched !== undefined) {
      const same = files.findIndex((_, i) => i % 100 !== touched % 100 && files[i].includes('/eggs/'));
      const live = path.join(h.production, path.relative(c.staging, files[same]));
      if (fs.statSync(live).nlink < 2) throw new Error(`safe floor: ${live} is not a hard link shared with the previous release`);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pad = (s: string, w: number) => s.padEnd(w);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/hosts needs root (it starts namespaced sshds and writes /var/buildout)\n');
    process.exit(2);
  }
  // What the requested methods need (Debian packages), said before anything starts.
  const missing = [
    ...(METHODS.includes('hostout') && !fs.existsSync(GNU_TIME) ? [`time (GNU time at ${GNU_TIME}, for hostout's CPU time and peak memory)`] : []),
    ...(METHODS.includes('ansible') && spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status !== 0 ? ['ansible (ansible-playbook)'] : []),
    ...(METHODS.includes('fabric') && spawnSync(PYTHON, ['-c', 'import fabric'], { stdio: 'ignore' }).status !== 0 ? ['python3-fabric (fabric for /usr/bin/python3)'] : []),
  ];
  if (missing.length > 0) {
    process.stderr.write(`bench/hosts needs: ${missing.join('; ')}. apt-get install them, or leave those methods out with BENCH_METHODS\n`);
    process.exit(2);
  }
  const id = crypto.randomBytes(3).toString('hex');
  const site = `hb-bench-${id}`;
  const staging = `/var/buildout/${site}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-'));
  const most = Math.max(...HOST_COUNTS);
  process.stderr.write(`starting ${most} production servers${RTT === undefined ? '' : `, each behind a proxy of ${RTT} ms round trips`} ...\n`);
  const servers = await Promise.all(Array.from({ length: most }, () => startProductionSshServer({ authorizeClientKeyFor: [LOGIN], varBuildoutOnTmpfs: true })));
  const proxies: RttProxy[] = [];
  try {
    const rtt = RTT;
    if (rtt !== undefined) proxies.push(...await Promise.all(servers.map((s) => startRttProxy(s.port, rtt))));
    const hosts: Host[] = servers.map((server, i) => {
      const key = path.join(work, `key${i + 1}`);
      fs.copyFileSync(server.clientKeyPath, key);
      fs.chmodSync(key, 0o600);
      return { name: `web${i + 1}`, server, key, production: path.join(server.varBuildout as string, site), port: proxies[i]?.port ?? server.port, proxy: proxies[i] };
    });
    const c: Ctx = { site, staging, work, knownHosts: path.join(work, 'known_hosts'), cfg: path.join(work, 'buildout.cfg'), hosts };
    // Host keys are known by host and port: the proxy's port names the same server.
    fs.writeFileSync(c.knownHosts, hosts.map((h) => `[127.0.0.1]:${h.port} ${h.server.hostKeyPublic}`).join('\n') + '\n');
    writeHostoutConfig(c.cfg, Object.fromEntries(hosts.map((h) => [h.name, {
      host: `127.0.0.1:${h.port}`, 'identity-file': h.key, 'known-hosts-file': c.knownHosts,
      user: LOGIN, path: staging, 'buildout-user': 'root', 'effective-user': LOGIN, restart: RESTART, 'rsync-compress': COMPRESS,
    }])));
    fs.mkdirSync(staging, { recursive: true });
    process.stderr.write(`building the staging tree: ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB ...\n`);
    const files = buildStaging(staging);
    await checkSafeFloorLock(c, hosts[0]);
    const peers: Array<[string, string, (c: Ctx, hosts: Host[]) => Promise<void>]> = [
      ['batch', 'floor, rsync batch (1 + N-1)', batch],
      ['hostout', 'hostout -P N deploy', hostout],
      ...(BASELINE ? [['hostout', 'BENCH_BASELINE -P N deploy', baseline] as [string, string, typeof baseline]] : []), ['ansible', 'Ansible synchronize, forks N', ansible], ['fabric', 'Fabric 2 ThreadingGroup', fabric],
    ];
    const SAFE = 'safe floor (lock, cp -al, rsync, mv)';
    const methods: Array<[string, (c: Ctx, hosts: Host[]) => Promise<void>]> = [
      [SAFE, safeFloor], ['floor (bare rsync -a per host)', floor], ...peers.filter(([key]) => METHODS.includes(key)).map(([, name, fn]) => [name, fn] as [string, typeof fn]),
    ];
    // results[method][n] = [first deploy, 1% change]: times, round trips per host; hostout's CPU and peak memory.
    const results: Record<string, Record<number, [number[], number[]]>> = {};
    const trips: Record<string, Record<number, [number[], number[]]>> = {};
    const usage: Record<number, [Array<{ cpu: number; peakMb: number }>, Array<{ cpu: number; peakMb: number }>]> = Object.fromEntries(HOST_COUNTS.map((n) => [n, [[], []]]));
    for (const [name] of methods) {
      results[name] = Object.fromEntries(HOST_COUNTS.map((n) => [n, [[], []]]));
      trips[name] = Object.fromEntries(HOST_COUNTS.map((n) => [n, [[], []]]));
    }
    let touch = 0;
    const breakdown: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      breakdown.length = 0; // the last round's, as printed
      for (const n of HOST_COUNTS) {
        const some = hosts.slice(0, n);
        const someProxies = some.flatMap((h) => (h.proxy ? [h.proxy] : []));
        for (const [name, fn] of methods) {
          for (const [phase, empty] of [[0, true], [1, false]] as const) {
            if (empty) resetProduction(some);
            if (!empty) {
              touch++;
              for (let i = touch; i < files.length; i += 100) fs.writeFileSync(files[i], fileContent(fs.statSync(files[i]).size, i + touch * 7));
            }
            spawnSync('sync');
            warm(staging);
            process.stderr.write(`${name}, ${n} host${n > 1 ? 's' : ''}, ${phase === 0 ? 'first deploy' : '1% changed'} ...\n`);
            const before = await exchangesOf(someProxies);
            const t = process.hrtime.bigint();
            await fn(c, some);
            results[name][n][phase].push(Number(process.hrtime.bigint() - t) / 1e9);
            trips[name][n][phase].push(((await exchangesOf(someProxies)) - before) / n);
            if (fn === hostout) {
              breakdown.push(`  ${n} host(s), ${phase === 0 ? 'first deploy' : '1% changed'}: ${lastHostoutSteps}`);
              usage[n][phase].push(lastHostoutUsage);
            }
            check(c, some, files, fn === safeFloor ? 'safe' : name.startsWith('floor') ? 'floor' : name, empty ? undefined : touch);
          }
        }
      }
    }
    const out: string[] = [];
    const cell = (name: string, n: number, p: number) => {
      const t = median(results[name][n][p]);
      const rt = RTT === undefined ? '' : `, ${Math.round(median(trips[name][n][p]))} rt`;
      return pad(`${t.toFixed(2)} s (${(t / median(results[SAFE][n][p])).toFixed(2)}x${rt})`, RTT === undefined ? 20 : 28);
    };
    const width = RTT === undefined ? 20 : 28;
    out.push(`bench/hosts (login ${LOGIN}, compression ${COMPRESS}): ${FILES} files, ${Math.round(TOTAL_BYTES / 1048576)} MB, loopback sshds, ${RTT === undefined ? 'no proxy' : `round trip ${RTT} ms (proxy)`}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, median of ${ROUNDS} round(s)`);
    out.push(`seconds (ratio to the safe floor${RTT === undefined ? '' : '; rt: round trips per host, the exchanges the proxy counted'})`);
    out.push(pad('', 42) + HOST_COUNTS.flatMap((n) => [pad(`${n} host(s) first`, width), pad(`${n} host(s) 1%`, width)]).join(''));
    for (const [name] of methods) out.push(pad(name, 42) + HOST_COUNTS.flatMap((n) => [0, 1].map((p) => cell(name, n, p))).join(''));
    const [fewest, most2] = [Math.min(...HOST_COUNTS), Math.max(...HOST_COUNTS)];
    if (most2 > fewest) {
      out.push(`growth from ${fewest} to ${most2} host(s) (time at ${most2} / time at ${fewest}):`);
      for (const [name] of methods) {
        const g = (p: number) => (median(results[name][most2][p]) / median(results[name][fewest][p])).toFixed(2);
        out.push(`  ${pad(name, 40)}first ${g(0)}x, 1% ${g(1)}x`);
      }
    }
    if (METHODS.includes('hostout')) {
      out.push('hostout\'s CPU time (user + system, with the local rsyncs and relays it ran) per host, and peak memory (largest process):');
      for (const n of HOST_COUNTS) {
        const u = (p: number) => { const xs = usage[n][p]; return `${(median(xs.map((x) => x.cpu)) / n).toFixed(2)} s/host, ${Math.round(median(xs.map((x) => x.peakMb)))} MB`; };
        out.push(`  ${pad(`${n} host(s)`, 12)}first ${u(0)}; 1% ${u(1)}`);
      }
    }
    out.push('hostout (last round), where the time went:', ...breakdown);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await Promise.allSettled(proxies.map((p) => p.stop()));
    await Promise.allSettled(servers.map((s) => s.stop()));
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/hosts failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
