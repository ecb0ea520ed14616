/**
 * Local helpers of the built-in commands that only READ local files: which
 * buildout cfg files a deploy ships (each `buildout` file and the local files
 * its `[buildout] extends` reaches), and a release id hashed from them.
 *
 * Hand-written on purpose: we need only the `extends` words of each file's
 * [buildout] section, without resolving anything (the config engine evaluates a
 * whole buildout and would fail on a remote-only cfg), so a 20-line scan is
 * simpler than the engine here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** The `extends` words of a cfg file's [buildout] section (with continuation lines). */
export function extendsOf(text: string): string[] {
  let inBuildout = false;
  let collecting = false;
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const section = /^\[([^\]]+)\]/.exec(raw);
    if (section) { inBuildout = section[1].trim() === 'buildout'; collecting = false; continue; }
    if (!inBuildout) continue;
    const m = /^extends\s*[:=](.*)$/.exec(raw);
    if (m) { collecting = true; out.push(...m[1].split(/\s+/).filter(Boolean)); continue; }
    if (collecting && /^\s+\S/.test(raw)) { out.push(...raw.trim().split(/\s+/)); continue; }
    collecting = false;
  }
  return out;
}

/** Every local cfg file reachable from `roots` through extends, relative to `dir`, URLs skipped. */
export function configClosure(dir: string, roots: string[]): string[] {
  const seen: string[] = [];
  const visit = (file: string, base: string): void => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) return;
    const abs = path.resolve(base, file);
    const rel = path.relative(dir, abs);
    if (seen.includes(rel) || !existsSync(abs)) return;
    seen.push(rel);
    for (const e of extendsOf(readFileSync(abs, 'utf8'))) visit(e, path.dirname(abs));
  };
  for (const r of roots) visit(r, dir);
  return seen;
}

function hashInto(h: ReturnType<typeof createHash>, abs: string, rel: string): void {
  if (!existsSync(abs)) return;
  h.update(rel + '\0');
  if (statSync(abs).isDirectory()) {
    for (const e of readdirSync(abs).sort()) hashInto(h, path.join(abs, e), path.join(rel, e));
  } else {
    h.update(readFileSync(abs));
  }
}

/** A short content hash of the files a deploy ships: changes iff they change. */
export function releaseId(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) hashInto(h, path.resolve(dir, f), f);
  return h.digest('hex').slice(0, 12);
}
