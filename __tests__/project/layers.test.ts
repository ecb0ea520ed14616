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

test('the CLI reads its world only through CliIo: no module of lib/cli but io.ts, nor the transport\'s entry, reads the process\'s streams, environment, argv or directory', () => {
  const files = [...sources('lib/cli').filter((f) => f !== path.join('lib', 'cli', 'io.ts')), path.join('lib', 'transport', 'index.ts')];
  expect(files).toContain(path.join('lib', 'cli', 'views', 'listr.ts'));
  const reads = files.flatMap((f) =>
    readFileSync(path.join(root, f), 'utf8').split('\n').flatMap((line, i) =>
      /\bprocess\.(stdin|stdout|stderr|env|argv|cwd)\b/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : []),
  );
  expect(reads).toEqual([]);
});
