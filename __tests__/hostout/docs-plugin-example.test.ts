/**
 * docs/plugins.md ends with a complete plugin and its test. They are the files
 * of fixtures/hostout/packages/hostout.greeting, checked here to be exactly
 * what the page shows, and the plugin's own test (on hostout/testing) runs
 * here as part of our suite.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = path.join(ROOT, 'fixtures/hostout/packages/hostout.greeting');
const DOC = readFileSync(path.join(ROOT, 'docs/plugins.md'), 'utf8');

/** The fenced block that follows the line naming `file` in the page. */
function blockAfter(file: string): string {
  const at = DOC.indexOf(`\`${file}\`:`);
  if (at < 0) throw new Error(`docs/plugins.md does not show ${file}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(DOC.slice(at));
  if (!m) throw new Error(`no code block after ${file}`);
  return m[1];
}

describe('docs/plugins.md shows the example package as it is', () => {
  test.each(['package.json', 'index.js', 'test/greeting.test.js'])('hostout.greeting/%s', (file) => {
    expect(blockAfter(`hostout.greeting/${file}`)).toBe(readFileSync(path.join(PACKAGE, file), 'utf8'));
  });
});

describe('the example plugin\'s own test', () => {
  // Registers its tests in this file; `require('hostout/testing')` maps to lib/testing.ts (jest.config.js).
  require(path.join(PACKAGE, 'test/greeting.test.js'));
});
