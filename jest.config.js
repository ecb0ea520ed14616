/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  // Only *.test.ts are suites; other .ts files under __tests__ are shared helpers.
  testMatch: ['**/__tests__/**/*.test.ts'],
  // 151002: ts-jest's note that module node16 wants isolatedModules; we compile with
  // tsc for dist and only need ts-jest's type-checked CommonJS output here.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false, ignoreCodes: [151002] } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // End-to-end tests start real sshd/http servers; give them room but never hang CI.
  testTimeout: 120000,
  // Two cores: the ssh/rsync end-to-end files each start their own servers.
  maxWorkers: 2,
};
