import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Zap, type ZapAgent } from 'zap-agents';
import type { AgentWorkflowResult } from 'zap-agents/workflows';
import type { BenchSide, StartedTask } from './bench-side';
import { FINAL_ANSWER, FINAL_WAIT_MS } from './bench-task';

/** What {@link ZapSide.start} needs. */
export interface ZapSideOptions {
  agent: ZapAgent;
  temporalAddress: string;
  taskQueue: string;
  llmBaseURL: string;
  /** The bundled `src/workflows/index.ts`, built before timing starts. */
  workflowCode: string;
}

/** zap-agents as a user runs it: a `Zap`, its worker, `executeTask`. */
export class ZapSide implements BenchSide {
  readonly name = 'zap';

  private constructor(
    private readonly zap: Zap,
    private readonly agentName: string,
    private readonly running: Promise<void>,
  ) {}

  static async start(options: ZapSideOptions): Promise<ZapSide> {
    const zap = new Zap({
      agents: [options.agent],
      taskQueue: options.taskQueue,
      temporal: { address: options.temporalAddress },
      llm: { baseURL: options.llmBaseURL, apiKey: 'bench' },
      // Tasks stay open for follow-ups until idle this long; the bare workflow sleeps as long.
      idleTimeout: FINAL_WAIT_MS,
    });
    await zap.start();
    let worker: Worker;
    try {
      worker = await zap.createWorker({ worker: { workflowBundle: { code: options.workflowCode } } });
    } catch (error) {
      await zap.stop();
      throw error;
    }
    return new ZapSide(zap, options.agent.name, worker.run());
  }

  get client(): Client {
    return this.zap.client;
  }

  async startTask(message: string): Promise<StartedTask> {
    const task = await this.zap.executeTask({ agentName: this.agentName, task: message });
    const closed = this.zap.client.workflow
      .getHandle(task.id)
      .result()
      .then((result: AgentWorkflowResult) => {
        if (result.status !== 'completed' || result.result !== FINAL_ANSWER) {
          throw new Error(`zap task ${task.id} ended ${result.status} with ${JSON.stringify(result.result)}`);
        }
      });
    return { workflowId: task.id, closed };
  }

  async stop(): Promise<void> {
    await this.zap.stop();
    await this.running;
  }
}
