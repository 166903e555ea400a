/**
 * The baseline's activities, worker and task starts. The model call is zap-agents' own
 * (`OpenAiChatModel`: same client, same body, no client retries) on the conversation given as
 * input, and the tool is the `Bench` agent's, run as zap-agents runs a local tool (schema check,
 * then `execute`); what differs is only what each design does around them.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ChatMessage, ZapAgent } from 'zap-agents';
import type { FunctionToolDefinition, ToolCallOutcome } from '../../src/core/tool-definition';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { OpenAiChatModel, type ChatCompletionResult } from '../../src/llm/openai-chat-model';
import type { WorkerHost } from '../../src/worker/run-worker';
import type { bareAgentWorkflow, BareWorkflowInput } from './bare-workflow';
import { BENCH_SYSTEM_PROMPT } from './bench-zap';

/** Input of {@link BareActivities.runTool}. */
export interface RunToolInput {
  toolCallId: string;
  toolName: string;
  arguments: Record<string, unknown>;
}

/** The baseline's activities: the same result shapes as zap-agents' `invokeModel` and `callTool`. */
export interface BareActivities {
  callModel(input: { messages: ChatMessage[] }): Promise<ChatCompletionResult>;
  runTool(input: RunToolInput): Promise<ToolCallOutcome>;
}

/** What {@link createBareWorkerHost} needs. */
export interface BareWorkerHostOptions {
  temporalAddress: string;
  taskQueue: string;
  llm: { baseURL: string; apiKey: string };
  /** The agent whose model, sampling settings, timeout and tools the baseline uses. */
  agent: ZapAgent;
  /**
   * Serve the tools from this MCP server instead of the agent's local tools: discovered and called
   * through a `McpConnectionPool`, as zap-agents' workers do, without anything zap adds around the
   * call. @default undefined
   */
  mcp?: { name: string; url: string };
}

/**
 * The baseline as a `WorkerHost`, like a `Zap`: `createWorker` builds a worker running
 * `bareAgentWorkflow` (bundling `bare-workflow.ts` at start unless given a `workflowBundle`),
 * `stop` shuts it down and closes its connection.
 */
export function createBareWorkerHost(options: BareWorkerHostOptions): WorkerHost {
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let pool: McpConnectionPool | undefined;
  return {
    async createWorker(workerOptions = {}) {
      if (options.mcp) {
        pool = new McpConnectionPool();
        pool.register([{ name: options.mcp.name, url: options.mcp.url }]);
      }
      const tools = options.mcp && pool ? { pool, serverName: options.mcp.name, definitions: await pool.listTools(options.mcp.name) } : undefined;
      connection = await NativeConnection.connect({ address: options.temporalAddress });
      worker = await Worker.create({
        ...(workerOptions.worker?.workflowBundle ? {} : { workflowsPath: require.resolve('./bare-workflow') }),
        ...workerOptions.worker,
        connection,
        taskQueue: options.taskQueue,
        activities: createBareActivities(options.agent, options.llm, tools),
      });
      return worker;
    },
    async stop() {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      while (worker && !['INITIALIZED', 'STOPPED', 'FAILED'].includes(worker.getState())) await sleep(50);
      // A stopped worker lets go of its connection a moment after it reports STOPPED.
      for (let attempt = 0; connection; attempt += 1) {
        try {
          await connection.close();
          connection = undefined;
        } catch (error) {
          if (attempt >= 100 || !(error instanceof Error && /Workers hold a reference/.test(error.message))) throw error;
          await sleep(50);
        }
      }
      await pool?.close();
      pool = undefined;
    },
  };
}

/** Starts a bare task and returns its workflow id. */
export async function startBareTask(
  client: Client,
  options: { taskQueue: string; message: string; finalWaitMs: number; localTools?: boolean; maxIterations?: number },
): Promise<string> {
  const workflowId = `bare-${randomBytes(8).toString('hex')}`;
  const input: BareWorkflowInput = {
    systemPrompt: BENCH_SYSTEM_PROMPT,
    message: options.message,
    maxIterations: options.maxIterations ?? 50,
    finalWaitMs: options.finalWaitMs,
    localTools: options.localTools ?? false,
  };
  await client.workflow.start<typeof bareAgentWorkflow>('bareAgentWorkflow', { taskQueue: options.taskQueue, workflowId, args: [input] });
  return workflowId;
}

function createBareActivities(
  agent: ZapAgent,
  llm: { baseURL: string; apiKey: string },
  mcp?: { pool: McpConnectionPool; serverName: string; definitions: FunctionToolDefinition[] },
): BareActivities {
  const model = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: llm.apiKey, headers: {} });
  const definitions =
    mcp?.definitions.map(({ name, description, parameters }) => ({ name, description, parameters })) ??
    agent.tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.jsonSchema }));
  return {
    callModel: ({ messages }) =>
      model.complete({
        model: agent.model,
        messages,
        tools: definitions,
        temperature: agent.temperature,
        signal: Context.current().cancellationSignal,
        timeoutMs: agent.timeouts.llmMs,
      }),
    async runTool(input) {
      if (mcp) return mcp.pool.callTool(mcp.serverName, input.toolName, input.arguments, { signal: Context.current().cancellationSignal });
      const tool = agent.tools.find((candidate) => candidate.name === input.toolName);
      if (!tool) throw ApplicationFailure.nonRetryable(`Unknown tool '${input.toolName}'.`, 'TOOL_NOT_FOUND');
      const context = Context.current();
      const workflowId = context.info.workflowExecution?.workflowId ?? '';
      const value = await tool.execute(tool.parameters.parse(input.arguments), {
        context: undefined,
        taskId: workflowId,
        agentName: agent.name,
        toolCallId: input.toolCallId,
        idempotencyKey: `${workflowId}/${input.toolCallId}`,
        signal: context.cancellationSignal,
      });
      return { content: typeof value === 'string' ? value : JSON.stringify(value), isError: false };
    },
  };
}
