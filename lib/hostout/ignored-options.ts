/**
 * Options the original read that hostout does not act on. A configuration
 * written for the original keeps working, but such an option must not be
 * ignored without a word: each one set in a host's part gets one line under
 * `-v` saying what hostout does instead (docs/compat.md lists them).
 */
import { SET_UNLESS_FALSE, isTrue, readFlag } from '../flags';
import type { HostOptions } from './types';

/** Option → why hostout does not use it (for an option as the user wrote it, before defaults). */
const NOT_USED: Readonly<Record<string, string>> = {
  tunnel: "not supported: hostout has no HTTP/SOCKS tunnel for the host's downloads (use ssh's ProxyJump, option proxy-jump, to reach the host)",
  hostimage: 'not used: it named the docker base image of dockerfile/dockerbuild, which hostout does not have',
  eggs: "not used: it listed the eggs of the original's bin/hostout script; hostout's plugins come from the part's extends",
  python: "not used: it named the Python of the original's bin/hostout script; hostout needs no local Python",
};

/** The values the Python recipe itself wrote into every part of a generated hostout.cfg: not the user's choice, no note. */
const RECIPE_VALUES: Readonly<Record<string, string>> = { hostimage: 'ubuntu', eggs: 'collective.hostout' };

/**
 * The lines to show under -v for `written` (the part's options as written,
 * parents merged, before defaults). `hasCommand` tells whether the host
 * offers a command, for options a plugin may honour.
 */
export function ignoredOptionNotes(written: Readonly<HostOptions>, hasCommand: (name: string) => boolean): string[] {
  const notes: string[] = [];
  for (const [option, why] of Object.entries(NOT_USED)) {
    if (option === 'tunnel' && !readFlag(written.tunnel, SET_UNLESS_FALSE)) continue;
    const value = (written[option] ?? '').trim();
    if (value && value !== RECIPE_VALUES[option]) notes.push(`option ${option} is ${why}`);
  }
  // bootstrap honours force-python-compile by calling bootstrap_python_buildout, which a plugin must offer.
  if (isTrue(written['system-python-use-not'] ?? written['force-python-compile']) && !hasCommand('bootstrap_python_buildout')) {
    notes.push('option force-python-compile is set, but no plugin of this host offers bootstrap_python_buildout, so bootstrap cannot compile Python (it fails there when the host has no Python)');
  }
  return notes;
}
