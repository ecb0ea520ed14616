/**
 * The layers of docs/architecture.md, checked on the sources: the transport
 * sits below the hosts and the CLI, so nothing under lib/transport imports
 * from lib/hostout or lib/cli (validation, flags, errors live below both).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.isFile() && e.name.endsWith('.ts') ? [rel] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
}

test('lib/transport imports nothing from lib/hostout or lib/cli', () => {
  const files = sources('lib/transport');
  expect(files).toContain('lib/transport/command-line.ts');
  const upward = files.flatMap((f) =>
    importsOf(f)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.relative(root, path.resolve(root, path.dirname(f), spec)))
      .filter((target) => /^lib\/(hostout|cli)\//.test(target))
      .map((target) => `${f} -> ${target}`),
  );
  expect(upward).toEqual([]);
});
