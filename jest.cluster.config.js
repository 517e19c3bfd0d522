/**
 * The cluster's own suite (`npm run test:cluster`): each file starts the production topology itself
 * (runtime/cluster.ts) and breaks parts of it, so it runs alone, one file at a time.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  testTimeout: 600000,
  maxWorkers: 1,
};
