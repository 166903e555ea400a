#!/usr/bin/env node
/**
 * Worker process: loads a module that exports your `Zap` (as `zap` or default), runs a worker
 * for it until SIGINT/SIGTERM, drains in-flight work, and exits.
 *
 *   zap-worker ./dist/my-zap.js          (or ZAP_MODULE=./dist/my-zap.js zap-worker)
 *
 * ZAP_WORKFLOW_BUNDLE=<file> uses a workflow bundle built ahead of time (`bundleWorkflowCode`)
 * instead of bundling at start, which makes a worker ready in well under a second.
 *
 * ZAP_DEPLOYMENT_NAME=<name> ZAP_BUILD_ID=<build> run the worker as that build of a Temporal
 * Worker Deployment (Worker Versioning); give both or neither. ZAP_VERSIONING_BEHAVIOR=pinned
 * keeps tasks on the build they started on instead of the default `auto-upgrade`.
 *
 * The module may also export a function returning the Zap (or a promise of it).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runWorker, type WorkerHost } from '../src/worker/run-worker';
import { DEFAULT_VERSIONING_BEHAVIOR } from '../src/worker/worker-deployment';
import { readWorkerDeploymentFromEnvironment } from '../src/worker/worker-deployment-environment';

async function main(): Promise<void> {
  const modulePath = process.argv[2] ?? process.env.ZAP_MODULE;
  if (!modulePath) {
    console.error('usage: zap-worker <module exporting your Zap>   (or set ZAP_MODULE)');
    process.exit(2);
  }
  // Before loading the user's module: a half-configured deployment fails at once.
  const deployment = readWorkerDeploymentFromEnvironment(process.env);
  const zap = await loadZap(resolve(modulePath));
  const bundlePath = process.env.ZAP_WORKFLOW_BUNDLE;
  const version = deployment
    ? ` as ${deployment.name}:${deployment.buildId} (${deployment.versioningBehavior ?? DEFAULT_VERSIONING_BEHAVIOR})`
    : '';
  await runWorker(zap, {
    ...(bundlePath ? { worker: { workflowBundle: { codePath: resolve(bundlePath) } } } : {}),
    ...(deployment ? { deployment } : {}),
    onRunning: (worker) =>
      console.log(`[zap-worker] running (pid ${process.pid}) on task queue ${worker.options.taskQueue}${version}`),
  });
  console.log('[zap-worker] stopped');
  // Everything zap-agents opened is closed; handles left by user code must not keep a drained
  // worker alive.
  process.exit(0);
}

async function loadZap(path: string): Promise<WorkerHost> {
  const loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const defaultExport = loaded.default as Record<string, unknown> | undefined;
  const candidate = loaded.zap ?? defaultExport?.zap ?? defaultExport;
  const value = typeof candidate === 'function' ? await (candidate as () => unknown)() : candidate;
  if (!isWorkerHost(value)) {
    throw new Error(`${path} must export a Zap instance as \`zap\` or default (or a function returning one).`);
  }
  return value;
}

function isWorkerHost(value: unknown): value is WorkerHost {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as WorkerHost).createWorker === 'function' &&
    typeof (value as WorkerHost).stop === 'function'
  );
}

main().catch((error: unknown) => {
  console.error('[zap-worker] failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
