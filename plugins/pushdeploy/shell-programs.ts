/**
 * The POSIX sh programs pushdeploy runs on production (the flip, the fast
 * start of a release), kept as plain `.sh` files in sh/ next to this module so
 * that shellcheck reads them (`npm run lint`) and a reader sees them as shell.
 * The build copies them next to the compiled module (dist/plugins/pushdeploy/sh),
 * and the package ships them. Each is read once, when the module loads, and
 * sent to production as its text, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The text of sh/NAME, shipped next to this module. */
export function shellProgram(name: string): string {
  return fs.readFileSync(path.join(__dirname, 'sh', name), 'utf8');
}
