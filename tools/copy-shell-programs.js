#!/usr/bin/env node
/**
 * Part of the build (`npm run build`, and the e2e tests' build): tsc copies only what
 * it compiles, so the shell programs a plugin sends to production (the .sh files under
 * plugins/, read at run time from next to the compiled module) are copied into dist/ here.
 * dist/'s copies are replaced, so a program renamed or removed does not linger there.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** The .sh files under `dir`, relative to ROOT. */
function shellPrograms(dir) {
  const out = [];
  if (!fs.existsSync(path.join(ROOT, dir))) return out;
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...shellPrograms(rel));
    else if (e.isFile() && e.name.endsWith('.sh')) out.push(rel);
  }
  return out;
}

function copyShellPrograms() {
  for (const rel of shellPrograms(path.join('dist', 'plugins'))) fs.rmSync(path.join(ROOT, rel));
  const copied = shellPrograms('plugins');
  for (const rel of copied) {
    const to = path.join(ROOT, 'dist', rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), to);
  }
  return copied;
}

module.exports = { copyShellPrograms, shellPrograms };

if (require.main === module) copyShellPrograms();
