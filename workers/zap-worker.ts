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
 * ZAP_WORKER_HEAP=node keeps Node's V8 heap flags instead of the default `compact` heap
 * (V8's `--optimize-for-size`, unless Node was started with that flag or its `--no-` form).
 *
 * The module may also export a function returning the Zap (or a promise of it).
 */
import { runWorkerProcess } from '../src/worker/run-worker-process';

async function main(): Promise<void> {
  const modulePath = process.argv[2] ?? process.env.ZAP_MODULE;
  if (!modulePath) {
    console.error('usage: zap-worker <module exporting your Zap>   (or set ZAP_MODULE)');
    process.exit(2);
  }
  await runWorkerProcess({ modulePath });
  // Everything zap-agents opened is closed; handles left by user code must not keep a drained
  // worker alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error('[zap-worker] failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
