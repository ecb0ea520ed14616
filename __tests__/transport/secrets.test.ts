/**
 * Secrets never reach a person: the real hostout process runs a plugin that
 * pushes a known login password, sudo password and key passphrase through
 * every primitive (run, sudo with a real password prompt, env, put, get,
 * exists, local, rsync, its own log lines, a failing command's error), at
 * every verbosity and in both dry-run modes, against a real sshd; no byte of
 * output may contain any of them in any spelling.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, DEPLOY, ensureTestUsers, type SshServer } from '../../fixtures/servers';
import { hostout } from '../support/run-cli';
import { shellQuote } from '../../lib/transport/quote';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

const PASSPHRASE = 'pass-Phrase 9f3$';
let server: SshServer;
let home: string;
let site: string;
let remote: string;

const PLUGIN = `
const fs = require('fs');
const path = require('path');
const { secret } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/lib/transport/secret.js'))});
module.exports = {
  name: 'leaky',
  commands: {
    leak: {
      description: 'use every primitive with the secrets',
      async run(ctx) {
        const pw = ctx.options.password;
        const phrase = ctx.options['identity-passphrase'];
        const q = (s) => "'" + s.replace(/'/g, "'\\\\''") + "'";
        ctx.log.info('progress line with ' + pw + ' and ' + phrase);
        await ctx.remote.run('echo ' + q(pw) + ' ' + q(phrase), { echo: true });
        await ctx.remote.run('echo "$PW"', { env: { PW: secret(pw) }, echo: true });
        await ctx.remote.sudo('echo ' + q(pw) + '; id -un', { echo: true });
        await ctx.remote.exists('/tmp/' + pw);
        const local = path.join(ctx.buildoutDirectory, 'file-' + pw.length);
        fs.writeFileSync(local, 'content ' + pw + '\\n');
        await ctx.remote.put(local, ctx.options.path + '/secret-put');
        await ctx.remote.get(ctx.options.path + '/secret-put', local + '.back');
        await ctx.local.run('echo ' + q(pw) + ' >&2', { echo: true });
        const dir = path.join(ctx.buildoutDirectory, 'tree');
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'x'), 'x');
        await ctx.rsync({ from: dir + '/', to: ctx.options.path + '/secret-rsync/', direction: 'push', echo: true, extra: ['-v'] });
        await ctx.remote.run('echo ' + q(pw) + ' >&2; exit 3');
      },
    },
  },
};
`;

beforeAll(async () => {
  ensureTestUsers();
  server = await startSshServer({ authorizeClientKeyFor: [] });
  home = makeHomeTrusting('hostout-secrets-home-', server);
  site = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-secrets-site-'));
  // The host's path, where put and rsync write as the deploy user: removed with the rest afterwards.
  remote = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-secrets-remote-'));
  fs.chmodSync(remote, 0o777);
  fs.writeFileSync(path.join(site, 'leaky.js'), PLUGIN);
  fs.writeFileSync(path.join(site, 'buildout.cfg'), [
    '[buildout]', 'parts = box', '',
    '[box]', 'recipe = collective.hostout', 'extends = ./leaky.js', `host = 127.0.0.1:${server.port}`,
    // The login is by password (no key is authorized): the password really travels.
    `user = ${DEPLOY.name}`, `password = ${DEPLOY.password}`, `identity-passphrase = ${PASSPHRASE}`, `path = ${remote}`, '',
  ].join('\n'));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [home, site, remote]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const spellingsOf = (s: string) => [s, shellQuote(s), s.replace(/'/g, `'\\''`), JSON.stringify(s).slice(1, -1)];

test.each([
  ['quiet', ['-q']],
  ['normal', []],
  ['verbose', ['-v']],
  ['dry run', ['--dry-run']],
  ['dry run, verbose', ['--dry-run', '-v']],
  ['offline dry run, verbose', ['--dry-run', '--offline', '-v']],
])('%s: no secret in any output', (_name, flags) => {
  const r = hostout([...flags, 'box', 'leak'], site, { HOME: home });
  const all = r.stdout + r.stderr;
  for (const secretValue of [DEPLOY.password, PASSPHRASE]) {
    for (const spelling of spellingsOf(secretValue)) {
      expect(all.split('\n').filter((l) => l.includes(spelling))).toEqual([]);
    }
  }
  expect(all).toContain('********');
  if (flags.includes('--dry-run')) {
    expect(r.code).toBe(0); // the failing command is recorded, not run
  } else {
    // The real run went through to the failing command: the error names host, status and the masked line.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hostout: \[box\] command failed on deploy@127\.0\.0\.1:\d+ with exit status 3: .*echo .*\*{8}.* >&2; exit 3/m);
    // sudo really asked for the password and got it: `id -un` after it says root.
    if (!flags.includes('-q')) expect(r.stdout).toContain('[box] out: root\n');
  }
}, 120_000);
