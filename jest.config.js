/** One real Temporal dev server per run (globalSetup); SWC for speed, tsc checks types separately. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The cluster suite starts its own cluster: jest.cluster.config.js (npm run test:cluster).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'], '^.+\\.m?js$': ['@swc/jest'] },
  // FormatJS ships ES modules only; Node runs them (require of ESM), jest's module loader needs them compiled.
  transformIgnorePatterns: ['/node_modules/(?!(intl-messageformat|@formatjs|openid-client|oauth4webapi|jose)/)'],
  // Per test file: better-sqlite3 errors must be Errors of that file's realm (test/support/sqliteErrors.ts).
  setupFiles: ['<rootDir>/test/support/setupSqliteErrors.ts'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  // A guard against a hang, not a budget: a test waits on conditions, and must pass on a busy machine.
  testTimeout: 900_000,
  maxWorkers: 2,
};
