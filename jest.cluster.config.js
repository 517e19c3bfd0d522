/**
 * The cluster's own suite (`npm run test:cluster`): each file starts the production topology itself
 * (runtime/cluster.ts) and breaks parts of it, so it runs alone, one file at a time.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'], '^.+\\.m?js$': ['@swc/jest'] },
  // As jest.config.js: FormatJS ships ES modules only.
  transformIgnorePatterns: ['/node_modules/(?!(intl-messageformat|@formatjs|openid-client|oauth4webapi|jose)/)'],
  testTimeout: 600000,
  maxWorkers: 1,
};
