#!/usr/bin/env node
'use strict';
// Thin launcher: the TypeScript is compiled to dist/ by `npm install` (the
// `prepare` script), so `npx hostout` and a buildout's bin/hostout both work.
require('../dist/lib/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`hostout: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
