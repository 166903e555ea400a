import { randomBytes } from 'node:crypto';
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
  ZapConnectionError,
  ZapError,
  NoWorkerError,
  ZapNotStartedError,
  ZapValidationError,
} from '../core/errors';
import type { MessageContent } from '../core/messages';
import { TaskStatus } from '../core/task-status';
import { MESSAGE_AGENT_TOOL_NAME } from '../core/built-in-tools';
import type { agentWorkflow } from '../workflows/agent-workflow';
import {
  AGENT_WORKFLOW_TYPE,
  cancelReasonSignal,
  type DecideApprovalResult,
  followUpSignal,
} from '../workflows/definitions';
import { createZapWorker, type ZapWorkerOptions } from '../worker/create-worker';
import type { TaskEvent } from '../core/events';
import { streamTaskEvents, type TaskStreamOptions, type TaskStreamStatistics } from '../streaming/task-event-stream';
import { Task, type TaskOperations } from './task';
import { decideApproval } from './task-approvals';
import { warnAboutUnmatchedPatterns } from './approval-pattern-warnings';
import { buildTaskInput, startedTaskSnapshot } from './task-start';
import { TaskReader, describeWorkflowStatus } from './task-reader';
import { retryFailedTask } from './task-retry';
import { ToolCatalogReader } from './tool-catalog-reader';
import { assertVisionSupported, validateTaskRequest, type ExecuteTaskOptions } from './task-request';
import { compileZapOptions, type CompiledZapOptions, type ZapOptions } from './zap-options';

/** Options of `zap.streamTask`: start (or follow up on) a task and stream it, or attach to one by id. */
export type StreamTaskOptions<TContext = unknown> = (ExecuteTaskOptions<TContext> | { taskId: string }) &
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
export class Zap<TContext = unknown> implements TaskOperations {
  /** The compiled options; read-only. */
  readonly options: CompiledZapOptions<TContext>;
  private connection: Connection | undefined;
  private temporalClient: Client | undefined;
  private readonly toolCatalog: ToolCatalogReader;
  private readonly reader: TaskReader;
  private readonly workerResources = new Set<{ close(): Promise<void> }>();

  constructor(options: ZapOptions<TContext>) {
    this.options = compileZapOptions(options);
    this.toolCatalog = new ToolCatalogReader(() => this.client, this.options.taskQueue);
    this.reader = new TaskReader({
      client: () => this.client,
      namespace: this.options.temporal.namespace,
      taskQueue: this.options.taskQueue,
      noWorkerTimeoutMs: this.options.noWorkerTimeoutMs,
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

  /** Connects to Temporal. Unreachable server → `ZapConnectionError` naming the address. */
  async start(): Promise<void> {
    if (this.temporalClient) return;
    if (this.options.temporalClient) {
      this.temporalClient = this.options.temporalClient;
      return;
    }
    const { address, namespace, tls, apiKey, connectTimeoutMs } = this.options.temporal;
    try {
      this.connection = await Connection.connect({ address, tls, apiKey, connectTimeout: connectTimeoutMs });
    } catch (error) {
      throw new ZapConnectionError({
        message: `Could not connect to Temporal at ${address} (namespace '${namespace}'): ${describeError(error)}. ` +
          'Is the server running? Start one with `npx zap-dev` (./temporal-dev.sh in a checkout), or set TEMPORAL_ADDRESS.',
        cause: error,
      });
    }
    const { payloadCodec } = this.options;
    this.temporalClient = new Client({
      connection: this.connection,
      namespace,
      ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
    });
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
   * A given `taskId` makes the call idempotent: the same id returns the same task.
   */
  async executeTask(options: ExecuteTaskOptions<TContext>): Promise<Task> {
    const client = this.client;
    const request = validateTaskRequest(options, this.options.agents);
    if (request.kind === 'follow-up') return this.sendFollowUp(request.taskId, request.content);

    const { agent, content, context, taskId: requestedId, approvalRules } = request;
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
      const existing = await this.findTask(requestedId);
      if (existing) return existing;
    }
    const taskId = requestedId ?? `${agent.name}-${randomBytes(8).toString('hex')}`;
    const input = buildTaskInput({ options: this.options, agent, taskId, content, context, approvalRules });
    // Temporal runs a task whenever a worker arrives; without one the caller should know.
    const workersPolling = this.reader.workersPolling().catch(() => true);
    if (this.options.whenNoWorker === 'refuse' && !(await workersPolling)) {
      throw new NoWorkerError({ namespace: this.options.temporal.namespace, taskQueue: this.options.taskQueue, action: 'the task was not started' });
    }
    try {
      await client.workflow.start<typeof agentWorkflow>(AGENT_WORKFLOW_TYPE, {
        taskQueue: this.options.taskQueue,
        workflowId: taskId,
        args: [input],
        // Same id while running → the running task; same id after it closed → refused, and we
        // return the closed task. Either way one id is one task.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { agentName: agent.name },
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return this.getTask(taskId);
      throw error;
    }
    if (!(await workersPolling)) {
      this.options.logger.warn(
        `Task ${taskId} was started, but no worker polls task queue '${this.options.taskQueue}' in namespace ` +
          `'${this.options.temporal.namespace}': it runs when one starts (npx zap-worker ./my-zap.js).`,
      );
    }
    return new Task(startedTaskSnapshot(input, agent.name), this);
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
      // Fails fast (NoWorkerError) when no worker could ever answer the stream's queries.
      if ((await this.reader.status(taskId, signal)) === undefined) return;
    } else if ('followUpOnTask' in options && options.followUpOnTask) {
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

  /** The task's current state. `TaskNotFoundError` if no task has this id. */
  async getTask(taskId: string): Promise<Task> {
    return new Task(await this.reader.snapshot(taskId), this);
  }

  /**
   * Cancels a task: running model and tool calls are abandoned, status becomes `cancelled`, and
   * the Temporal workflow ends cancelled. Cancelling a cancelled task does nothing.
   */
  async cancelTask(taskId: string, reason = 'Cancelled by request'): Promise<void> {
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
  async retryTask(taskId: string, options: { message?: MessageContent } = {}): Promise<Task> {
    const snapshot = await this.reader.snapshot(taskId);
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
    await retryFailedTask({ client: this.client, namespace: this.options.temporal.namespace, taskId, snapshot, ...options });
    return this.getTask(taskId);
  }

  /** The agent with this name. `AgentNotFoundError` if none. */
  getAgent(name: string): ZapAgent<TContext> {
    const agent = this.options.agents.get(name);
    if (!agent) throw new AgentNotFoundError({ agentName: name, knownAgents: [...this.options.agents.keys()] });
    return agent;
  }

  /**
   * Names of the tools the agent can call (local, MCP, and `message_agent`), as the workers of
   * this task queue discovered them (each worker publishes them when it starts; the client starts
   * no MCP server). An agent without MCP servers is answered from its definition alone; for one
   * with MCP servers and no worker started yet, `NoWorkerError`.
   */
  async getAgentTools(name: string): Promise<string[]> {
    const agent = this.getAgent(name);
    const published = await this.toolCatalog.toolNames(name);
    if (published) return published;
    if (agent.mcpClients.length === 0) {
      return [...agent.tools.map((tool) => tool.name), ...(agent.subAgents.length > 0 ? [MESSAGE_AGENT_TOOL_NAME] : [])];
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
    const { worker, close } = await createZapWorker({
      options: this.options,
      client: this.client,
      workerOptions: options,
    });
    this.workerResources.add({ close });
    return worker;
  }

  /** Pending approvals of a task. */
  async getPendingApprovals(taskId: string): Promise<ApprovalRequest[]> {
    return (await this.reader.status(taskId)).pendingApprovals;
  }

  /**
   * Lets a pending tool call run. Resolves once the task has recorded the decision;
   * `ApprovalNotFoundError` when the task has no such approval. Deciding twice is harmless.
   */
  async approve(taskId: string, approvalId: string, options: { approvedBy?: string; reason?: string } = {}): Promise<DecideApprovalResult> {
    return decideApproval(this.client, taskId, { approvalId, approved: true, decidedBy: options.approvedBy, reason: options.reason });
  }

  /** Refuses a pending tool call; the model is told `[Tool call rejected: <reason>]` and goes on. */
  async reject(
    taskId: string,
    approvalId: string,
    reason?: string,
    options: { rejectedBy?: string } = {},
  ): Promise<DecideApprovalResult> {
    return decideApproval(this.client, taskId, { approvalId, approved: false, reason, decidedBy: options.rejectedBy });
  }

  private async sendFollowUp(taskId: string, content: MessageContent): Promise<Task> {
    const current = await this.reader.status(taskId);
    const agent = this.options.agents.get(current.agentName);
    if (agent) assertVisionSupported(agent, content);
    // A failed task keeps its conversation: the follow-up takes it up again.
    if (current.status === TaskStatus.Failed) return this.retryTask(taskId, { message: content });
    if (current.status === TaskStatus.Cancelled) {
      throw new TaskClosedError({ taskId, reason: `it is ${current.status}` });
    }
    const handle = this.client.workflow.getHandle(taskId);
    try {
      await handle.signal(followUpSignal, { content });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new TaskClosedError({ taskId, reason: 'it ended after its idle timeout; start a new task', cause: error });
      }
      throw error;
    }
    return this.getTask(taskId);
  }

  /** The existing task with this id, or undefined. Existence is checked with the server alone. */
  private async findTask(taskId: string): Promise<Task | undefined> {
    if ((await describeWorkflowStatus(this.client.workflow.getHandle(taskId))) === undefined) return undefined;
    return this.getTask(taskId);
  }
}

function describeError(error: unknown): string {
  if (ZapError.isInstance(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
