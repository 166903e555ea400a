import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a worker gets the agent workflow code from. */
export type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string };

/** Written by `npm run build` next to the bundle. */
interface BundleManifest {
  workflowSdkVersion: string;
}

/**
 * The prebuilt workflow bundle shipped in `dist` (built once by `npm run build`), when this code
 * runs from `dist` and the installed `@temporalio/workflow` is the version inside the bundle;
 * otherwise the workflow sources, which the worker bundles at start (TypeScript sources in
 * development, or an SDK of another version than the one the bundle was built with).
 */
export function resolveWorkflowCode(): WorkflowCode {
  const workflowsPath = require.resolve('../workflows/index');
  // From dist/src/worker/ the bundle is dist/workflow-bundle.js; from src/worker/ it never exists.
  const codePath = join(__dirname, '../../workflow-bundle.js');
  const manifestPath = join(__dirname, '../../workflow-bundle.json');
  if (!existsSync(codePath) || !existsSync(manifestPath)) return { workflowsPath };
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BundleManifest;
    const installed = (JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as { version: string }).version;
    return manifest.workflowSdkVersion === installed ? { workflowBundle: { codePath } } : { workflowsPath };
  } catch {
    return { workflowsPath };
  }
}
