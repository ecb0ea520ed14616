/**
 * The Python string helpers must agree with Python itself (whitespace set,
 * splitlines, textwrap.dedent, repr, posixpath), checked by running
 * /usr/bin/python3 once on the same inputs.
 */
import { spawnSync } from 'child_process';
import {
  pathAbspath,
  pathDirname,
  pathJoin,
  pathNormpath,
  pathRelpath,
  pyCompare,
  pyDedent,
  pyRepr,
  pyReprList,
  pySplitWs,
  pySplitlines,
  pyStrip,
  stripLeadingBlankLines,
} from '../../lib/buildout/pywhitespace';

const texts = [
  '',
  '  a  ',
  '\x1c\x1d\x1e\x1fa\x85\xa0\u2028',
  '\ufeffa\ufeff',
  'a\r\nb\rc\nd\x0be\x0cf\x1cg\u2029h\n',
  '\n\n  x\n    y\n\n  z\n',
  '\tx\n\t\ty\n',
  '\tt\n    s',
  '    \n      deep\n    shallow',
  ' \t a\n \t b\n',
  "it's",
  'say "hi"',
  'both \' and "',
  'back\\slash\ttab\x00nul\x7f\u0085\u200b\ud83d\ude00 é',
  ' \n \n x',
];
const paths: [string, string][] = [
  ['/a/b/../c/./d', '/a'],
  ['//x//y/', '/'],
  ['a/../../b', '/p'],
  ['/p/projX/x.cfg', '/p/proj'],
  ['/p/proj/../shared/b.cfg', '/p/proj'],
];

test('agrees with Python on every helper', () => {
  const script = `
import json, sys, textwrap, re, posixpath, os
texts, paths = json.load(sys.stdin)
out = {
  'strip': [t.strip() for t in texts],
  'split': [t.split() for t in texts],
  'splitlines': [t.splitlines() for t in texts],
  'dedent': [textwrap.dedent(t) for t in texts],
  'leading': [re.sub(r'^(\\s*\\n)+', '', t) for t in texts],
  'repr': [repr(t) for t in texts],
  'reprlist': repr(texts[10:13]),
  'sorted': sorted(texts),
  'normpath': [posixpath.normpath(p) for p, _ in paths],
  'relpath': [posixpath.relpath(posixpath.normpath(p), b) for p, b in paths],
  'dirname': [posixpath.dirname(p) for p, _ in paths],
  'join': [posixpath.join(b, p) for p, b in paths],
}
sys.stdout.write(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify([texts, paths]), encoding: 'utf8', timeout: 30000 });
  expect(r.status).toBe(0);
  const py = JSON.parse(r.stdout);
  expect(texts.map(pyStrip)).toEqual(py.strip);
  expect(texts.map(pySplitWs)).toEqual(py.split);
  expect(texts.map(pySplitlines)).toEqual(py.splitlines);
  expect(texts.map(pyDedent)).toEqual(py.dedent);
  expect(texts.map(stripLeadingBlankLines)).toEqual(py.leading);
  expect(texts.map(pyRepr)).toEqual(py.repr);
  expect(pyReprList(texts.slice(10, 13))).toEqual(py.reprlist);
  expect([...texts].sort(pyCompare)).toEqual(py.sorted);
  expect(paths.map(([p]) => pathNormpath(p))).toEqual(py.normpath);
  expect(paths.map(([p, b]) => pathRelpath(pathNormpath(p), b, process.cwd()))).toEqual(py.relpath);
  expect(paths.map(([p]) => pathDirname(p))).toEqual(py.dirname);
  expect(paths.map(([p, b]) => pathJoin(b, p))).toEqual(py.join);
  expect(pathAbspath('x/../y', '/cwd')).toBe('/cwd/y');
});
