/**
 * Installing Python on the host: `bootstrap_python` finds the installer for
 * the host's OS (`bootstrap_python_<os>`, a plugin may add one), the apt and
 * yum/dnf installers, and `getpythonbin`.
 */
import { CommandError, refuseSudo, shellQuote as q, type CommandContext, type CommandSpec } from 'hostout';
import { major } from './shared';

type Ctx = CommandContext;

function cmd(description: string, run: (ctx: Ctx, ...args: string[]) => unknown): CommandSpec {
  return { description, run };
}

export const pythonCommands: Record<string, CommandSpec> = {
  bootstrap_python: cmd("Install python with the installer for the host's OS (bootstrap_python_<os>)", async (ctx) => {
    const os = String(await ctx.call('detecthostos'));
    // The original compiled Python from source here; the OS installers replace that (bootstrap's own choice, run by hand).
    if (ctx.has(`bootstrap_python_${os}`)) return ctx.call(`bootstrap_python_${os}`);
    throw new CommandError(
      `python${major(ctx)} is not installed and hostout has no installer for this OS ('${os}'; built in: ubuntu, debian, redhat, centos, fedora); ` +
        `install it on the host (or set python-path), or add a bootstrap_python_${os} command in a plugin`,
      { host: ctx.name, command: 'bootstrap_python' },
    );
  }),

  bootstrap_python_ubuntu: cmd('Install python with apt-get', async (ctx) => {
    refuseSudo(ctx, 'install python');
    const v = major(ctx);
    const pkg = `python${v}`;
    // Python 2 has no venv module: bootstrap_buildout uses virtualenv for it.
    const env = v.startsWith('2') ? 'virtualenv' : `${pkg}-venv`;
    await ctx.remote.sudo('apt-get update -q');
    await ctx.remote.sudo(`DEBIAN_FRONTEND=noninteractive apt-get -yq install ${q(pkg)} ${q(env)} ${q(`${pkg}-dev`)} build-essential`);
  }),

  bootstrap_python_debian: cmd('Install python with apt-get', (ctx) => ctx.call('bootstrap_python_ubuntu')),

  bootstrap_python_redhat: cmd('Install python with dnf (or yum)', async (ctx) => {
    refuseSudo(ctx, 'install python');
    const v = major(ctx);
    // RHEL/CentOS/Fedora name Python 2 `python2`, the system Python 3 `python3` and others `python3.X`.
    const pkg = v.startsWith('2') ? 'python2' : `python${v}`;
    const pkgs = [pkg, `${pkg}-devel`, ...(v.startsWith('2') ? ['python2-virtualenv'] : []), 'gcc', 'make'].map(q).join(' ');
    // The original added the remi and EPEL 6 repositories first: RHEL 8 and later ship these Pythons themselves.
    await ctx.remote.sudo(`if command -v dnf >/dev/null 2>&1; then dnf -y install ${pkgs}; else yum -y install ${pkgs}; fi`);
  }),

  bootstrap_python_centos: cmd('Install python with dnf (or yum)', (ctx) => ctx.call('bootstrap_python_redhat')),
  bootstrap_python_fedora: cmd('Install python with dnf (or yum)', (ctx) => ctx.call('bootstrap_python_redhat')),

  getpythonbin: cmd("The host's directory of python<python-version>: python-path's bin, else where python<X.Y> is on PATH", async (ctx) => {
    const bin = `${ctx.options['python-path']}/bin`;
    if (ctx.options['python-path'] && (await ctx.remote.exists(bin, { as: 'buildout' }))) return bin;
    const python = `python${major(ctx)}`;
    const found = await ctx.remote.run(`command -v ${q(python)}`, { as: 'buildout', allowFailure: true, readOnly: true });
    const file = found.stdout.trim();
    // The original cut the name off with a character-set rstrip and returned the directory without its '/'.
    if (found.code !== 0 || !file.startsWith('/')) {
      throw new CommandError(`${python} is not installed on the host (not in ${bin} nor on PATH); run bootstrap, or set python-path`, { host: ctx.name, command: 'getpythonbin' });
    }
    return file.slice(0, file.lastIndexOf('/')) || '/';
  }),
};
