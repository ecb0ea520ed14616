/**
 * Two projects:
 * - unit: the sources in-process through ts-jest, with recorders and temp files; no
 *   servers, no oracle, no dist/. `npx jest --selectProjects unit` takes seconds.
 * - e2e: everything that runs the real things: the built CLI (bin/hostout.js), sshd on
 *   127.0.0.1 (fixtures/servers), rsync, su/sudo as test users, supervisord, the
 *   zc.buildout and Python oracles. Its globalSetup builds dist/ from the current
 *   sources first (__tests__/support/build.ts), so nothing runs a stale dist/.
 * A new test file belongs to unit unless it is listed in E2E below; one that imports
 * __tests__/support/built.ts (dist/) from the unit project fails at once, saying so, and
 * __tests__/project/test-environment.test.ts fails for a unit file that imports the
 * server harness (fixtures/servers) or the CLI/oracle runners.
 * Shared test code lives in __tests__/support (not built into dist/).
 */
const E2E = [
  'buildout-conformance/',
  'buildout-differential/',
  'buildout-fuzz/',
  'buildout-url/',
  'buildout/annotate-query.test.ts',
  'buildout/errors.test.ts',
  'buildout/spec-examples.test.ts',
  'buildout/url-extends.test.ts',
  'cli/cli.test.ts',
  'cli/completion.test.ts',
  'cli/configured-files.test.ts',
  'cli/plugin-options.test.ts',
  'cli/e2e-builtin.test.ts',
  'cli/e2e-injection.test.ts',
  'cli/e2e-ssh.test.ts',
  'cli/exit-status.test.ts',
  'cli/e2e-many-hosts.test.ts',
  'pushdeploy/e2e-many-deploys.test.ts',
  'pushdeploy/e2e-round-trips.test.ts',
  'cli/many-hosts.test.ts',
  'cli/pipe.test.ts',
  'cli/plugins.test.ts',
  'cli/return-value.test.ts',
  'cli/tty.test.ts',
  'cli/colour-and-dry-run.test.ts',
  'cli/arguments.test.ts',
  'cli/dry-run-safety.test.ts',
  'compat/',
  'hostout/example-plugin.test.ts',
  'pushdeploy/e2e.test.ts',
  'pushdeploy/e2e-etc.test.ts',
  'pushdeploy/e2e-releases.test.ts',
  'pushdeploy/e2e-rolling.test.ts',
  'pushdeploy/e2e-rolling-hosts.test.ts',
  'transport/forward.test.ts',
  'pushdeploy/e2e-reliability.test.ts',
  'pushdeploy/e2e-old-rsync.test.ts',
  'pushdeploy/e2e-progress.test.ts',
  'python-expr/conformance.test.ts',
  'transport/harness.test.ts',
  'transport/hostkeys.test.ts',
  'transport/interrupt.test.ts',
  'transport/local.test.ts',
  'transport/passphrase.test.ts',
  'transport/remote.test.ts',
  'transport/rsync-faults.test.ts',
  'transport/rsync.test.ts',
  'transport/old-rsync.test.ts',
  'transport/secrets.test.ts',
  'transport/preview.test.ts',
  'transport/terminate.test.ts',
  'transport/tcp-proxy.test.ts',
  'project/package.test.ts',
  'cli/plugin-lifecycle.test.ts',
  'cli/npm-install.test.ts',
  'plugins/e2e-supervisor-plone.test.ts',
  'plugins/e2e-overridedeploy.test.ts',
  'plugins/public-api.test.ts',
].map((p) => `<rootDir>/__tests__/${p}`);

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  // Only *.test.ts are suites; __tests__/support holds the shared test code.
  testMatch: ['**/__tests__/**/*.test.ts'],
  // tsconfig.json has isolatedModules, so ts-jest only transpiles (fast); the types of
  // the tests and sources are checked once by `npm run typecheck` (npm test's pretest).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // `hostout` and `hostout/testing` as a plugin imports them: the package's own sources (tsconfig paths too).
  moduleNameMapper: { '^hostout$': '<rootDir>/lib/index.ts', '^hostout/testing$': '<rootDir>/lib/testing.ts' },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testPathIgnorePatterns: ['/node_modules/', ...E2E.map((p) => escapeRegExp(p.replace('<rootDir>', __dirname)))],
      setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup-unit.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: E2E.map((p) => (p.endsWith('/') ? `${p}**/*.test.ts` : p)),
      globalSetup: '<rootDir>/__tests__/support/build.ts',
      setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup-e2e.ts'],
    },
  ],
  // Every run gets a temp directory of its own (TMPDIR) and fails, naming them, when the tests
  // leave anything in it or in /tmp (__tests__/support/tmp-guard.ts).
  globalSetup: '<rootDir>/__tests__/support/tmp-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/tmp-teardown.ts',
  // End-to-end tests start real sshd/http servers; give them room but never hang CI.
  testTimeout: 120000,
  // Two cores: the ssh/rsync end-to-end files each start their own servers.
  maxWorkers: 2,
};
