#!/usr/bin/env node
'use strict';
// Thin launcher for dist/, the compiled TypeScript: the packed package holds it
// (`prepack` built it), a checkout gets it from `npm run build`.
// A reader that stops early (`hostout --resolve | head`): end quietly with
// 128 + SIGPIPE, as a Unix tool killed by SIGPIPE does. Node ignores SIGPIPE,
// so without this the write error would surface as a stack trace. (stdout
// only: touching process.stderr here would create it on every run, ~2 ms.)
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(141);
  throw err;
});
let cli;
try {
  cli = require('../dist/lib/cli/main.js');
} catch (err) {
  if (!(err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/lib/cli/main.js'))) throw err;
  // A checkout that was never built: say what to run rather than print a stack trace.
  process.stderr.write(`hostout: ${require('node:path').resolve(__dirname, '..')} is not built: run \`npm run build\` there\n`);
  process.exit(70);
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`hostout: internal error: ${err && err.stack || err}\n`); process.exitCode = 70; },
);
