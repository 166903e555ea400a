import { resolve } from 'node:path';
import { loadZapModule } from './load-zap-module';
import { runWorker } from './run-worker';
import { DEFAULT_VERSIONING_BEHAVIOR } from './worker-deployment';
import { readWorkerDeploymentFromEnvironment } from './worker-deployment-environment';
import { readWorkerHeapFromEnvironment } from './worker-heap';

/** Options of {@link runWorkerProcess}. */
export interface RunWorkerProcessOptions {
  /** The module exporting your Zap (see `loadZapModule`). */
  modulePath: string;
  /** Where `ZAP_WORKFLOW_BUNDLE`, `ZAP_WORKER_HEAP` and the `ZAP_DEPLOYMENT_NAME` family are read. @default process.env */
  environment?: NodeJS.ProcessEnv;
}

/**
 * What `zap-worker <module>` and `zap worker <module>` run: loads the module's Zap, runs a worker
 * for it (with `ZAP_WORKFLOW_BUNDLE`, Worker Versioning and `ZAP_WORKER_HEAP` from the environment) until
 * SIGINT/SIGTERM, and drains. Prints `[zap-worker] running …` once polling and
 * `[zap-worker] stopped` at the end.
 */
export async function runWorkerProcess(options: RunWorkerProcessOptions): Promise<void> {
  const environment = options.environment ?? process.env;
  // Before loading the user's module: a half-configured deployment fails at once.
  const deployment = readWorkerDeploymentFromEnvironment(environment);
  const heap = readWorkerHeapFromEnvironment(environment);
  const zap = await loadZapModule(options.modulePath);
  const bundlePath = environment.ZAP_WORKFLOW_BUNDLE;
  const version = deployment
    ? ` as ${deployment.name}:${deployment.buildId} (${deployment.versioningBehavior ?? DEFAULT_VERSIONING_BEHAVIOR})`
    : '';
  await runWorker(zap, {
    ...(bundlePath ? { worker: { workflowBundle: { codePath: resolve(bundlePath) } } } : {}),
    ...(deployment ? { deployment } : {}),
    ...(heap ? { heap } : {}),
    onRunning: (worker) =>
      console.log(`[zap-worker] running (pid ${process.pid}) on task queue ${worker.options.taskQueue}${version}`),
  });
  console.log('[zap-worker] stopped');
}
