/**
 * Commands of collective.hostout that no longer make sense: each one stays a
 * command (so a script or a habit that names it gets an answer instead of
 * "not a valid command") and exits 2 saying why and what to use instead.
 * docs/compat.md lists them.
 */
import { UsageError, type CommandSpec } from 'hostout';

function retired(description: string, why: string, instead: string): CommandSpec {
  return {
    description: `Not supported: ${description}`,
    run: (ctx) => {
      throw new UsageError(`${ctx.command} is not supported by hostout: ${why}. Instead: ${instead}`, { host: ctx.name });
    },
  };
}

export const retiredCommands: Record<string, CommandSpec> = {
  proxy_cmd: retired(
    "the HTTP proxy prefix of the original's tunnel",
    "it returned `export HTTP_PROXY=…` for an in-process proxy the original forwarded over ssh when `tunnel` was set, and hostout has no such proxy",
    'give the host its own proxy (http_proxy in the buildout user\'s environment, or pre-commands)',
  ),
  bootstrap_python_buildout: retired(
    'compile Python with collective/buildout.python',
    'it compiled Python from source with the collective/buildout.python buildout and a virtualenv development tarball of 2014, which no longer build (so force-python-compile cannot work either)',
    'install Python from the OS packages (bootstrap_python_ubuntu, bootstrap_python_debian, bootstrap_python_redhat) or set python-path to a Python installed on the host',
  ),
  bootstrap_python_slackware: retired(
    'install zlib from Slackware 11 and compile Python',
    'it installed zlib from a Slackware 11.0 (2006) mirror that is gone and then compiled Python from source',
    'install Python with slackpkg (slackpkg install python3) and set python-path if it is not on PATH',
  ),
  bootstrap_allowsudo: retired(
    'edit /etc/sudoers',
    'it appended `%odas ALL=(ALL) ALL` (full sudo for a hard-coded group) and `Defaults:%<user> !requiretty` to /etc/sudoers',
    'grant the login user sudo yourself with visudo (hostout answers the sudo password prompt when `password` is set)',
  ),
  dockerfile: retired(
    'write a Dockerfile and a buildout bundle',
    'it generated a Dockerfile and a tar bundle for docker-map and docker-py (Python libraries) from the original\'s Python internals',
    'build the image with your own Dockerfile that runs bootstrap.py and bin/buildout, or run sshd in the container and make it a host (hostout HOST bootstrap deploy)',
  ),
  dockerbuild: retired(
    'build Docker images with docker-map',
    'it built hostout/<host> images through docker-map and docker-py (Python libraries)',
    'docker build with your own Dockerfile, or run sshd in the container and make it a host (hostout HOST bootstrap deploy)',
  ),
};
