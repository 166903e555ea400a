import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TemporalDevServer } from '../../src/testing/temporal-dev-server';
import { zapWorkflowPreloadModules } from '../../src/worker/workflow-code';
import { startNatsServer } from './nats-server';

/**
 * One real Temporal dev server per test run (test files share it: each Temporal test
 * environment per file is a known source of ShutdownErrors), and the workflow code bundled once
 * so each test's worker starts in milliseconds instead of re-running webpack.
 */
export default async function globalSetup(): Promise<void> {
  const workDirectory = mkdtempSync(join(tmpdir(), 'zap-agents-test-'));
  // With the zap-agents search attributes registered (the default), so listTasks can filter.
  const server = await TemporalDevServer.start({ uiPort: false });
  (globalThis as Record<string, unknown>).__zapTemporalServer = server;
  process.env.ZAP_TEST_TEMPORAL_ADDRESS = server.address;
  // A real broker for token streaming between processes.
  const nats = await startNatsServer();
  (globalThis as Record<string, unknown>).__zapNatsServer = nats;
  process.env.ZAP_TEST_NATS_URL = nats.url;

  // Bundled as workers bundle it: with zap's modules preloaded, so every test runs them shared.
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/index'),
    preloadModules: zapWorkflowPreloadModules(),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const bundlePath = join(workDirectory, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.ZAP_TEST_WORKFLOW_BUNDLE = bundlePath;
}
