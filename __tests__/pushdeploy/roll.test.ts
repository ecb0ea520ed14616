/**
 * The rolling restart's options, haproxy's `show stat`, and the order of a
 * roll's steps against the recording transport (the real haproxy and
 * supervisord are in e2e-rolling.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPluginForTest, type PluginTest } from '../../lib/testing';
import { parseShowStat } from '../../plugins/pushdeploy/haproxy';
import { parseInstances, readRollSettings, restartLine, healthUrl } from '../../plugins/pushdeploy/roll-settings';

const STAT_HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status';
const stat = (rows: string[][]) => [STAT_HEADER, ...rows.map((r) => r.join(','))].join('\n') + '\n';
const row = (px: string, sv: string, scur: number, status = 'UP') => [px, sv, '0', '0', String(scur), '0', '', '0', '0', '0', '', '0', '', '0', '0', '0', '0', status];

describe('roll settings', () => {
  test('instances: NAME:PORT and NAME:PORT:SERVER', () => {
    expect(parseInstances('s', 'instance1:8081  instance2:8082:web1-2')).toEqual([
      { name: 'instance1', port: 8081, server: 'instance1' },
      { name: 'instance2', port: 8082, server: 'web1-2' },
    ]);
  });

  test.each(['instance1', 'instance1:http', '-x:80', 'a:0', 'a:70000', 'a:80:b:c', 'a:80:-b'])('instances word %s is refused with an example', (word) => {
    expect(() => parseInstances('s', word)).toThrow(/is not NAME:PORT or NAME:PORT:SERVER.*instances = instance1:8081/);
  });

  test('a name listed twice is refused', () => {
    expect(() => parseInstances('s', 'a:1 a:2')).toThrow(/'a' is listed twice/);
  });

  test('no instances: no roll; defaults otherwise', () => {
    expect(readRollSettings('s', {}, 'g')).toBeUndefined();
    expect(readRollSettings('s', { instances: '  ' }, 'g')).toBeUndefined();
    const r = readRollSettings('s', { instances: 'instance1:8081 instance2:8082' }, 'my site')!;
    expect(r).toMatchObject({ healthTimeout: 120, drainTimeout: 30, batch: 1, canary: false, canaryWait: 30, balancer: undefined });
    // {group} is quoted for the shell; names and ports are checked words.
    expect(restartLine(r, r.instances[0])).toBe("supervisorctl restart 'my site':instance1");
    expect(healthUrl(r, r.instances[1])).toBe('http://127.0.0.1:8082/');
  });

  test('haproxy options must come together, and rolling-batch must leave one instance serving', () => {
    expect(() => readRollSettings('s', { instances: 'a:1 b:2', 'haproxy-socket': '/run/h.sock' }, 'g')).toThrow(/haproxy-backend is not: set it/);
    expect(() => readRollSettings('s', { instances: 'a:1 b:2', 'haproxy-backend': 'plone' }, 'g')).toThrow(/haproxy-socket is not/);
    expect(() => readRollSettings('s', { instances: 'a:1 b:2', 'haproxy-socket': 'run/h.sock', 'haproxy-backend': 'plone' }, 'g')).toThrow(/absolute path/);
    expect(() => readRollSettings('s', { instances: 'a:1 b:2', 'rolling-batch': '2' }, 'g')).toThrow(/rolling-batch = 2 would restart every instance at once.*at most 1/);
    expect(readRollSettings('s', { instances: 'a:1 b:2', 'haproxy-host': 'lb', 'haproxy-backend': 'plone' }, 'g')?.balancer).toEqual({ socket: undefined, backend: 'plone', part: 'lb' });
  });
});

describe("haproxy's show stat", () => {
  test('the servers of one backend with their current sessions', () => {
    const csv = stat([row('site', 'FRONTEND', 3), row('plone', 'instance1', 2), row('plone', 'instance2', 0, 'DRAIN'), row('plone', 'BACKEND', 2), row('other', 'x', 5)]);
    expect(parseShowStat(csv, 'plone')).toEqual(new Map([
      ['instance1', { name: 'instance1', scur: 2, status: 'UP' }],
      ['instance2', { name: 'instance2', scur: 0, status: 'DRAIN' }],
    ]));
    expect(parseShowStat(csv, 'nosuch')).toBeUndefined();
    expect(parseShowStat('Unknown command.\n', 'plone')).toBeUndefined();
  });
});

describe('the roll against the recording transport', () => {
  let t: PluginTest;
  // activate reads the staging buildout (for its parts/system/etc): an empty one.
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'roll-test-'));
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  afterEach(() => t?.close());
  afterAll(() => fs.rmSync(staging, { recursive: true, force: true }));

  const options = {
    path: staging, user: 'root', hostname: 'site', instances: 'instance1:8081 instance2:8082',
    'haproxy-socket': '/run/haproxy/admin.sock', 'haproxy-backend': 'plone',
  };
  // The deploy lock is free (lock.ts answers 'acquired' to its mkdir).
  const lock = { match: /action=attempt\n/, result: { stdout: 'acquired\n' } };
  const responses = [
    lock,
    { match: 'show stat', result: { stdout: stat([row('plone', 'instance1', 0), row('plone', 'instance2', 0), row('plone', 'BACKEND', 0)]) } },
    { match: 'http-get', result: { stdout: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok' } },
  ];

  test('activate: each instance drained, restarted, healthy and ready before the next; no restart line', async () => {
    t = await loadPluginForTest('hostout.pushdeploy', { options, responses });
    await t.run('activate');
    const steps = t.records
      .map((l) => /admin\.sock <- (set server \S+ state \w+)|supervisorctl restart ([\w:.-]+)|http-get\(\S+\): (\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => m[1] ?? m[2] ?? m[3]);
    expect(steps).toEqual([
      'set server plone/instance1 state drain', 'site:instance1', 'http://127.0.0.1:8081/', 'set server plone/instance1 state ready',
      'set server plone/instance2 state drain', 'site:instance2', 'http://127.0.0.1:8082/', 'set server plone/instance2 state ready',
    ]);
    expect(t.records.join('\n')).not.toMatch(/restart site:\*/);
  });

  test('activate reports each instance\'s drain, drained, restart, healthy and ready as plugin steps, with durations', async () => {
    t = await loadPluginForTest('hostout.pushdeploy', { options, responses });
    await t.run('activate');
    expect(t.reports.map((r) => `${r.kind} ${r.step} ${r.subject}`)).toEqual([
      'roll drain instance1', 'roll drained instance1', 'roll restart instance1', 'roll healthy instance1', 'roll ready instance1',
      'roll drain instance2', 'roll drained instance2', 'roll restart instance2', 'roll healthy instance2', 'roll ready instance2',
    ]);
    for (const r of t.reports) {
      expect(r).toMatchObject({ host: 'site', plugin: 'hostout.pushdeploy', durationMs: expect.any(Number) });
      expect(r.fields).toMatchObject({ server: `plone/${r.subject}`, port: r.subject === 'instance1' ? 8081 : 8082 });
    }
    expect(t.reports.find((r) => r.step === 'drained')?.fields).toMatchObject({ sessions: 0 });
    expect(t.reports.find((r) => r.step === 'healthy')?.fields).toMatchObject({ status: 200 });
  });

  test('a failed health check is reported as such, and the roll reports nothing after it', async () => {
    t = await loadPluginForTest('hostout.pushdeploy', {
      options: { ...options, 'health-timeout': '1' },
      responses: [lock, responses[1], { match: 'http-get', result: { stdout: 'HTTP/1.0 503 Service Unavailable\r\n\r\n' } }],
    });
    await expect(t.run('activate')).rejects.toThrow(/did not become healthy/);
    expect(t.reports.map((r) => `${r.kind} ${r.step} ${r.subject}`)).toEqual([
      'roll drain instance1', 'roll drained instance1', 'roll restart instance1', 'roll healthy instance1',
    ]);
    expect(t.reports[3].fields).toMatchObject({ ok: false });
  });

  test('a backend without a server for an instance is refused before anything changes', async () => {
    t = await loadPluginForTest('hostout.pushdeploy', {
      options,
      responses: [lock, { match: 'show stat', result: { stdout: stat([row('plone', 'instance1', 0), row('plone', 'BACKEND', 0)]) } }],
    });
    await expect(t.run('activate')).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/backend 'plone' has no server instance2 \(it has instance1\).*NAME:PORT:SERVER/) });
    expect(t.records.join('\n')).not.toMatch(/set server|supervisorctl|lock/);
  });

  test('an instance that never answers 2xx/3xx stops the roll naming it; the next instance is never touched', async () => {
    t = await loadPluginForTest('hostout.pushdeploy', {
      options: { ...options, 'health-timeout': '1' },
      responses: [lock, responses[1], { match: 'http-get', result: { stdout: 'HTTP/1.0 503 Service Unavailable\r\n\r\n' } }],
    });
    await expect(t.run('activate')).rejects.toThrow(/instance instance1 did not become healthy within 1 s \(http:\/\/127\.0\.0\.1:8081\/: it answered 503\)/);
    const all = t.records.join('\n');
    expect(all).toMatch(/set server plone\/instance1 state drain/);
    expect(all).not.toMatch(/instance2 state|restart site:instance2|set server plone\/instance1 state ready/);
  });
});
