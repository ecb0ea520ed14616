#!/usr/bin/env node
'use strict';
// npm's `prepare` script. npm runs it after `npm install` in a checkout of hostout's
// repository and when it installs hostout from git (`npm install git+https://…`, with the
// devDependencies, TypeScript among them): there it compiles the TypeScript into dist/.
// The packed package (`npm pack`, what a tarball or the registry delivers) already holds
// dist/ (the `prepack` script built it) and no sources: here the script does nothing and
// prints nothing, so installing it builds nothing, needs no TypeScript and shows no
// output of ours. Why not drop `prepare` from the packed package.json: npm packs the
// package.json as it is (it has no per-pack override), and a `prepare` that is a no-op
// outside a checkout is simpler than rewriting package.json around `npm pack`.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const isCheckout = fs.existsSync(path.join(root, 'tsconfig.build.json')) && fs.existsSync(path.join(root, 'lib'));
if (!isCheckout) process.exit(0);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  process.stderr.write('hostout: TypeScript is not installed (npm install --omit=dev?): dist/ was not built; run `npm install` with the devDependencies, then `npm run build`\n');
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
