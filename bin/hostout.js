#!/usr/bin/env node
'use strict';
// Thin launcher: the TypeScript is compiled to dist/ by `npm install` (the
// `prepare` script), so `npx hostout` and a buildout's bin/hostout both work.
// A reader that stops early (`hostout --resolve | head`): end quietly with
// 128 + SIGPIPE, as a Unix tool killed by SIGPIPE does. Node ignores SIGPIPE,
// so without this the write error would surface as a stack trace. (stdout
// only: touching process.stderr here would create it on every run, ~2 ms.)
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(141);
  throw err;
});
require('../dist/lib/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`hostout: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
