#!/usr/bin/env node
/**
 * The shell half of `npm run lint`: shellcheck (Debian's `shellcheck`) on every shell
 * program a plugin sends to production (the .sh files under plugins/, POSIX sh: they
 * run on whatever /bin/sh production has). Each warning is fixed or disabled in the
 * program itself, on its line, with the reason.
 *
 * Without shellcheck installed: under CI (CI set, as .ci/run runs) that is an error, the
 * check must run there; elsewhere lint says plainly that the shell programs were not
 * checked, and goes on.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { shellPrograms } = require('./copy-shell-programs.js');

const ROOT = path.resolve(__dirname, '..');
const programs = shellPrograms('plugins');
const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', '--', ...programs], { cwd: ROOT, stdio: 'inherit' });
if (r.error && r.error.code === 'ENOENT') {
  const ci = !!process.env.CI && process.env.CI !== 'false';
  console.error(`shellcheck is not installed: the shell programs (${programs.join(', ')}) were NOT checked${ci ? '' : ' (skipped)'}. Debian: apt-get install shellcheck.`);
  process.exit(ci ? 1 : 0);
}
if (r.error) throw r.error;
process.exit(r.status ?? 1);
