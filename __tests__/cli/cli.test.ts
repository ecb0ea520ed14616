/**
 * The real `hostout` process on fixture buildouts: the seed example, override
 * chains, init hooks, `all`, several commands, part-to-part extends, fabfiles
 * (.js and .ts), `--` handling, --dry-run, and each error with its exit status.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, EMPTY_HOME, ROOT, hostout } from '../support/run-cli';
import { startInterruptedCli } from '../support/interrupted-cli';

// A copy: the config engine creates directories like zc.buildout does, and must not touch the repository.
const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-cli-site-'));
cpSync(path.join(ROOT, 'fixtures', 'hostout', 'site'), SITE, { recursive: true });
const USAGE = 'cmdline is: bin/hostout host1 [host2...] [all] cmd1 [cmd2...] [arg1 arg2...]';

afterAll(() => {
  rmSync(EMPTY_HOME, { recursive: true, force: true });
  rmSync(SITE, { recursive: true, force: true });
});

describe('the seed example (buildout.example.cfg)', () => {
  test('no host: usage and the valid hosts, sorted, on stderr, exit 0', () => {
    const r = hostout(['-c', 'buildout.example.cfg'], ROOT);
    expect(r).toEqual({ code: 0, stdout: '', stderr: `${USAGE}\nValid hosts are: another-site first-site\n` });
  });

  test('no buildout.cfg here and no -c (the README\'s first command in the clone): says so and suggests -c FILE, exit 2', () => {
    const r = hostout(['first-site'], ROOT);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `hostout: no buildout.cfg in ${ROOT} (nor parts/hostout/hostout.cfg): name the configuration with -c FILE, e.g. -c buildout.example.cfg (here: buildout.example.cfg)\n`,
    });
  });

  test('a host and no command: its commands (pushdeploy first, then the built-ins), formatted like the original', () => {
    const r = hostout(['first-site', '-c', 'buildout.example.cfg'], ROOT);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(USAGE);
    expect(lines[1]).toBe('Valid commands are:');
    const width = 'bootstrap_python_slackware'.length; // the longest command name
    // pushdeploy overrides deploy: its description is shown; built-ins appear too.
    expect(lines).toContain(`   ${'sudo'.padEnd(width)} : Execute cmd on remote as root (sudo), in the buildout directory`);
    expect(lines).toContain(`   ${'uploadeggs'.padEnd(width)} : Release the develop eggs locally and upload them with a pinned.cfg`);
    expect(lines.some((l) => l.startsWith(`   ${'stage'.padEnd(width)} : `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`   ${'deploy'.padEnd(width)} : `))).toBe(true);
    expect(lines.find((l) => l.startsWith('   deploy '))).not.toContain('predeploy, uploadeggs');
    const names = lines.slice(2).filter(Boolean).map((l) => l.trim().split(' ')[0]);
    expect(names).toEqual([...names].sort());
  });

  test('--dry-run prints the plan: `run ls -la` as the buildout user in the remote path, nothing connects', () => {
    const r = hostout(['-c', 'buildout.example.cfg', 'first-site', 'run', 'ls', '-la', '--dry-run'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'DRY RUN: nothing will be changed\n' +
      "Hostout: Running command 'run' from 'collective.hostout'\n" +
        "[first-site] remote(root@example.com:22): /bin/bash -l -c 'cd /var/buildout/first_site && ls -la'\n" +
        'DRY RUN done: nothing was changed.\n' +
        '  asked:        hostout -c buildout.example.cfg first-site run ls -la --dry-run\n' +
        '  assumed:      nothing\n' +
        '  would change: 1 step on 1 host (listed above)\n',
    );
    expect(r.code).toBe(0);
  });
});

describe('a generated parts/hostout/hostout.cfg (the Python recipe\'s file)', () => {
  const GENERATED = mkdtempSync(path.join(os.tmpdir(), 'hostout-cli-generated-'));
  cpSync(path.join(ROOT, 'fixtures', 'hostout', 'generated'), GENERATED, { recursive: true });
  afterAll(() => rmSync(GENERATED, { recursive: true, force: true }));

  test('used when there is no buildout.cfg: every section but [buildout] and [versions] is a host', () => {
    expect(hostout([], GENERATED)).toEqual({ code: 0, stdout: '', stderr: `${USAGE}\nValid hosts are: prod staging\n` });
  });

  test('-c parts/hostout/hostout.cfg: its options as the recipe wrote them', () => {
    const r = hostout(['-c', 'parts/hostout/hostout.cfg', 'prod', 'run', 'python', '-V', '--dry-run'], GENERATED);
    expect(r.stdout).toContain("[prod] remote(admin@www.example.com:2222): /bin/bash -l -c 'cd /var/buildout/prod && python -V'\n");
    expect(r.code).toBe(0);
  });
});

describe('dispatch through the real process', () => {
  test('an override chain three deep (plugin, plugin of the parent part, fabfile), each calling next, with init hooks', () => {
    const r = hostout(['alpha', 'chain', 'x', 'y'], SITE);
    expect(r.stdout).toBe([
      'init layer-a: chain on alpha',
      "Hostout: Running command 'chain' from 'layer-a'",
      "Hostout: Running command 'chain' from 'layer-b'",
      "Hostout: Running command 'chain' from 'fabfile.js'",
      'Return value: a>b>fab(x,y)',
      '',
    ].join('\n'));
    expect(r.code).toBe(0);
  });

  test('ctx.call dispatches through the full chain and runs the init hooks again', () => {
    const r = hostout(['alpha', 'nested'], SITE);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('init'))).toEqual([
      'init layer-a: nested on alpha', 'init layer-a: chain on alpha',
    ]);
    expect(r.stdout).toContain('Return value: nested(a>b>fab(n))\n');
  });

  test('part-to-part extends: own options win, pre-commands concatenate, the parent\'s plugin defaults apply', () => {
    expect(hostout(['alpha', 'option', 'pre-commands'], SITE).stdout).toContain('Return value: echo from alpha\necho from base\n');
    expect(hostout(['alpha', 'option', 'greeting'], SITE).stdout).toContain('Return value: hello from layer-a\n');
    expect(hostout(['alpha', 'option', 'path'], SITE).stdout).toContain('Return value: /srv/alpha\n');
    expect(hostout(['alpha', 'option', 'host'], SITE).stdout).toContain('Return value: 127.0.0.1\n');
  });

  test('several commands: only the last one gets the arguments', () => {
    const r = hostout(['beta', 'echo', 'echo', 'option', 'path'], SITE);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('echo['))).toEqual(['echo[beta]: []', 'echo[beta]: []']);
    expect(r.stdout).toContain('Return value: /var/buildout/beta\n');
    expect(r.code).toBe(0);
  });

  test('`all` runs every host in parts order; dash words after the command are arguments', () => {
    const r = hostout(['all', 'run', 'uptime', '-la', '--dry-run'], SITE);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('['))).toEqual([
      "[alpha] remote(tester@127.0.0.1:22): /bin/bash -l -c 'cd /srv/alpha && uptime -la'",
      "[beta] remote(tester@127.0.0.1:2222): /bin/bash -l -c 'cd /var/buildout/beta && uptime -la'",
      "[gamma] remote(tester@127.0.0.1:22): /bin/bash -l -c 'cd /srv/gamma && uptime -la'",
    ]);
    expect(r.code).toBe(0);
  });

  test('a host named twice, or before `all`, runs once', () => {
    const r = hostout(['beta', 'beta', 'all', 'run', 'true', '--dry-run'], SITE);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('[')).map((l) => l.split(']')[0])).toEqual(['[beta', '[alpha', '[gamma']);
  });

  test('`--` ends option parsing: our option words reach the command', () => {
    const r = hostout(['beta', 'echo', '--', '-v', '--verbose', '-c'], SITE);
    expect(r.stdout).toContain('echo[beta]: ["-v","--verbose","-c"]\n');
    expect(r.code).toBe(0);
    // issue 11: a safety option after `--` reaches the command only with --literal (refused without: see arguments.test.ts).
    const literal = hostout(['beta', 'echo', '--literal', '--', '-v', '--dry-run', '-c'], SITE);
    expect(literal.stdout).toContain('echo[beta]: ["-v","--dry-run","-c"]\n');
    expect(literal.code).toBe(0);
  });

  test('long options are recognised anywhere: --quiet after the command hides progress', () => {
    // issue 11: a short option after the command word is the command's (`-q` here would reach `option`).
    const r = hostout(['beta', 'option', 'user', '--quiet'], SITE);
    expect(r.stdout).toBe('Return value: tester\n');
  });

  test('a .ts fabfile is compiled on the fly', () => {
    expect(hostout(['beta', 'typed', 'a', 'b'], SITE).stdout).toContain('Return value: typed on beta: A B\n');
  });

  test('ctx.hosts runs another host\'s command in its own scope', () => {
    const r = hostout(['beta', 'peer', 'alpha'], SITE);
    // alpha's own plugins (its init hook) apply when its echo runs... but alpha's echo comes from its fabfile.
    expect(r.stdout).toContain('init layer-a: echo on alpha\n');
    expect(r.stdout).toContain('echo[alpha]: ["from","beta"]\n');
    expect(r.stdout).toContain('Return value: /srv/alpha\n');
  });

  test('section:option=value assignments before the hosts override the buildout', () => {
    const r = hostout(['gamma:path=/elsewhere', 'gamma', 'run', 'pwd', '--dry-run'], SITE);
    expect(r.stdout).toContain("cd /elsewhere && pwd'");
  });
});

describe('errors and exit status', () => {
  test('unknown host: names it, lists the valid hosts, exit 2', () => {
    const r = hostout(['nosuch', 'deploy'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`hostout: 'nosuch' is not a host of buildout.cfg\n${USAGE}\nValid hosts are: alpha beta gamma\n`);
  });

  test('unknown command: names it, lists the host\'s commands, exit 2', () => {
    const r = hostout(['beta', 'nosuchcmd', 'x'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("hostout: 'nosuchcmd' is not a valid command for host 'beta'");
    expect(r.stderr).toContain('\nValid commands are:\n');
    expect(r.stderr).toContain(`   ${'echo'.padEnd('bootstrap_python_slackware'.length)} : Print the arguments\n`);
    // No description: the name, padded, and a trailing space (the original's format).
    expect(r.stderr).toContain(`\n   ${'nodesc'.padEnd('bootstrap_python_slackware'.length)} \n`);
  });

  test('a command one of the hosts lacks: error before anything runs, exit 2', () => {
    const r = hostout(['beta', 'gamma', 'echo', 'hi'], SITE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("hostout: 'echo' is not a valid command for host 'gamma'");
  });

  test('a command that throws: one message naming host, command and why, no stack trace, exit 1', () => {
    const r = hostout(['beta', 'fail'], SITE);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("hostout: [beta] 'fail' (from fabfile.js) failed: deliberate failure\n");
  });

  test('a command that returns false: `Return value: False`, exit 1', () => {
    const r = hostout(['beta', 'refuse'], SITE);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Return value: False\n');
  });

  test('--dry-run --offline deploy: the host is assumed bootstrapped (marked so), and the whole plan is shown', () => {
    const r = hostout(['gamma', 'deploy', '--dry-run', '--offline'], SITE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[gamma]   (assumed, not asked: /srv/gamma/bin/buildout exists)\n');
    expect(r.stdout).toContain("Hostout: Running command 'postdeploy' from 'collective.hostout'\n");
  });

  test('a command that fails (--dry-run --offline bootstrap_python on a host whose OS nobody could ask): exit 1, host and reason', () => {
    const r = hostout(['gamma', 'bootstrap_python', '--dry-run', '--offline'], SITE);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hostout: \[gamma\] python3 is not installed and hostout has no installer for this OS \('unknown'/);
  });

  test('an unknown option before the hosts: exit 2', () => {
    const r = hostout(['-x', 'beta'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hostout: no such option: -x\nTry `hostout --help`.\n');
  });

  test('a missing configuration file: exit 2, names the file', () => {
    const r = hostout(['-c', 'nope.cfg', 'beta'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: .*nope\.cfg/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('Ctrl-C while a command runs: `Stopped.`, exit 130', async () => {
    const cli = startInterruptedCli(process.execPath, [BIN, 'beta', 'sleep', '30'], {
      cwd: SITE, env: { PATH: process.env.PATH, HOME: EMPTY_HOME, CI: 'true' },
    });
    try {
      await cli.until((stdout) => stdout.includes("Running command 'sleep'"), 'the command did not start', 30_000);
      const code = await cli.interrupt(15_000);
      expect(code).toBe(130);
      expect(cli.stderr).toBe('Stopped.\n');
    } finally {
      cli.dispose();
    }
  });

  test('-q and -v together: exit 2', () => {
    expect(hostout(['-q', '-v'], SITE).code).toBe(2);
  });
});

describe('help, version, buildout modes', () => {
  test('--help: usage and every option on stdout, exit 0', () => {
    const r = hostout(['--help'], SITE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: hostout \[options\]/);
    for (const o of ['--configuration', '--dry-run', '--resolve', '--annotate', '--query', '--verbose', '--quiet', '--install-script', '--version']) {
      expect(r.stdout).toContain(o);
    }
  });

  test('--version prints package.json\'s version', () => {
    const { version } = require('../../package.json') as { version: string };
    expect(hostout(['--version'], SITE)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('-V prints the version too (before the first command word; after it, -V is the command\'s)', () => {
    const { version } = require('../../package.json') as { version: string };
    expect(hostout(['-V'], SITE)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const r = hostout(['beta', 'run', 'x', '-V', '--dry-run'], SITE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('x -V');
  });

  test('--query prints only the value and creates no directory (no eggs/, no "Creating directory")', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-query-'));
    try {
      writeFileSync(path.join(dir, 'buildout.cfg'), '[buildout]\nparts =\n\n[web]\nhost = example.com\n');
      const r = hostout(['--query', 'web:host'], dir);
      expect(r).toEqual({ code: 0, stdout: 'example.com\n', stderr: '' });
      expect(readdirSync(dir)).toEqual(['buildout.cfg']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--query still reaches the config engine', () => {
    const r = hostout(['--query', 'beta:host'], SITE);
    expect(r.stdout.trim().split('\n').pop()).toBe('127.0.0.1:2222');
    expect(r.code).toBe(0);
  });
});
