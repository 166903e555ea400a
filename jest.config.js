/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Recorded histories of every release replayed against the current workflow code.
    {
      ...shared,
      displayName: 'replay',
      testMatch: ['<rootDir>/test/replay/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/quiet-temporal-logs.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // One real Temporal dev server for the whole run, and the workflow bundle built once.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/quiet-temporal-logs.ts'],
    },
  ],
};
