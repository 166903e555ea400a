import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { MAX_ACTIVITY_RESULT_BYTES, MIN_TOOL_RESULT_BYTES } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import type { ApprovalCheck } from '../core/approval-rules';
import { validateToolName } from './names';

/** What a local tool's `execute` receives besides its arguments. */
export interface ToolExecutionContext<TContext = unknown> {
  /** The task's context as given to `executeTask` (JSON), typed as the agent's context. */
  context: TContext;
  taskId: string;
  agentName: string;
  toolCallId: string;
  /**
   * Stable across retries of this call (task id + tool call id): pass it to external systems
   * so a retried call does not repeat a side effect.
   */
  idempotencyKey: string;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
}

/** Options of {@link tool}. */
export interface ToolOptions<TParameters extends z.ZodType, TContext> {
  /** 1–64 chars of `[A-Za-z0-9_-]`, unique among the agent's tools. */
  name: string;
  /** Tells the model what the tool does and when to use it. */
  description: string;
  /** Zod schema of the arguments (an object schema). Arguments are validated before `execute`. */
  parameters: TParameters;
  /**
   * Returns the tool's result: a string is given to the model as is, anything else as JSON.
   * Throwing makes the call fail; after the tool retry policy the error goes to the model.
   */
  execute: (args: z.infer<TParameters>, context: ToolExecutionContext<TContext>) => unknown;
  /**
   * Whether running the call twice has the same effect as once.
   * @default false
   */
  idempotent?: boolean;
  /**
   * Runs each call as a Temporal local activity on the worker that runs the task's workflow task,
   * instead of an ordinary activity: no activity task, no extra workflow task, so a round with
   * this tool is quicker and costs the server less. For fast tools (well under the workflow task
   * timeout, 10 s by default). Needs `idempotent: true`: a local call that was running when its
   * worker died is noticed only after the workflow task timeout and then runs again, and a local
   * call has no heartbeats (README: "Local tools as local activities"). Its timeout and retries are the
   * agent's tool timeout and tool retry policy; approvals, result bounds and budgets apply as to
   * any call.
   * @default false
   */
  localActivity?: boolean;
  /**
   * Heartbeat timeout of this tool's calls: a call whose worker stops heartbeating for this long
   * is taken for dead and runs again on another worker (an idempotent tool) or is reported as of
   * unknown outcome. Heartbeats are timers on the worker's event loop, so a tool that blocks the
   * loop (synchronous CPU-bound work) needs a heartbeat timeout longer than its longest block.
   * Not with `localActivity` (a local activity has no heartbeats): `ZapConfigurationError`.
   * @default the agent's `timeouts.toolHeartbeat` (4 seconds unless set)
   */
  heartbeat?: Duration;
  /**
   * Bytes (UTF-8) of the result the model receives, overriding the agent's `maxToolResultBytes`
   * for this tool (1 KiB to 1 MiB). A longer result is truncated and ends with a marker telling
   * the model its size and to ask for less; the call is not run again.
   * @default the agent's `maxToolResultBytes` (64 KiB unless set)
   */
  maxResultBytes?: number;
  /**
   * Whether a call needs a human decision before it runs: `true` for every call, or a predicate
   * over the call (`({ args }) => args.amount > 100`). The predicate runs on the worker, in the
   * model activity that produced the call, and its answer is recorded there; when it throws, the
   * call needs approval. Such a call waits with the task's approval timeout and policy (7 days,
   * `reject`, unless its `approvalRules` say otherwise).
   * @default false
   */
  requiresApproval?: boolean | ((check: ApprovalCheck<TContext> & { args: z.infer<TParameters> }) => boolean | Promise<boolean>);
  /**
   * The summary a human deciding on a call sees (in the approval request, the CLI, the HTTP API
   * and webhook notifications): `({ amount, orderId }) => \`Refund $${amount} on order ${orderId}\``.
   * Runs on the worker like `requiresApproval`; when it throws, the tool-call phrase is used.
   * @default the tool-call phrase ("Calling refund with amount: 250, …")
   */
  describe?: (args: z.infer<TParameters>, context: { context: TContext; taskId: string; agentName: string }) => string | Promise<string>;
}

/** A local tool: runs inside a tool activity on the worker. Build it with {@link tool}. */
export interface ZapTool<TContext = unknown> {
  readonly kind: 'zap-tool';
  readonly name: string;
  readonly description: string;
  readonly parameters: z.ZodType;
  /** The JSON Schema sent to the model. */
  readonly jsonSchema: Record<string, unknown>;
  readonly idempotent: boolean;
  /** Calls run as local activities (only for idempotent tools). */
  readonly localActivity: boolean;
  /** This tool's heartbeat timeout in milliseconds; undefined → the agent's `timeouts.toolHeartbeat`. */
  readonly heartbeatMs: number | undefined;
  /** This tool's result bound; undefined → the agent's `maxToolResultBytes`. */
  readonly maxResultBytes: number | undefined;
  readonly execute: (args: any, context: ToolExecutionContext<TContext>) => unknown;
  /** `true`, a predicate, or undefined (no approval of its own). */
  readonly requiresApproval: boolean | ((check: ApprovalCheck<TContext>) => boolean | Promise<boolean>) | undefined;
  readonly describe: ((args: any, context: { context: TContext; taskId: string; agentName: string }) => string | Promise<string>) | undefined;
}

/**
 * Defines a local tool with a zod parameter schema.
 *
 * @example
 * ```ts
 * const getWeather = tool({
 *   name: 'get_weather',
 *   description: 'Current weather for a city',
 *   parameters: z.object({ city: z.string() }),
 *   execute: async ({ city }) => `Sunny in ${city}`,
 * });
 * ```
 *
 * Written inside an agent's `tools`, a tool gets the agent's context type
 * (`new ZapAgent<{ customerId: string }>({ tools: [tool({ …, execute: (args, { context }) => context.customerId })] })`);
 * written apart, give it: `tool<typeof parameters, MyContext>({ … })`, or leave its context `unknown`.
 */
export function tool<TParameters extends z.ZodType, TContext = unknown>(
  options: ToolOptions<TParameters, TContext>,
): ZapTool<TContext> {
  validateToolName(options.name, 'tool()');
  if (typeof options.description !== 'string' || options.description.trim() === '') {
    throw new ZapConfigurationError({ message: `tool '${options.name}' needs a non-empty description.` });
  }
  if (typeof options.execute !== 'function') {
    throw new ZapConfigurationError({ message: `tool '${options.name}' needs an execute function.` });
  }
  let jsonSchema: Record<string, unknown>;
  try {
    jsonSchema = z.toJSONSchema(options.parameters, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  } catch (error) {
    throw new ZapConfigurationError({
      message: `tool '${options.name}': its parameters cannot be converted to JSON Schema (use a zod 4 object schema).`,
      cause: error,
    });
  }
  if (jsonSchema.type !== 'object') {
    throw new ZapConfigurationError({ message: `tool '${options.name}': parameters must be a zod object schema.` });
  }
  delete jsonSchema.$schema;
  const maxResultBytes = validateResultBound(options.maxResultBytes, `tool '${options.name}': maxResultBytes`);
  if (options.requiresApproval !== undefined && typeof options.requiresApproval !== 'boolean' && typeof options.requiresApproval !== 'function') {
    throw new ZapConfigurationError({ message: `tool '${options.name}': requiresApproval must be a boolean or a function.` });
  }
  if (options.localActivity !== undefined && typeof options.localActivity !== 'boolean') {
    throw new ZapConfigurationError({ message: `tool '${options.name}': localActivity must be a boolean.` });
  }
  if (options.localActivity === true && options.idempotent !== true) {
    throw new ZapConfigurationError({
      message:
        `tool '${options.name}': localActivity needs idempotent: true. A local activity that was running when its ` +
        'worker died runs again after the workflow task timeout, so only a tool that may run twice can be one.',
    });
  }
  const heartbeatMs = validateHeartbeat(options.heartbeat, `tool '${options.name}': heartbeat`);
  if (heartbeatMs !== undefined && options.localActivity === true) {
    throw new ZapConfigurationError({ message: `tool '${options.name}': heartbeat has no effect with localActivity (a local activity has no heartbeats).` });
  }
  if (options.describe !== undefined && typeof options.describe !== 'function') {
    throw new ZapConfigurationError({ message: `tool '${options.name}': describe must be a function (args) => string.` });
  }
  return {
    kind: 'zap-tool',
    name: options.name,
    description: options.description,
    parameters: options.parameters,
    jsonSchema,
    idempotent: options.idempotent ?? false,
    localActivity: options.localActivity ?? false,
    heartbeatMs,
    maxResultBytes,
    execute: options.execute,
    requiresApproval: options.requiresApproval === false ? undefined : (options.requiresApproval as ZapTool<TContext>['requiresApproval']),
    describe: options.describe,
  };
}

/** Checks a tool's `heartbeat`: undefined, or a positive duration. */
function validateHeartbeat(value: Duration | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  let milliseconds: number;
  try {
    milliseconds = msToNumber(value);
  } catch (error) {
    throw new ZapConfigurationError({ message: `${where}: ${JSON.stringify(value)} is not a duration.`, cause: error });
  }
  if (!Number.isFinite(milliseconds) || milliseconds <= 0) {
    throw new ZapConfigurationError({ message: `${where}: ${JSON.stringify(value)} must be a positive duration.` });
  }
  return milliseconds;
}

/**
 * Checks a tool result bound (`maxResultBytes`, `maxToolResultBytes`): undefined, or an integer
 * from `MIN_TOOL_RESULT_BYTES` (room for the truncation marker) to `MAX_ACTIVITY_RESULT_BYTES`
 * (what an activity result may hold).
 */
export function validateResultBound(value: number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < MIN_TOOL_RESULT_BYTES || value > MAX_ACTIVITY_RESULT_BYTES) {
    throw new ZapConfigurationError({
      message: `${where} must be an integer from ${MIN_TOOL_RESULT_BYTES} to ${MAX_ACTIVITY_RESULT_BYTES} (bytes); got ${String(value)}.`,
    });
  }
  return value;
}
