/** Writing generated projects to disk and comparing engine output with the oracle's. */
import * as fs from 'fs';
import * as path from 'path';

/** Write relative path → text files under dir (binary-safe: strings are written as UTF-8, Buffers as is). */
export function writeProject(dir: string, files: Record<string, string | Buffer>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  fs.mkdirSync(dir, { recursive: true });
}

/** A readable listing of a project for failure messages. */
export function showProject(files: Record<string, string>, assignments: string[] = []): string {
  const parts = Object.entries(files).map(([p, t]) => `----- ${p}\n${t}`);
  if (assignments.length) parts.push(`----- command line: ${assignments.map((a) => JSON.stringify(a)).join(' ')}`);
  return parts.join('\n');
}

/** buildout annotate creates directories (and says so); those lines depend on what exists, not on parsing. */
export function dropCreatingDirectory(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^Creating directory '.*'\.$/.test(l))
    .join('\n');
}

/** First difference between two resolved JSON objects, for a short failure message. */
export function firstDifference(want: Record<string, unknown>, got: Record<string, unknown>): string | undefined {
  const sections = new Set([...Object.keys(want), ...Object.keys(got)]);
  for (const s of [...sections].sort()) {
    const w = want[s] as Record<string, unknown> | undefined;
    const g = got[s] as Record<string, unknown> | undefined;
    if (w === undefined || g === undefined) return `section ${JSON.stringify(s)}: zc.buildout ${w === undefined ? 'lacks' : 'has'} it, hostout ${g === undefined ? 'lacks' : 'has'} it`;
    for (const k of [...new Set([...Object.keys(w), ...Object.keys(g)])].sort()) {
      if (JSON.stringify(w[k]) !== JSON.stringify(g[k])) {
        return `[${s}] ${JSON.stringify(k)}: zc.buildout ${JSON.stringify(w[k])}, hostout ${JSON.stringify(g[k])}`;
      }
    }
  }
  return undefined;
}

/** Replace a project directory by "<DIR>" everywhere in a JSON-able value (each side runs in its own copy). */
export function withDirPlaceholder<T>(value: T, dir: string): T {
  return JSON.parse(JSON.stringify(value).split(JSON.stringify(dir).slice(1, -1)).join('<DIR>')) as T;
}
