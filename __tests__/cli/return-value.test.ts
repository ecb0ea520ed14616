/**
 * What a plugin command returns is printed as `Return value: …`. A circular
 * object made JSON.stringify throw, and hostout exited 70 with a stack trace;
 * it now prints Node's rendering with the cycle marked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatReturnValue } from '../../lib/cli/run';
import { hostout } from '../support/run-cli';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-return-'));
  writeFileSync(path.join(dir, 'buildout.cfg'), [
    '[buildout]', 'parts = site', '', '[site]', 'recipe = collective.hostout', 'host = 127.0.0.1', 'fabfiles = loop.js', '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'loop.js'), [
    'module.exports = { commands: {',
    '  loop: { description: "returns a circular object", run() { const o = { name: "loop" }; o.self = o; return o; } },',
    '  big: { description: "returns a BigInt inside", run() { return { n: 10n }; } },',
    '} };',
  ].join('\n'));
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a circular return value prints with the cycle marked: exit 0, no stack trace', () => {
  const r = hostout(['site', 'loop'], dir);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Return value: <ref *1> { name: 'loop', self: [Circular *1] }\n");
});

test('a value JSON cannot hold (BigInt) prints too', () => {
  const r = hostout(['site', 'big'], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Return value: { n: 10n }\n');
});

test('plain objects keep their JSON form', () => {
  const shared = { x: 1 };
  expect(formatReturnValue({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
});
