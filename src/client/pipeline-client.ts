import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TaskBudget } from '../core/budget';
import { NoWorkerError, TaskNotFoundError, ZapValidationError } from '../core/errors';
import { TaskStatus } from '../core/task-status';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import type { pipelineWorkflow } from '../workflows/pipeline-workflow';
import { PIPELINE_WORKFLOW_TYPE } from '../workflows/pipeline-definitions';
import { readPipelineRun } from './pipeline-reader';
import { retryPipelineRun } from './pipeline-retry';
import { PipelineRun } from './pipeline-run';
import {
  buildPipelineInput,
  findPipeline,
  parsePipelineInput,
  pipelineStartAttributes,
  startedPipelineSnapshot,
  validateRunId,
  compilePipelineBudget,
  type StartPipelineOptions,
} from './pipeline-start';
import type { TaskReader } from './task-reader';
import { validateOwnerId, type TaskScope, type TaskScopeGuard } from './task-scope';
import type { CompiledZapOptions } from './zap-options';

/** What a {@link PipelineClient} needs from its `Zap`. */
export interface PipelineClientDependencies {
  client: () => Client;
  options: CompiledZapOptions<any>;
  reader: TaskReader;
  taskScope: TaskScopeGuard;
  /** Whether runs start with the zap-agents search attributes (known from `zap.start()` on). */
  searchAttributes: () => boolean;
}

/** Options of `zap.retryPipeline`. */
export interface RetryPipelineOptions extends TaskScope {
  /**
   * The step the new run starts at; the recorded outputs of the steps before it are reused (they
   * do not run again). `UnknownStepError` for a step the pipeline does not have.
   * @default the step that failed
   */
  fromStep?: string;
  /** The new run's budget (a retry does not inherit the failed run's). @default undefined (no budget) */
  budget?: TaskBudget;
}

/**
 * The pipeline side of a `Zap` (`zap.startPipeline`, `zap.getPipelineRun`, `zap.retryPipeline`):
 * a run is one `pipelineWorkflow` on the Zap's task queue, started and read like a task.
 */
export class PipelineClient {
  constructor(private readonly dependencies: PipelineClientDependencies) {}

  /** Starts a run (see `zap.startPipeline`). */
  async start(nameOrDefinition: string | AnyPipelineDefinition, input: unknown, options: StartPipelineOptions = {}): Promise<PipelineRun<any>> {
    const { options: zapOptions, reader, taskScope } = this.dependencies;
    const client = this.dependencies.client();
    const name = typeof nameOrDefinition === 'string' ? nameOrDefinition : nameOrDefinition?.name;
    const definition = findPipeline(zapOptions.pipelines, name);
    const parsed = parsePipelineInput(definition, input);
    const requestedId = validateRunId(options.runId);
    const tenantId = validateOwnerId(options.tenantId, 'tenantId');
    const userId = validateOwnerId(options.userId, 'userId');
    if (requestedId !== undefined) {
      const existing = await this.find(requestedId, { tenantId, userId }, definition.name);
      if (existing) return existing;
    }
    const runId = requestedId ?? `${definition.name}-${randomBytes(8).toString('hex')}`;
    const workflowInput = buildPipelineInput({
      options: zapOptions,
      definition,
      runId,
      input: parsed,
      tenantId,
      userId,
      searchAttributes: this.dependencies.searchAttributes(),
      budget: compilePipelineBudget(options.budget, definition, zapOptions),
    });
    const workersPolling = reader.workersPolling().catch(() => true);
    if (zapOptions.whenNoWorker === 'refuse' && !(await workersPolling)) {
      throw new NoWorkerError({ namespace: zapOptions.temporal.namespace, taskQueue: zapOptions.taskQueue, action: 'the pipeline run was not started' });
    }
    try {
      await client.workflow.start<typeof pipelineWorkflow>(PIPELINE_WORKFLOW_TYPE, {
        taskQueue: zapOptions.taskQueue,
        workflowId: runId,
        args: [workflowInput],
        // As for tasks: one id is one run (a failed one is taken up again by retryPipeline).
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        ...pipelineStartAttributes(workflowInput, TaskStatus.Pending),
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return this.get(runId, { tenantId, userId });
      throw error;
    }
    taskScope.remember(runId, { tenantId, userId });
    if (!(await workersPolling)) {
      zapOptions.logger.warn(
        `Pipeline run ${runId} was started, but no worker polls task queue '${zapOptions.taskQueue}' in namespace ` +
          `'${zapOptions.temporal.namespace}': it runs when one starts (npx zap-worker ./my-zap.js).`,
      );
    }
    return new PipelineRun(startedPipelineSnapshot(workflowInput));
  }

  /** The run's current state (see `zap.getPipelineRun`). */
  async get(runId: string, scope?: TaskScope & { pipeline?: string }): Promise<PipelineRun<any>> {
    await this.dependencies.taskScope.check(runId, scope);
    const snapshot = await readPipelineRun(this.dependencies.reader, this.dependencies.client(), runId);
    if (scope?.pipeline !== undefined && snapshot.pipeline.name !== scope.pipeline) {
      throw new ZapValidationError({ message: `Run '${runId}' is a run of pipeline '${snapshot.pipeline.name}', not '${scope.pipeline}'.` });
    }
    return new PipelineRun(snapshot);
  }

  /** Takes a failed run up again (see `zap.retryPipeline`). */
  async retry(runId: string, options: RetryPipelineOptions = {}): Promise<PipelineRun<any>> {
    await this.dependencies.taskScope.check(runId, options);
    const snapshot = await readPipelineRun(this.dependencies.reader, this.dependencies.client(), runId);
    const definition = findPipeline(this.dependencies.options.pipelines, snapshot.pipeline.name);
    const next = await retryPipelineRun({
      client: this.dependencies.client(),
      options: this.dependencies.options,
      definition,
      snapshot,
      ...(options.fromStep !== undefined ? { fromStep: options.fromStep } : {}),
      searchAttributes: this.dependencies.searchAttributes(),
      budget: compilePipelineBudget(options.budget, definition, this.dependencies.options),
    });
    return new PipelineRun(startedPipelineSnapshot(next));
  }

  /**
   * The existing run with this id, or undefined. A run of another owner or another pipeline (or a
   * task with this id) is refused: the id is taken.
   */
  private async find(runId: string, owner: TaskScope, pipelineName: string): Promise<PipelineRun<any> | undefined> {
    const handle = this.dependencies.client().workflow.getHandle(runId);
    let memo: Record<string, unknown> | undefined;
    try {
      memo = (await handle.describe()).memo;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
    const taken = () => new ZapValidationError({ message: `runId '${runId}' is already taken by another run or task; choose another id.` });
    if (memo?.pipelineName !== pipelineName) throw taken();
    try {
      return await this.get(runId, owner);
    } catch (error) {
      if (TaskNotFoundError.isInstance(error)) throw taken();
      throw error;
    }
  }
}
