/**
 * `extends` from http:// and file:// URLs: relative extends inside
 * a remote file, `extends-cache` with md5(url) names, offline and newest
 * rules, and buildout's error texts — against a local HTTP server on
 * 127.0.0.1 started by the test, compared with the real zc.buildout.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import type { AddressInfo } from 'net';
import { loadBuildout } from '../../lib/buildout';
import { ConfigError } from '../../lib/errors';
import { OracleBatch, emptyHome, requireOracle } from '../support/oracle';

const haveOracle = requireOracle();
let batch: OracleBatch | undefined;
let root: string;
let served: string;
let server: http.Server;
let base: string;
let serving = true;
let requests: string[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-url-'));
  served = path.join(root, 'served');
  fs.mkdirSync(path.join(served, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(served, 'base.cfg'), '[buildout]\nextends = sub/inner.cfg\n[s]\nfrom-base = 1\nwho = base\n');
  fs.writeFileSync(path.join(served, 'sub', 'inner.cfg'), '[s]\nfrom-inner = 1\nwho = inner\n');
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = path.join(served, path.normalize(decodeURIComponent(req.url ?? '/')));
    if (!serving || !file.startsWith(served) || !fs.existsSync(file)) {
      res.writeHead(serving ? 404 : 503);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (haveOracle) batch = new OracleBatch();
});

afterAll(async () => {
  await batch?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function project(cfg: string, dirs: string[] = []): string {
  const dir = path.join(root, `p${++counter}`);
  for (const d of ['eggs', ...dirs]) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'buildout.cfg'), cfg);
  return dir;
}

async function ours(dir: string, assignments: string[] = []) {
  const b = await loadBuildout({ cwd: dir, userDefaults: false, assignments, env: { HOME: emptyHome() } });
  return { values: b.resolveAll().values, annotate: b.annotate(['s']) };
}

async function real(dir: string, assignments: string[] = []) {
  const r = await batch!.request({ dir, mode: 'resolve', args: ['-U', ...assignments], env: { HOME: emptyHome() } });
  const a = await batch!.request({ dir, mode: 'annotate', args: ['-U', ...assignments, 'annotate', 's'], env: { HOME: emptyHome() } });
  return { status: r.status, values: r.status === 0 ? JSON.parse(r.stdout) : undefined, annotate: a.stdout, stderr: r.stderr };
}

async function refusal(dir: string, assignments: string[] = []): Promise<string> {
  try {
    await loadBuildout({ cwd: dir, userDefaults: false, assignments, env: { HOME: emptyHome() } });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

test('e10: http extends with a relative extends inside, cached under md5(url), then served from the cache', async () => {
  serving = true;
  const dir = project(`[buildout]\nextends = ${base}/base.cfg\nextends-cache = cache\nparts =\n[s]\nwho = root\n`, ['cache']);
  const got = await ours(dir);
  expect(got.values.s).toEqual({ 'from-base': '1', 'from-inner': '1', who: 'root' });
  expect(got.annotate).toContain(`from-base= 1\n    ${base}/base.cfg\nfrom-inner= 1\n    ${base}/sub/inner.cfg\n`);
  const md5 = (u: string) => createHash('md5').update(u).digest('hex');
  expect(fs.readdirSync(path.join(dir, 'cache')).sort()).toEqual([md5(`${base}/base.cfg`), md5(`${base}/sub/inner.cfg`)].sort());
  if (batch) {
    const r = await real(dir);
    expect(got.values).toEqual(r.values);
    expect(got.annotate).toBe(r.annotate);
  }

  // The server goes away: both offline and the default (newest: network first, cache as fallback) use the cache.
  serving = false;
  requests = [];
  for (const assignments of [['buildout:offline=true'], []]) {
    const again = await ours(dir, assignments);
    expect(again.values.s).toEqual(got.values.s);
    if (batch) expect(again.annotate).toBe((await real(dir, assignments)).annotate);
  }
  // offline never asked the network; the default run tried it once per URL
  expect(requests.length).toBeGreaterThan(0);
  serving = true;
});

test('newest=false uses the cached copy without asking the server', async () => {
  serving = true;
  const dir = project(`[buildout]\nextends = ${base}/base.cfg\nextends-cache = cache\nnewest = false\nparts =\n`, ['cache']);
  await ours(dir);
  requests = [];
  await ours(dir);
  expect(requests).toEqual([]);
});

test('offline without a cache: "Couldn\'t download ... in offline mode."', async () => {
  const dir = project(`[buildout]\nextends = ${base}/base.cfg\nparts =\n`);
  const message = await refusal(dir, ['buildout:offline=true']);
  expect(message).toBe(`buildout.cfg, line 2: Couldn't download '${base}/base.cfg' in offline mode.`);
  if (batch) expect((await real(dir, ['buildout:offline=true'])).stderr).toContain(`Error: Couldn't download '${base}/base.cfg' in offline mode.`);
});

test('server down without a cache: buildout\'s download error text', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const url = `http://127.0.0.1:${port}/base.cfg`;
  const dir = project(`[buildout]\nextends = ${url}\nparts =\n`);
  const message = await refusal(dir);
  expect(message).toBe(`buildout.cfg, line 2: Error downloading extends for URL ${url}: <urlopen error [Errno 111] Connection refused>`);
  if (batch) expect((await real(dir)).stderr).toContain(`Error: Error downloading extends for URL ${url}: <urlopen error [Errno 111] Connection refused>`);
});

test('a missing extends-cache directory', async () => {
  const dir = project(`[buildout]\nextends = ${base}/base.cfg\nextends-cache = nocache\nparts =\n`);
  const message = await refusal(dir);
  expect(message).toBe(`buildout.cfg, line 2: The directory:\n'${dir}/nocache'\nto be used as a download cache doesn't exist.\n`);
  if (batch) expect((await real(dir)).stderr).toContain(`Error: The directory:\n'${dir}/nocache'\nto be used as a download cache doesn't exist.`);
});

test('file:// extends; a relative eggs-directory inside a remote file is ambiguous', async () => {
  const remote = path.join(root, 'remote');
  fs.mkdirSync(remote, { recursive: true });
  fs.writeFileSync(path.join(remote, 'good.cfg'), '[s]\nremote = yes\n');
  fs.writeFileSync(path.join(remote, 'bad.cfg'), '[buildout]\neggs-directory = rel-eggs\n');
  const good = project(`[buildout]\nextends = file://${remote}/good.cfg\nparts =\n`);
  const got = await ours(good);
  expect(got.values.s).toEqual({ remote: 'yes' });
  expect(got.annotate).toContain(`remote= yes\n    file://${remote}/good.cfg\n`);
  if (batch) {
    const r = await real(good);
    expect(got.values).toEqual(r.values);
    expect(got.annotate).toBe(r.annotate);
  }
  const bad = project(`[buildout]\nextends = file://${remote}/bad.cfg\nparts =\n`);
  const message = await refusal(bad);
  expect(message).toBe(
    `file://${remote}/bad.cfg, line 2: Setting "eggs-directory" to a non absolute location ("rel-eggs") within a\nremote configuration file ("file://${remote}/bad.cfg") is ambiguous.`,
  );
});

test('-c URL leaves buildout:directory unset: "Missing option: buildout:directory"', async () => {
  const dir = project('[buildout]\nparts =\n');
  await expect(loadBuildout({ cwd: dir, config: `${base}/sub/inner.cfg`, userDefaults: false, env: { HOME: emptyHome() } })).rejects.toThrow(
    'Missing option: buildout:directory',
  );
  const b = await loadBuildout({ cwd: dir, config: `${base}/sub/inner.cfg`, userDefaults: false, assignments: [`buildout:directory=${dir}`], env: { HOME: emptyHome() } });
  expect(b.get('s', 'who')).toBe('inner');
  expect(b.directory).toBe(dir);
});
