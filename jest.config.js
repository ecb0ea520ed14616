/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  // Only *.test.ts are suites; other .ts files under __tests__ are shared helpers.
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // End-to-end tests start real sshd/http servers; give them room but never hang CI.
  testTimeout: 120000,
  // Two cores: the ssh/rsync end-to-end files each start their own servers.
  maxWorkers: 2,
};
