/**
 * The lower-level API under hostout/testing, run for real: the example plugin
 * (an npm package in a temp node_modules) loaded by loadHost and run by a
 * Runtime on the recording transport. docs/plugins.md teaches hostout/testing
 * instead (docs-plugin-example.test.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildoutFromObject } from '../../lib/hostout/buildout-view';
import { Runtime } from '../../lib/hostout/dispatch';
import { loadHost } from '../../lib/hostout/hosts';
import { createRecordingLogger } from '../../lib/log';
import { RecordingTransportFactory } from '../../lib/transport';
import { ROOT } from '../support/built';
import { NO_SSH } from '../support/runtime';

let dir: string;
beforeAll(() => {
  // the example does require('hostout'), i.e. dist/lib/index.js: this file is in the e2e project, which builds dist/ first
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-example-'));
  mkdirSync(path.join(dir, 'node_modules'));
  cpSync(path.join(ROOT, 'fixtures/hostout/packages/hostout.greeting'), path.join(dir, 'node_modules/hostout.greeting'), { recursive: true });
  symlinkSync(ROOT, path.join(dir, 'node_modules/hostout'), 'dir');
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('greet records one quoted remote command as the buildout user; defaults and init hooks apply', async () => {
  const bo = buildoutFromObject(dir, {
    buildout: { parts: 'mysite' },
    mysite: { recipe: 'collective.hostout', extends: 'hostout.greeting', host: 'example.com', user: 'deploy', path: '/srv/mysite' },
  });
  const host = await loadHost(bo, 'mysite', { buildoutDirectory: dir, ssh: NO_SSH });
  expect(host.sets.map((s) => s.id)).toEqual(['hostout.greeting', 'collective.hostout']);
  expect(host.options.greeting).toBe('Hello');
  const transport = new RecordingTransportFactory({ sshEnv: NO_SSH });
  const log = createRecordingLogger();
  const rt = new Runtime([host], { transport, log, dryRun: true, buildoutDirectory: dir });
  await expect(rt.run('mysite', 'greet', ['World'])).resolves.toBe('Hello, World!');
  expect(transport.records).toEqual([
    "[mysite] remote(deploy@example.com:22): /bin/bash -l -c 'cd /srv/mysite && echo '\\''Hello, World!'\\'' > greeting.txt'",
  ]);
  expect(log.lines).toEqual([
    'debug: hostout.greeting: greet on mysite',
    "Hostout: Running command 'greet' from 'hostout.greeting'",
    'Hello, World!',
  ]);
});
