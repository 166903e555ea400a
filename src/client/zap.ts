import { randomBytes } from 'node:crypto';
import type { BudgetRaise } from '../core/task-state';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { ZapAgent } from '../agent/zap-agent';
import type { ApprovalRequest } from '../core/approval-request';
import {
  AgentNotFoundError,
  TaskClosedError,
  TaskNotFoundError,
  NoWorkerError,
  ZapNotStartedError,
  ZapValidationError,
} from '../core/errors';
import type { JsonContextCheck } from '../core/json';
import type { z } from 'zod';
import type { ChatMessage, MessageContent } from '../core/messages';
import type { TaskStatusSnapshot } from '../core/task-snapshot';
import { TaskStatus } from '../core/task-status';
import { MESSAGE_AGENT_TOOL_NAME, WAIT_FOR_EVENT_TOOL_NAME } from '../core/built-in-tools';
import type { agentWorkflow } from '../workflows/agent-workflow';
import {
  AGENT_WORKFLOW_TYPE,
  cancelReasonSignal,
  type BatchApprovalDecision,
  type DecideApprovalResult,
  type DecideApprovalsResult,
} from '../workflows/definitions';
import { createZapWorker, type ZapWorkerOptions } from '../worker/create-worker';
import { createZapWorkerPlugin, type ZapWorkerPlugin } from '../worker/zap-worker-plugin';
import type { TaskEvent } from '../core/events';
import { streamTaskEvents, type TaskStreamOptions, type TaskStreamStatistics } from '../streaming/task-event-stream';
import { Task, type TaskOperations } from './task';
import { decideApproval, decideApprovals, validateBatchDecisions } from './task-approvals';
import { authorizeDecisions, defaultApprover, type Approver, type PendingDecision } from './approval-authorization';
import { sendTaskEvent, type SendEventOptions, type SendEventResult } from './task-events';
import { warnAboutUnmatchedPatterns } from './approval-pattern-warnings';
import { buildTaskInput, startedTaskSnapshot, taskStartAttributes } from './task-start';
import { checkSearchAttributes, type SearchAttributeAvailability } from './search-attribute-check';
import { listTasks, type ListTasksOptions, type ListTasksResult } from './task-list';
import { TaskScopeGuard, type TaskScope } from './task-scope';
import { TaskReader, describeWorkflowStatus } from './task-reader';
import { sendFollowUp } from './task-follow-up';
import { retryFailedTask } from './task-retry';
import { ToolCatalogReader } from './tool-catalog-reader';
import { assertVisionSupported, validateTaskRequest, type ExecuteTaskOptions } from './task-request';
import { connectToTemporal } from './temporal-connection';
import { EagerStarter } from './eager-start';
import { compileZapOptions, type CompiledZapOptions, type ZapOptions } from './zap-options';
import type { AnyPipelineDefinition, PipelineInput, PipelineNamed, PipelineOutputs } from '../pipelines/pipeline-definition';
import { PipelineClient, type RetryPipelineOptions } from './pipeline-client';
import { ZapSchedules } from './schedules/zap-schedules';
import { ZapTenantBudgets } from './tenant-budgets';
import type { PipelineRun } from './pipeline-run';
import type { StartPipelineOptions } from './pipeline-start';

/** Options of `zap.streamTask`: start (or follow up on) a task and stream it, or attach to one by id. */
export type StreamTaskOptions<TContext = unknown> = (ExecuteTaskOptions<TContext> | ({ taskId: string } & TaskScope)) &
  TaskStreamOptions & {
    /** Filled with the stream's query and history-request counts (benchmarks). @default undefined */
    statistics?: TaskStreamStatistics;
  };

/**
 * The orchestrator: starts one Temporal workflow per task, sends follow-ups as signals, reads
 * state through queries, and builds workers that run the agents.
 *
 * @example
 * ```ts
 * const zap = new Zap({ agents: [new ZapAgent({ name: 'Support', prompt: 'You help customers.' })] });
 * await zap.start();
 * const task = await zap.executeTask({ agentName: 'Support', task: 'Where is order 123?' });
 * const latest = await zap.getTask(task.id);
 * ```
 */
export class Zap<TContext = unknown, TPipeline extends AnyPipelineDefinition = AnyPipelineDefinition> implements TaskOperations {
  /** The compiled options; read-only. */
  readonly options: CompiledZapOptions<TContext>;
  private connection: Connection | undefined;
  private temporalClient: Client | undefined;
  private readonly toolCatalog: ToolCatalogReader;
  private readonly reader: TaskReader;
  private readonly taskScope: TaskScopeGuard;
  /** Whether this Zap's tasks carry search attributes; known from `start()` on. */
  private searchAttributeAvailability: SearchAttributeAvailability | undefined;
  private readonly workerResources = new Set<{ close(): Promise<void> }>();
  /** Starts tasks eagerly on a worker this Zap runs in this process (`eagerStart`). */
  private readonly eagerStarter = new EagerStarter(() => this.client);
  private readonly pipelines: PipelineClient;
  /** Agent tasks on a timetable, on Temporal Schedules (see `ZapSchedules`). */
  readonly schedules: ZapSchedules<TContext>;
  /** Rolling spending limits per tenant, enforced across all of the tenant's tasks (see `ZapTenantBudgets`). */
  readonly tenantBudgets: ZapTenantBudgets = new ZapTenantBudgets({
    client: () => this.client,
    location: () => ({ namespace: this.options.temporal.namespace, taskQueue: this.options.taskQueue, noWorkerTimeoutMs: this.options.noWorkerTimeoutMs }),
    workersPolling: () => this.reader.workersPolling(),
  });

  constructor(options: ZapOptions<TContext, TPipeline> & JsonContextCheck<TContext>) {
    this.options = compileZapOptions(options);
    this.toolCatalog = new ToolCatalogReader(() => this.client, this.options.taskQueue);
    this.reader = new TaskReader({
      client: () => this.client,
      namespace: this.options.temporal.namespace,
      taskQueue: this.options.taskQueue,
      noWorkerTimeoutMs: this.options.noWorkerTimeoutMs,
    });
    this.taskScope = new TaskScopeGuard(() => this.client);
    this.pipelines = new PipelineClient({
      client: () => this.client,
      options: this.options,
      reader: this.reader,
      taskScope: this.taskScope,
      searchAttributes: () => this.searchAttributeAvailability?.enabled ?? false,
    });
    this.schedules = new ZapSchedules({
      client: () => this.client,
      options: this.options,
      reader: this.reader,
      searchAttributes: () => this.searchAttributeAvailability?.enabled ?? false,
    });
  }

  /** What `console.log(zap)` and `JSON.stringify(zap)` show: never keys or clients. */
  toJSON(): Record<string, unknown> {
    return {
      agents: [...this.options.agents.keys()],
      taskQueue: this.options.taskQueue,
      temporal: { address: this.options.temporal.address, namespace: this.options.temporal.namespace },
      started: this.temporalClient !== undefined,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Zap ${JSON.stringify(this.toJSON())}`;
  }

  /**
   * Connects to Temporal and checks the namespace's search attributes (`searchAttributes`).
   * Unreachable server → `ZapConnectionError` naming the address; `searchAttributes: 'require'`
   * and attributes missing → `SearchAttributesUnavailableError` naming them.
   */
  async start(): Promise<void> {
    if (this.temporalClient) return;
    const client = this.options.temporalClient ?? (await this.connect());
    try {
      this.searchAttributeAvailability = await checkSearchAttributes({
        connection: client.connection,
        namespace: this.options.temporal.namespace,
        mode: this.options.searchAttributes,
        logger: this.options.logger,
        timeoutMs: this.options.temporal.connectTimeoutMs,
      });
    } catch (error) {
      await this.connection?.close();
      this.connection = undefined;
      throw error;
    }
    this.temporalClient = client;
  }

  private async connect(): Promise<Client> {
    const { connection, client } = await connectToTemporal(this.options as CompiledZapOptions<unknown>);
    this.connection = connection;
    return client;
  }

  /**
   * Closes what this `Zap` opened: its Temporal connection, MCP connections, worker resources and
   * its token transport. Running tasks go on.
   */
  async stop(): Promise<void> {
    // Close everything even if one part fails, then report the first failure.
    const results = await Promise.allSettled([...this.workerResources].map((resource) => resource.close()));
    this.workerResources.clear();
    results.push(...(await Promise.allSettled([this.options.tokens.close(), this.reader.settle()])));
    results.push(...(await Promise.allSettled([this.connection?.close()])));
    this.connection = undefined;
    this.temporalClient = undefined;
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** The Temporal client (after `start()`). */
  get client(): Client {
    if (!this.temporalClient) throw new ZapNotStartedError();
    return this.temporalClient;
  }

  /**
   * Starts a new task (one workflow), or sends a follow-up to an existing one.
   * A given `taskId` makes the call idempotent: the same id returns the same task. `tenantId` and
   * `userId` give a new task its owner; with `followUpOnTask` they scope the call (a task of
   * another owner is reported as not found). `outputSchema` (a zod schema) makes a new task answer
   * in JSON matching it, and types the task's `output` (see "Structured output" in the README).
   *
   * @example
   * ```ts
   * const Verdict = z.object({ approved: z.boolean(), reason: z.string() });
   * const { id } = await zap.executeTask({ agentName: 'Reviewer', task: 'Review PR 12', outputSchema: Verdict });
   * const task = await zap.getTask(id, { outputSchema: Verdict }); // task.output: { approved: boolean; reason: string } | undefined
   * ```
   */
  async executeTask<TSchema extends z.ZodType = z.ZodType<unknown>>(
    options: ExecuteTaskOptions<TContext> & { outputSchema?: TSchema },
  ): Promise<Task<z.infer<TSchema>>> {
    const client = this.client;
    const request = validateTaskRequest(options, this.options.agents);
    const outputSchema = options.outputSchema;
    if (request.kind === 'follow-up') {
      await this.taskScope.check(request.taskId, request.scope);
      // A follow-up takes no outputSchema (validateTaskRequest refuses one): its output is unknown.
      return (await this.sendFollowUp(request.taskId, request.content)) as Task<z.infer<TSchema>>;
    }

    const { agent, content, context, taskId: requestedId, approvalRules, tenantId, userId, startDelayMs } = request;
    if (approvalRules) {
      await warnAboutUnmatchedPatterns({
        agentName: agent.name,
        rules: approvalRules,
        toolsOf: (name) => this.getAgentTools(name),
        subAgentsOf: (name) => this.getAgent(name).subAgents,
        logger: this.options.logger,
      });
    }
    if (requestedId !== undefined) {
      const existing = await this.findTask(requestedId, { tenantId, userId }, outputSchema);
      if (existing) return existing;
    }
    const taskId = requestedId ?? `${agent.name}-${randomBytes(8).toString('hex')}`;
    const input = buildTaskInput({
      options: this.options,
      agent,
      taskId,
      content,
      context,
      approvalRules,
      tenantId,
      userId,
      searchAttributes: this.searchAttributeAvailability?.enabled ?? false,
      outputSchema: request.outputSchema,
      budget: request.budget,
    });
    // Temporal runs a task whenever a worker arrives; without one the caller should know.
    const workersPolling = this.reader.workersPolling().catch(() => true);
    if (this.options.whenNoWorker === 'refuse' && !(await workersPolling)) {
      throw new NoWorkerError({ namespace: this.options.temporal.namespace, taskQueue: this.options.taskQueue, action: 'the task was not started' });
    }
    // A local worker takes the first workflow task from the start response (see EagerStarter).
    const eagerClient = this.options.eagerStart && startDelayMs === undefined ? this.eagerStarter.client() : undefined;
    try {
      await (eagerClient ?? client).workflow.start<typeof agentWorkflow>(AGENT_WORKFLOW_TYPE, {
        taskQueue: this.options.taskQueue,
        workflowId: taskId,
        args: [input],
        // Same id while running → the running task; same id after it closed → refused, and we
        // return the closed task. Either way one id is one task.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // The memo and search attributes are what listing and the tenant check read.
        ...taskStartAttributes(input, TaskStatus.Pending),
        // `startAt` / `startDelay`: Temporal holds the first workflow task until then.
        ...(startDelayMs !== undefined ? { startDelay: startDelayMs } : {}),
        ...(eagerClient ? { requestEagerStart: true } : {}),
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        return (await this.findTask(taskId, { tenantId, userId }, outputSchema)) ?? this.getTask(taskId, { outputSchema });
      }
      throw error;
    }
    this.taskScope.remember(taskId, { tenantId, userId });
    if (!(await workersPolling)) {
      this.options.logger.warn(
        `Task ${taskId} was started, but no worker polls task queue '${this.options.taskQueue}' in namespace ` +
          `'${this.options.temporal.namespace}': it runs when one starts (npx zap-worker ./my-zap.js).`,
      );
    }
    const startsAt = startDelayMs !== undefined ? new Date(Date.now() + startDelayMs).toISOString() : undefined;
    return new Task<z.infer<TSchema>>(startedTaskSnapshot(input, agent.name, startsAt), this, outputSchema);
  }

  /**
   * Streams a task's events. Give `agentName` and `task` to start a task and stream it,
   * `followUpOnTask` to send a follow-up and stream its answer, or `taskId` (and `since`) to attach
   * to any task, running or finished. The stream ends after the request's `completed`, `error`
   * or `cancelled` event (or when the task closes, with `untilClosed`).
   *
   * @example
   * ```ts
   * for await (const event of zap.streamTask({ agentName: 'Support', task: 'Where is order 123?' })) {
   *   if (event.type === 'token') process.stdout.write(event.delta);
   *   if (event.type === 'tool_call') console.log(event.phrase);
   * }
   * ```
   */
  async *streamTask(options: StreamTaskOptions<TContext>): AsyncGenerator<TaskEvent, void, undefined> {
    const { includeThinking, includeToolEvents, includeTokens, untilClosed, signal } = options;
    let taskId: string;
    let since = options.since;
    if ('taskId' in options && options.taskId !== undefined && !('agentName' in options && options.agentName)) {
      taskId = options.taskId;
      await this.taskScope.check(taskId, { tenantId: options.tenantId, userId: options.userId });
      // Fails fast (NoWorkerError) when no worker could ever answer the stream's queries.
      if ((await this.reader.status(taskId, signal)) === undefined) return;
    } else if ('followUpOnTask' in options && options.followUpOnTask) {
      await this.taskScope.check(options.followUpOnTask, { tenantId: options.tenantId, userId: options.userId });
      since ??= (await this.reader.status(options.followUpOnTask)).lastEventSeq;
      taskId = (await this.executeTask(options as ExecuteTaskOptions<TContext>)).id;
    } else {
      const task = await this.executeTask(options as ExecuteTaskOptions<TContext>);
      taskId = task.id;
      since ??= 0;
    }
    yield* streamTaskEvents(
      { client: this.client, namespace: this.options.temporal.namespace, tokens: this.options.tokens, statistics: options.statistics },
      taskId,
      { includeThinking, includeToolEvents, includeTokens, untilClosed, signal, since },
    );
  }

  /**
   * The task's current state. `TaskNotFoundError` if no task has this id, or (with a `scope`)
   * if it belongs to another tenant or user. With `outputSchema`, the task's `output` is parsed
   * by it (refinements included) and typed from it; an output that fails it is left undefined,
   * with `outputError` saying why.
   */
  async getTask<TSchema extends z.ZodType = z.ZodType<unknown>>(
    taskId: string,
    options?: TaskScope & { outputSchema?: TSchema },
  ): Promise<Task<z.infer<TSchema>>> {
    await this.taskScope.check(taskId, options);
    return new Task<z.infer<TSchema>>(await this.reader.snapshot(taskId), this, options?.outputSchema);
  }

  /**
   * Lists this Zap's tasks (its task queue) from Temporal's visibility store, a page at a time:
   * one visibility request per page, never a query or a describe per task, so it works with no
   * worker running. Filtering by `status`, `tenantId` or `userId` needs the zap-agents search
   * attributes (`SearchAttributesUnavailableError` without them); `agentName`, `parentTaskId`
   * and the creation range work either way. Visibility is eventually consistent: a task started
   * a moment ago may show a moment later.
   *
   * @example
   * ```ts
   * let page = await zap.listTasks({ tenantId: 'acme', status: ['thinking', 'awaiting_approval'] });
   * for (;;) {
   *   for (const task of page.tasks) console.log(task.taskId, task.status);
   *   if (!page.nextPageToken) break;
   *   page = await zap.listTasks({ tenantId: 'acme', status: ['thinking', 'awaiting_approval'], nextPageToken: page.nextPageToken });
   * }
   * ```
   */
  async listTasks(options: ListTasksOptions = {}): Promise<ListTasksResult> {
    const client = this.client;
    return listTasks(
      {
        client,
        namespace: this.options.temporal.namespace,
        taskQueue: this.options.taskQueue,
        searchAttributes: this.searchAttributeAvailability ?? { enabled: false, missing: [] },
      },
      options,
    );
  }

  /**
   * The task without its conversation: status, result or error, pending approvals, usage,
   * counts (one small query; a closed task is read from its result when no worker runs).
   */
  async getTaskStatus(taskId: string, scope?: TaskScope): Promise<TaskStatusSnapshot> {
    await this.taskScope.check(taskId, scope);
    return this.reader.status(taskId);
  }

  /**
   * A page of the conversation: messages [offset, offset + limit), system prompt first, and the
   * length of the whole conversation. Reads only that page.
   */
  async getTaskHistory(
    taskId: string,
    options: { offset?: number; limit?: number } & TaskScope = {},
  ): Promise<{ messages: ChatMessage[]; total: number }> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(offset) || offset < 0 || !(limit >= 1)) {
      throw new ZapValidationError({ message: 'getTaskHistory: offset must be an integer >= 0 and limit >= 1.' });
    }
    await this.taskScope.check(taskId, options);
    const { messageCount } = await this.reader.status(taskId);
    const to = Math.min(messageCount, offset + limit);
    const messages = offset < to ? await this.reader.messages(taskId, offset, to) : [];
    return { messages, total: messageCount };
  }

  /**
   * Cancels a task: running model and tool calls are abandoned, status becomes `cancelled`, and
   * the Temporal workflow ends cancelled. Cancelling a cancelled task does nothing. With a
   * `scope`, a task of another tenant or user is reported as not found.
   */
  async cancelTask(taskId: string, reason = 'Cancelled by request', scope?: TaskScope): Promise<void> {
    await this.taskScope.check(taskId, scope);
    const handle = this.client.workflow.getHandle(taskId);
    try {
      await handle.signal(cancelReasonSignal, reason);
      await handle.cancel();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const status = await describeWorkflowStatus(handle);
      if (status === undefined) throw new TaskNotFoundError({ taskId, cause: error });
      if (status === 'CANCELLED') return;
      throw new TaskClosedError({ taskId, reason: `its workflow is ${status.toLowerCase()}`, cause: error });
    }
  }

  /**
   * Takes a failed task (max iterations, a non-retryable provider error, `timeouts.llmDeadline`
   * passed) up again under the same id: a new run carries its conversation, usage, approvals and
   * event numbering, and makes the failed model call again, or answers `message` when given (a
   * follow-up to a failed task does this too). `ZapValidationError` if the task has not failed.
   *
   * @example
   * ```ts
   * const task = await zap.getTask(id);
   * if (task.status === 'failed') await zap.retryTask(id); // after the provider is back
   * ```
   */
  async retryTask(taskId: string, options: { message?: MessageContent } & TaskScope = {}): Promise<Task> {
    await this.taskScope.check(taskId, options);
    const snapshot = await this.reader.snapshot(taskId);
    if (snapshot.pipeline) throw new ZapValidationError({ message: `Task '${taskId}' is a pipeline run; retry it with zap.retryPipeline.` });
    if (snapshot.status !== TaskStatus.Failed) {
      throw new ZapValidationError({ message: `Task '${taskId}' has not failed (it is ${snapshot.status}); only a failed task can be retried.` });
    }
    if (snapshot.history.length === 0) {
      throw new NoWorkerError({
        namespace: this.options.temporal.namespace,
        taskQueue: this.options.taskQueue,
        action: `the conversation of task '${taskId}' is needed to retry it`,
      });
    }
    const agent = this.options.agents.get(snapshot.agentName);
    if (agent && options.message !== undefined) assertVisionSupported(agent, options.message);
    await retryFailedTask({
      client: this.client,
      namespace: this.options.temporal.namespace,
      taskId,
      snapshot,
      message: options.message,
      searchAttributes: this.searchAttributeAvailability?.enabled ?? false,
    });
    return this.getTask(taskId);
  }

  /**
   * Starts a run of a registered pipeline (`new Zap({ pipelines })`): one durable workflow that
   * runs the steps in order, each agent step as a child task, each gate as a pending approval of
   * the run. `input` is validated with the pipeline's input schema (`ZapValidationError` listing
   * the issues); the outputs are typed from the steps' output schemas. Returns at once. A given
   * `runId` makes the call idempotent; `tenantId` and `userId` give the run (and its step tasks)
   * an owner. `PipelineNotFoundError` for a pipeline that is not registered.
   *
   * @example
   * ```ts
   * const run = await zap.startPipeline('publish-post', { topic: 'durable agents' });
   * const latest = await zap.getPipelineRun(run.id);
   * if (latest.pendingApproval) await zap.approve(run.id, latest.pendingApproval.id, { approvedBy: 'ana' });
   * ```
   */
  async startPipeline<TName extends TPipeline['name']>(
    name: TName,
    input: PipelineInput<PipelineNamed<TPipeline, TName>>,
    options?: StartPipelineOptions,
  ): Promise<PipelineRun<PipelineOutputs<PipelineNamed<TPipeline, TName>>>>;
  async startPipeline<TDefinition extends AnyPipelineDefinition>(
    pipeline: TDefinition,
    input: PipelineInput<TDefinition>,
    options?: StartPipelineOptions,
  ): Promise<PipelineRun<PipelineOutputs<TDefinition>>>;
  async startPipeline(pipeline: string | AnyPipelineDefinition, input: unknown, options?: StartPipelineOptions): Promise<PipelineRun<any>> {
    return this.pipelines.start(pipeline, input, options);
  }

  /**
   * A pipeline run's current state: its status, current step, each step's result and output, what
   * it waits for. `TaskNotFoundError` for an unknown id (or one outside `scope`),
   * `ZapValidationError` for a task that is not a run. With `pipeline`, the run must be of that
   * pipeline and its outputs are typed from it.
   */
  async getPipelineRun<TName extends TPipeline['name'] = string>(
    runId: string,
    options?: TaskScope & { pipeline?: TName },
  ): Promise<PipelineRun<string extends TName ? Record<string, unknown> : PipelineOutputs<PipelineNamed<TPipeline, TName>>>> {
    return this.pipelines.get(runId, options);
  }

  /**
   * Takes a failed run up again under the same id, from `fromStep` (default: the step that
   * failed): the recorded outputs of the steps before it are reused, so they do not run again.
   * `UnknownStepError` for a step the pipeline does not have; `ZapValidationError` for a run that
   * has not failed or a step before `fromStep` without a recorded output.
   *
   * @example
   * ```ts
   * const run = await zap.getPipelineRun(runId);
   * if (run.status === 'error') await zap.retryPipeline(runId, { fromStep: 'write' });
   * ```
   */
  async retryPipeline(runId: string, options: RetryPipelineOptions = {}): Promise<PipelineRun> {
    return this.pipelines.retry(runId, options);
  }

  /** The agent with this name. `AgentNotFoundError` if none. */
  getAgent(name: string): ZapAgent<TContext> {
    const agent = this.options.agents.get(name);
    if (!agent) throw new AgentNotFoundError({ agentName: name, knownAgents: [...this.options.agents.keys()] });
    return agent;
  }

  /**
   * Names of the tools the agent can call (local, MCP, `message_agent`, `wait_for_event`), as the workers of
   * this task queue discovered them (each worker publishes them when it starts; the client starts
   * no MCP server). An agent without MCP servers is answered from its definition alone; for one
   * with MCP servers and no worker started yet, `NoWorkerError`.
   */
  async getAgentTools(name: string): Promise<string[]> {
    const agent = this.getAgent(name);
    const published = await this.toolCatalog.toolNames(name);
    if (published) return published;
    if (agent.mcpClients.length === 0) {
      return [
        ...agent.tools.map((tool) => tool.name),
        ...(agent.subAgents.length > 0 ? [MESSAGE_AGENT_TOOL_NAME] : []),
        ...(agent.events.size > 0 ? [WAIT_FOR_EVENT_TOOL_NAME] : []),
      ];
    }
    throw new NoWorkerError({
      namespace: this.options.temporal.namespace,
      taskQueue: this.options.taskQueue,
      action: `the MCP tools of agent '${name}' are known once a worker has discovered them`,
    });
  }

  /**
   * A Temporal worker that runs this Zap's agents on its task queue: connects the agents' MCP
   * servers (a server that does not start fails here, naming its command), discovers their tools,
   * and registers the workflow and activities. Call `run()` on it; `zap.stop()` releases it.
   * Give `deployment` to run it as one build of a Temporal Worker Deployment (Worker Versioning):
   *
   * @example
   * ```ts
   * const worker = await zap.createWorker({ deployment: { name: 'support-agents', buildId: 'v42' } });
   * await worker.run(); // then: temporal worker deployment set-current-version --deployment-name support-agents --build-id v42
   * ```
   */
  async createWorker(options: ZapWorkerOptions = {}): Promise<Worker> {
    await this.start();
    const { worker, connection, close } = await createZapWorker({
      options: this.options,
      client: this.client,
      workerOptions: options,
    });
    // A worker of a deployment gets its new tasks as the deployment routes them, never eagerly.
    const versioned = options.deployment !== undefined || options.worker?.workerDeploymentOptions !== undefined || options.worker?.useVersioning === true;
    const forget = versioned ? () => undefined : this.eagerStarter.add({ worker, connection });
    this.workerResources.add({
      close: () => {
        forget();
        return close();
      },
    });
    return worker;
  }

  /**
   * A Temporal worker plugin that runs this Zap's agents on a worker of your own, next to your
   * workflows and activities (see `ZapWorkerPlugin`): connects the agents' MCP servers and
   * discovers their tools (as `createWorker` does), adds zap-agents' activities and payload codec.
   * Your workflows module re-exports zap's workflows, and your workflows run agents with `runAgent`
   * from `zap-agents/workflows`. The MCP connections close when the worker stops, or at `zap.stop()`.
   *
   * @example
   * ```ts
   * const zap = new Zap({ agents: [support], taskQueue: 'orders' });
   * const worker = await Worker.create({
   *   taskQueue: 'orders',
   *   workflowsPath: require.resolve('./workflows'), // export * from 'zap-agents/workflows'; export async function orderWorkflow …
   *   activities: { reserveStock, chargeCard },
   *   plugins: [await zap.workerPlugin()],
   * });
   * await worker.run();
   * ```
   */
  async workerPlugin(): Promise<ZapWorkerPlugin> {
    await this.start();
    const plugin = await createZapWorkerPlugin({ options: this.options, client: this.client });
    this.workerResources.add(plugin);
    return plugin;
  }

  /** Pending approvals of a task (with a `scope`, only of a task of that tenant or user). */
  async getPendingApprovals(taskId: string, scope?: TaskScope): Promise<ApprovalRequest[]> {
    await this.taskScope.check(taskId, scope);
    return (await this.reader.status(taskId)).pendingApprovals;
  }

  /**
   * Lets a pending tool call run. Resolves once the task has recorded the decision;
   * `ApprovalNotFoundError` when the task has no such approval. Deciding twice is harmless.
   * With an `authorize` hook, `approver` (default: `{ id: approvedBy }`) must pass it first
   * (`PermissionDeniedError` otherwise). A budget request (`kind: 'budget'`) is approved with new
   * limits: `approve(taskId, id, { budget: { maxUsd: 2 } })`.
   */
  async approve(
    taskId: string,
    approvalId: string,
    options: { approvedBy?: string; reason?: string; approver?: Approver; budget?: BudgetRaise } & TaskScope = {},
  ): Promise<DecideApprovalResult> {
    await this.taskScope.check(taskId, options);
    const decidedBy = options.approvedBy ?? options.approver?.id;
    await this.authorizeDecisions(taskId, [{ approvalId, decision: 'approve', reason: options.reason }], decidedBy, options);
    return decideApproval(this.client, taskId, {
      approvalId,
      approved: true,
      decidedBy,
      reason: options.reason,
      ...(options.budget ? { budget: options.budget } : {}),
    });
  }

  /**
   * Refuses a pending tool call; the model is told `[Tool call rejected: <reason>]` and goes on.
   * With an `authorize` hook, `approver` (default: `{ id: rejectedBy }`) must pass it first.
   */
  async reject(
    taskId: string,
    approvalId: string,
    reason?: string,
    options: { rejectedBy?: string; approver?: Approver } & TaskScope = {},
  ): Promise<DecideApprovalResult> {
    await this.taskScope.check(taskId, options);
    const decidedBy = options.rejectedBy ?? options.approver?.id;
    await this.authorizeDecisions(taskId, [{ approvalId, decision: 'reject', reason }], decidedBy, options);
    return decideApproval(this.client, taskId, { approvalId, approved: false, reason, decidedBy });
  }

  /**
   * Decides several pending approvals of one task in one update, atomically: every id and
   * decision is checked before any is applied, and the whole batch is refused when one id is
   * unknown (`ApprovalNotFoundError`, its `approvalIds` naming every unknown id) or one decision
   * is malformed (`ZapValidationError`). With an `authorize` hook, every decision must pass it
   * (`PermissionDeniedError` naming the refused ids; nothing is sent). Approvals already decided
   * keep their decision (`alreadyDecided` in their result).
   *
   * @example
   * ```ts
   * const { results } = await zap.decideApprovals(taskId, {
   *   [refundId]: { decision: 'approve' },
   *   [emailId]: { decision: 'reject', reason: 'Not to outside addresses' },
   * }, { decidedBy: 'ana' });
   * ```
   */
  async decideApprovals(
    taskId: string,
    decisions: Readonly<Record<string, BatchApprovalDecision>>,
    options: { decidedBy?: string; approver?: Approver } & TaskScope = {},
  ): Promise<DecideApprovalsResult> {
    const batch = validateBatchDecisions(decisions);
    await this.taskScope.check(taskId, options);
    const decidedBy = options.decidedBy ?? options.approver?.id;
    await this.authorizeDecisions(
      taskId,
      Object.entries(batch).map(([approvalId, entry]) => ({ approvalId, ...entry })),
      decidedBy,
      options,
    );
    return decideApprovals(this.client, taskId, { decisions: batch, ...(decidedBy !== undefined ? { decidedBy } : {}) });
  }

  /** Runs the `authorize` hook, when there is one, on decisions about to be sent. */
  private async authorizeDecisions(
    taskId: string,
    decisions: PendingDecision[],
    decidedBy: string | undefined,
    options: { approver?: Approver } & TaskScope,
  ): Promise<void> {
    const authorize = this.options.authorize;
    if (!authorize) return;
    await authorizeDecisions({
      authorize,
      taskId,
      decisions,
      approver: options.approver ?? defaultApprover(decidedBy, options),
      readStatus: () => this.reader.status(taskId),
    });
  }

  /**
   * Delivers a named event to a task whose agent declares it (`events`). The data is validated
   * against the event's zod schema first. A `wait_for_event` call waiting for it gets it at once
   * (`waiting: true`); otherwise the task keeps it for its next wait for that name. Errors:
   * `UnknownEventError` (the agent declares no such event), `EventValidationError` (the data does
   * not match, or is over 64 KiB), `EventBufferFullError`, `TaskNotFoundError`, `TaskClosedError`.
   *
   * @example
   * ```ts
   * await zap.sendEvent(taskId, 'email-verified', { email: 'ada@example.com' });
   * ```
   */
  async sendEvent(taskId: string, name: string, data: unknown, options: SendEventOptions & TaskScope = {}): Promise<SendEventResult> {
    await this.taskScope.check(taskId, options);
    return sendTaskEvent({
      client: this.client,
      agents: this.options.agents,
      agentNameOf: async (id) => (await this.reader.status(id)).agentName,
      taskId,
      name,
      data,
      options,
    });
  }

  private async sendFollowUp(taskId: string, content: MessageContent): Promise<Task> {
    return sendFollowUp(
      {
        client: this.client,
        reader: this.reader,
        agents: this.options.agents,
        retry: (id, message) => this.retryTask(id, { message }),
        operations: this,
      },
      taskId,
      content,
    );
  }

  /**
   * The existing task with this id, or undefined. Existence is checked with the server alone. A
   * task of another owner than the one asked for is refused: its id is taken.
   */
  private async findTask<TSchema extends z.ZodType>(
    taskId: string,
    owner: TaskScope,
    outputSchema: TSchema | undefined,
  ): Promise<Task<z.infer<TSchema>> | undefined> {
    if ((await describeWorkflowStatus(this.client.workflow.getHandle(taskId))) === undefined) return undefined;
    try {
      await this.taskScope.check(taskId, owner);
    } catch (error) {
      if (!TaskNotFoundError.isInstance(error)) throw error;
      throw new ZapValidationError({ message: `taskId '${taskId}' is already taken by another task; choose another id.` });
    }
    return this.getTask(taskId, { outputSchema });
  }
}
