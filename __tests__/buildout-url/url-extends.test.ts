/**
 * `extends` of http URLs against a local HTTP server started here
 * (127.0.0.1, random port): relative sub-extends, extends-cache (md5 file
 * names), offline with and without cache, newest=false, the server stopped,
 * and the three download errors. Every step runs twice — zc.buildout 2.13.2
 * (oracle / real annotate) in one copy of the project, `node bin/hostout.js`
 * in another — and the outputs must agree once each copy's directory is
 * replaced by "<DIR>". Every spawn is async: the server lives in this
 * process's event loop.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { errorTail, hasStackTrace, requireOracle, runHostout, runOracle, runRealBuildout } from '../support/oracle';

const haveOracle = requireOracle();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-url-'));

/** A tiny static server over an in-memory map that the tests can edit, stop and restart. */
class CfgServer {
  readonly files = new Map<string, string>();
  readonly hits: string[] = [];
  private server?: http.Server;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
      this.hits.push(p);
      const body = this.files.get(p);
      if (body === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    });
    this.server.keepAliveTimeout = 100;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const server = new CfgServer();

beforeAll(async () => {
  await server.start();
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Side {
  status: number;
  /** resolve: the JSON text; annotate: stdout; both with the directory replaced by <DIR> */
  out: string;
  error: string;
  stderr: string;
}

let counter = 0;
/** Two fresh copies (oracle, hostout) of a local project. */
function project(files: Record<string, string>, dirs: string[] = []): { oracleDir: string; oursDir: string } {
  counter++;
  const make = (tag: string): string => {
    const d = path.join(root, `${counter}-${tag}`);
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
      fs.writeFileSync(path.join(d, rel), text);
    }
    for (const sub of ['eggs', ...dirs]) fs.mkdirSync(path.join(d, sub), { recursive: true });
    return d;
  };
  return { oracleDir: make('oracle'), oursDir: make('hostout') };
}

function norm(text: string, dir: string): string {
  return text.split(dir).join('<DIR>');
}

/** buildout flags for hostout: -o/-N become the assignments buildout appends for them. */
function hostoutFlags(args: string[]): string[] {
  return args.map((a) => (a === '-o' ? 'buildout:offline=true' : a === '-N' ? 'buildout:newest=false' : a));
}

async function oracleSide(dir: string, mode: 'resolve' | 'annotate', args: string[]): Promise<Side> {
  const r = mode === 'resolve' ? await runOracle(dir, ['-U', ...args]) : await runRealBuildout(dir, ['-U', ...args, 'annotate']);
  return { status: r.status, out: norm(r.stdout, dir), error: norm(errorTail(r.stderr), dir), stderr: r.stderr };
}

async function oursSide(dir: string, mode: 'resolve' | 'annotate', args: string[]): Promise<Side> {
  const r = await runHostout(dir, ['-U', ...hostoutFlags(args), mode === 'resolve' ? '--resolve' : '--annotate']);
  return { status: r.status, out: norm(r.stdout, dir), error: '', stderr: norm(r.stderr, dir) };
}

/** Run one step on both sides and demand the same result (or both refusing, with buildout's message). */
async function step(p: { oracleDir: string; oursDir: string }, mode: 'resolve' | 'annotate', args: string[] = []): Promise<Side> {
  const theirs = await oracleSide(p.oracleDir, mode, args);
  const ours = await oursSide(p.oursDir, mode, args);
  const what = `${mode} ${args.join(' ')}`;
  if (theirs.status !== 0) {
    // urllib's own wording after ': <' (e.g. "<urlopen error [Errno 111] ...>") is Python's, not buildout's
    // (a Python traceback is not a message to copy: then only the clean refusal counts)
    const message = theirs.error.startsWith('Error: ') ? theirs.error.replace(/^Error: /, '').split(': <')[0].split('\n')[0] : '';
    expect({ what, exit: ours.status, stackTrace: hasStackTrace(ours.stderr), mentions: message, stderr: ours.stderr.includes(message) ? message : ours.stderr }).toEqual({
      what,
      exit: 2,
      stackTrace: false,
      mentions: message,
      stderr: message,
    });
    return theirs;
  }
  if (mode === 'resolve') expect({ what, value: JSON.parse(ours.out || 'null') }).toEqual({ what, value: JSON.parse(theirs.out) });
  else expect({ what, annotate: ours.out }).toEqual({ what, annotate: theirs.out });
  expect({ what, exit: ours.status }).toEqual({ what, exit: 0 });
  return theirs;
}

const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');
const listing = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

(haveOracle ? describe : describe.skip)('http(s) extends, compared with zc.buildout 2.13.2', () => {
  beforeEach(() => {
    server.files.clear();
    server.files.set('/base.cfg', '[buildout]\nextends = sub/inner.cfg\n[s]\nb = base\nlist += from-base\n');
    server.files.set('/sub/inner.cfg', '[s]\ni = inner\nb = inner\nlist = inner-1\n  inner-2\n');
  });

  test('an http extends with a relative sub-extends', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends = ${server.url('/base.cfg')}\nparts =\n[s]\nlocal = \${:b}\n` });
    const r = await step(p, 'resolve');
    expect(JSON.parse(r.out).s).toEqual({ b: 'base', i: 'inner', list: 'inner-1\ninner-2\nfrom-base', local: 'base' });
    await step(p, 'annotate');
  });

  test('extends-cache stores md5(url) copies; offline and server-down runs read them', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends-cache = cache\nextends = ${server.url('/base.cfg')}\nparts =\n` }, ['cache']);
    await step(p, 'resolve');
    const want = [md5(server.url('/base.cfg')), md5(server.url('/sub/inner.cfg'))].sort();
    expect({ oracle: listing(path.join(p.oracleDir, 'cache')), hostout: listing(path.join(p.oursDir, 'cache')) }).toEqual({ oracle: want, hostout: want });
    expect(fs.readFileSync(path.join(p.oursDir, 'cache', md5(server.url('/base.cfg'))), 'utf8')).toBe(server.files.get('/base.cfg'));
    await step(p, 'annotate');
    await step(p, 'resolve', ['-o']);
    await step(p, 'annotate', ['-o']);

    const port = server.port;
    await server.stop();
    try {
      await step(p, 'resolve'); // newest=true: network fails, falls back to the cache
      await step(p, 'resolve', ['-o']);
      await step(p, 'annotate');
    } finally {
      await server.start(port);
    }
  });

  test('newest=false uses the cached copy; newest=true fetches the new one', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends-cache = cache\nextends = ${server.url('/base.cfg')}\nparts =\n` }, ['cache']);
    await step(p, 'resolve');
    server.files.set('/base.cfg', '[s]\nb = changed\n');
    const stale = await step(p, 'resolve', ['-N']);
    expect(JSON.parse(stale.out).s.b).toBe('base');
    const fresh = await step(p, 'resolve');
    expect(JSON.parse(fresh.out).s.b).toBe('changed');
  });

  test('offline without a cache: "Couldn\'t download ... in offline mode."', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends = ${server.url('/base.cfg')}\nparts =\n` });
    const r = await step(p, 'resolve', ['-o']);
    expect(r.error).toContain("in offline mode");
  });

  test('server stopped and no cache: the download error', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends = ${server.url('/base.cfg')}\nparts =\n` });
    const port = server.port;
    await server.stop();
    try {
      const r = await step(p, 'resolve');
      expect(r.error).toContain('Error downloading extends for URL');
    } finally {
      await server.start(port);
    }
  });

  test('a missing extends-cache directory', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends-cache = nocache\nextends = ${server.url('/base.cfg')}\nparts =\n` });
    const r = await step(p, 'resolve');
    expect(r.error).toContain("to be used as a download cache doesn't exist");
  });

  test('a relative eggs-directory set inside a remote file is ambiguous', async () => {
    server.files.set('/bad.cfg', '[buildout]\neggs-directory = rel-eggs\n');
    const p = project({ 'buildout.cfg': `[buildout]\nextends = ${server.url('/bad.cfg')}\nparts =\n` });
    const r = await step(p, 'resolve');
    expect(r.error).toContain('is ambiguous');
  });

  test('a remote file that does not exist (404)', async () => {
    const p = project({ 'buildout.cfg': `[buildout]\nextends = ${server.url('/nope.cfg')}\nparts =\n` });
    const r = await step(p, 'resolve');
    expect(r.status).not.toBe(0);
  });

  test('-c URL: directory must be given on the command line', async () => {
    server.files.set('/full.cfg', '[buildout]\nparts =\nextends = base.cfg\n[s]\nx = ${buildout:directory}\n');
    const p = project({});
    const missing = await step(p, 'resolve', ['-c', server.url('/full.cfg')]);
    expect(missing.error).toContain('buildout:directory');
    const p2 = project({});
    const shared = path.join(root, 'url-directory'); // the oracle chdirs into it: it must exist
    fs.mkdirSync(shared, { recursive: true });
    const r = await step(p2, 'resolve', ['-c', server.url('/full.cfg'), `buildout:directory=${shared}`]);
    expect(JSON.parse(r.out).s.x).toBe(shared);
  });
});
