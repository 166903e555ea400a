import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Workflow bundles written to files, for worker processes started with ZAP_WORKFLOW_BUNDLE. */
export interface WorkflowBundles {
  /** `src/workflows/index.ts`, bundled. */
  zap: string;
  /** `bench/bare-workflows.ts` (both baseline workflows), bundled. */
  bare: string;
  /** Removes the files. */
  remove(): Promise<void>;
}

/** Bundles both workflow modules once, before anything is timed, so no worker pays for webpack. */
export async function writeWorkflowBundles(): Promise<WorkflowBundles> {
  const directory = await mkdtemp(join(tmpdir(), 'zap-load-bench-'));
  const write = async (name: string, workflowsPath: string): Promise<string> => {
    const path = join(directory, `${name}.js`);
    await writeFile(path, await bundle(workflowsPath));
    return path;
  };
  try {
    const [zap, bare] = await Promise.all([
      write('zap-workflows', require.resolve('../src/workflows/index')),
      write('bare-workflows', require.resolve('./bare-workflows')),
    ]);
    return { zap, bare, remove: () => rm(directory, { recursive: true, force: true }) };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function bundle(workflowsPath: string): Promise<string> {
  const silent = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { trace: silent, debug: silent, info: silent, log: silent, warn: console.warn, error: console.error },
  });
  return code;
}
