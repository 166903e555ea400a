import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ZapAgent } from 'zap-agents';
import { createBareActivities } from './bare-activities';
import type { BenchSide, StartedTask } from './bench-side';
import { FINAL_ANSWER, FINAL_WAIT_MS } from './bench-task';
import { echoTool } from './echo-tool';
import type { bareAgentWorkflow } from './bare-workflow';

/** What {@link BareSide.start} needs. */
export interface BareSideOptions {
  /** The zap-agents agent whose prompt, model and limits the baseline copies. */
  agent: ZapAgent;
  temporalAddress: string;
  taskQueue: string;
  llmBaseURL: string;
  /** The bundled `bench/bare-workflow.ts`, built before timing starts. */
  workflowCode: string;
}

/** The baseline: a plain client and worker running `bareAgentWorkflow`. */
export class BareSide implements BenchSide {
  readonly name = 'bare';

  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    private readonly worker: Worker,
    private readonly workerConnection: NativeConnection,
    private readonly running: Promise<void>,
    private readonly options: BareSideOptions,
  ) {}

  static async start(options: BareSideOptions): Promise<BareSide> {
    const { agent } = options;
    const connection = await Connection.connect({ address: options.temporalAddress });
    const workerConnection = await NativeConnection.connect({ address: options.temporalAddress });
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue: options.taskQueue,
      workflowBundle: { code: options.workflowCode },
      activities: createBareActivities({
        baseURL: options.llmBaseURL,
        apiKey: 'bench',
        model: agent.model,
        temperature: agent.temperature,
        timeoutMs: agent.timeouts.llmMs,
        tool: echoTool,
      }),
    });
    const client = new Client({ connection });
    return new BareSide(client, connection, worker, workerConnection, worker.run(), options);
  }

  async startTask(message: string): Promise<StartedTask> {
    const { agent } = this.options;
    const workflowId = `bare-${randomBytes(8).toString('hex')}`;
    const handle = await this.client.workflow.start<typeof bareAgentWorkflow>('bareAgentWorkflow', {
      taskQueue: this.options.taskQueue,
      workflowId,
      args: [
        {
          systemPrompt: agent.resolvePrompt(undefined),
          message,
          maxIterations: agent.maxIterations,
          finalWaitMs: FINAL_WAIT_MS,
        },
      ],
    });
    const closed = handle.result().then((result) => {
      if (result.answer !== FINAL_ANSWER) throw new Error(`bare task ${workflowId} answered ${JSON.stringify(result.answer)}`);
    });
    return { workflowId, closed };
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.running;
    await this.workerConnection.close();
    await this.connection.close();
  }
}
