/** rsync's --itemize-changes output (as rsync 3.2 prints it) read as counts per tree. */
import { summariseItemized } from '../../lib/transport/rsync-delta';

test('new, changed and deleted files and links count per top-level tree; touched directories do not', () => {
  const out = [
    'cd+++++++++ bin/',
    '<f+++++++++ bin/instance',
    'cL+++++++++ bin/python -> /usr/bin/python3',
    '.d..t...... parts/',
    '<f.st...... parts/site/site.txt',
    '<f..t...... eggs/a.egg/x.py',
    '*deleting   eggs/old.egg/y.py',
    '.f...p..... etc/zope.conf',
    'sending incremental file list',
    '',
  ].join('\n');
  const d = summariseItemized(out);
  expect(d).toMatchObject({ created: 3, updated: 2, deleted: 1 });
  expect(d.perTree).toEqual({ 'bin/': 3, 'parts/': 1, 'eggs/': 2 });
  expect(d.summary).toBe('create 3, update 2, delete 1 (bin/ 3, parts/ 1, eggs/ 2)');
});

test('nothing to do', () => {
  expect(summariseItemized('.d..t...... ./\n').summary).toBe('create 0, update 0, delete 0');
});
