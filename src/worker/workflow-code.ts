import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** Where a worker gets the agent workflow code from. */
export type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string };

/**
 * The modules a worker evaluates once into each of its reusable V8 contexts instead of once per
 * workflow run: zap-agents' workflow entry point, and with it every module it imports (zap's
 * workflow and core modules, `@temporalio/workflow`). Each run then starts without evaluating
 * them and holds no copy of them. The SDK deep-freezes what it preloads; zap's modules keep no
 * per-run state at module level (`test/unit/workflow-preload-audit.test.ts` checks every one of
 * them). Only workers with `reuseV8Context` (the SDK's default) preload.
 *
 * Workers that run zap's workflow code by default preload it; a bundle of your own that includes
 * zap's workflows can too, with `preloadModules: [require.resolve('zap-agents/workflows')]` (the
 * README's "Preloaded workflow modules", under "Deploying workers").
 */
export function zapWorkflowPreloadModules(): string[] {
  return [require.resolve('../workflows/index')];
}

/**
 * The worker options with zap's own workflow code when they name none: the prebuilt bundle (its
 * preloaded modules are inside it) or the workflow sources, bundled at start with
 * {@link zapWorkflowPreloadModules} added to the options' `bundlerOptions.preloadModules`.
 */
export function withZapWorkflowCode<T extends Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle' | 'bundlerOptions'>>(options: T): T {
  if (options.workflowsPath || options.workflowBundle) return options;
  const code = resolveWorkflowCode();
  if ('workflowBundle' in code) return { ...options, ...code };
  const preloadModules = [...new Set([...(options.bundlerOptions?.preloadModules ?? []), ...zapWorkflowPreloadModules()])];
  return { ...options, ...code, bundlerOptions: { ...options.bundlerOptions, preloadModules } };
}

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
