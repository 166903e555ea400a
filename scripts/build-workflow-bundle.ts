/**
 * Builds the agent workflow bundle once, at `npm run build`, into `dist/workflow-bundle.js`, with
 * `dist/workflow-bundle.json` naming the `@temporalio/workflow` version it contains. Workers load
 * it instead of running webpack at every start (`src/worker/workflow-bundle.ts`), and fall back to
 * bundling when the installed SDK differs from the one inside the bundle.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');

async function main(): Promise<void> {
  const workflowsPath = join(DIST, 'src/workflows/index.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    // As workers bundling at start do (src/worker/workflow-code.ts): zap's modules evaluated once
    // per V8 context, not once per run.
    preloadModules: [workflowsPath],
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, 'workflow-bundle.js'), code);
  const sdkVersion = (JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(join(DIST, 'workflow-bundle.json'), `${JSON.stringify({ workflowSdkVersion: sdkVersion, bytes: code.length }, null, 2)}\n`);
  console.error(`[build] workflow bundle: ${(code.length / 1024).toFixed(0)} KiB for @temporalio/workflow ${sdkVersion}`);
}

main().catch((error: unknown) => {
  console.error('[build] workflow bundle failed:', error);
  process.exit(1);
});
