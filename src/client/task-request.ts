import { z } from 'zod';
import { compileOutputSchema, rebuildSchema, type CompiledOutputSchema } from '../agent/agent-output';
import type { ZapAgent } from '../agent/zap-agent';
import { ApprovalRules } from '../core/approval-rules';
import { compileBudget, type BudgetSpec, type TaskBudget } from '../core/budget';
import { validateContentParts } from '../core/content';
import { AgentNotFoundError, VisionNotSupportedError, ZapValidationError } from '../core/errors';
import { findNonJsonValue, type JsonValue } from '../core/json';
import { contentPartSchema, type MessageContent } from '../core/messages';
import { modelSupportsVision } from '../llm/model-capabilities';
import { validateOwnerId, validateTaskScope, type TaskScope } from './task-scope';
import { readStartDelay, type DelayedStartOptions } from './delayed-start';
import { MAX_TASK_CONTENT_BYTES, MAX_TASK_CONTEXT_BYTES, MAX_TASK_ID_LENGTH } from '../core/defaults';

/** The limits on a task's content and context (defined in `core/defaults`). */
export { MAX_TASK_CONTENT_BYTES, MAX_TASK_CONTEXT_BYTES };

/**
 * Every field `zap.executeTask` reads; {@link ExecuteTaskOptions} says which combinations are
 * valid. `startAt` / `startDelay` (new tasks only) start the task later: see {@link DelayedStartOptions}.
 */
export interface TaskRequestOptions<TContext = unknown> extends DelayedStartOptions {
  /** Agent of a new task. Required unless `followUpOnTask` is given. */
  agentName?: string;
  /** The request as text. `task` or `taskContent` is required. */
  task?: string;
  /** The request as content parts (text and images); wins over `task`. */
  taskContent?: MessageContent;
  /** Sends the message as a follow-up to this existing task instead of starting one. */
  followUpOnTask?: string;
  /** JSON context for dynamic prompts and tools. Must be plain JSON. */
  context?: TContext;
  /** Tool calls that need a human decision before they run (inherited by sub-agents by default). */
  approvalRules?: ApprovalRules;
  /** Your own task id: makes the call idempotent (same id → same task). @default `<agentName>-<hex>` */
  taskId?: string;
  /**
   * The tenant a new task belongs to (1–200 characters, no control characters): stored with the
   * task, inherited by its sub-tasks, listed with `listTasks({ tenantId })`. With `followUpOnTask`,
   * the scope of the call: a task of another tenant is reported as not found.
   * @default undefined
   */
  tenantId?: string;
  /** The user a new task belongs to, like `tenantId`; with `followUpOnTask`, the scope of the call. @default undefined */
  userId?: string;
  /**
   * Zod schema of this task's answers (structured output), winning over the agent's `output`: the
   * model is asked for JSON matching it, each final answer is validated (with repair turns), and
   * the task's `output` is the parsed value, typed from the schema (`Task<z.infer<typeof schema>>`).
   * The worker checks answers against the schema's JSON Schema; read the task with
   * `zap.getTask(id, { outputSchema })` to have refinements checked too. New tasks only: a
   * follow-up answers in the schema its task started with.
   * @default undefined (the agent's `output`, else plain text answers)
   */
  outputSchema?: z.ZodType;
  /**
   * Hard caps on what the task (with its sub-agents) may spend: `{ maxUsd, maxTokens,
   * maxModelCalls, maxToolCalls, onExceeded: 'fail' | 'ask' }`, each limit replacing the agent's
   * default budget. Checked before every model call against its worst case. New tasks only.
   * @default the agent's `budget` (none unless set)
   */
  budget?: TaskBudget;
}

/**
 * `context` of a new task: required when the context type does not include `undefined`
 * (`Zap<{ customerId: string }>`), optional otherwise (`Zap<{ customerId: string } | undefined>`,
 * or an untyped `Zap`).
 */
export type TaskContextOption<TContext> = undefined extends TContext ? { context?: TContext } : { context: TContext };

/** Options of `zap.executeTask` for a new task. */
export type NewTaskOptions<TContext = unknown> = Omit<TaskRequestOptions<TContext>, 'agentName' | 'followUpOnTask' | 'context'> & {
  /** Agent of the new task. */
  agentName: string;
  followUpOnTask?: undefined;
} & TaskContextOption<TContext>;

/** Options of `zap.executeTask` for a follow-up to an existing task (its context stays as it was). */
export type FollowUpTaskOptions = Omit<TaskRequestOptions<never>, 'followUpOnTask' | 'context' | 'outputSchema' | 'startAt' | 'startDelay'> & {
  /** The task the message goes to. */
  followUpOnTask: string;
  context?: undefined;
  /** A follow-up answers in the output schema its task started with. */
  outputSchema?: undefined;
  /** A follow-up is delivered now (a task that has not started gets it when it starts). */
  startAt?: undefined;
  startDelay?: undefined;
};

/** Options of `zap.executeTask`: a new task ({@link NewTaskOptions}) or a follow-up ({@link FollowUpTaskOptions}). */
export type ExecuteTaskOptions<TContext = unknown> = NewTaskOptions<TContext> | FollowUpTaskOptions;

/** A validated {@link ExecuteTaskOptions}. */
export type TaskRequest<TContext> =
  | { kind: 'follow-up'; taskId: string; content: MessageContent; scope: TaskScope | undefined }
  | {
      kind: 'new';
      agent: ZapAgent<TContext>;
      content: MessageContent;
      context: JsonValue | undefined;
      taskId: string | undefined;
      approvalRules: ApprovalRules | undefined;
      tenantId: string | undefined;
      userId: string | undefined;
      /** The task's own output schema, compiled. */
      outputSchema: CompiledOutputSchema | undefined;
      /** How long after now the task starts (`startAt` / `startDelay`); undefined: now. */
      startDelayMs: number | undefined;
      /** The task's own budget, compiled (the agent's default is merged when the input is built). */
      budget: BudgetSpec | undefined;
    };

/** Checks an `executeTask` call before anything is sent to Temporal. */
export function validateTaskRequest<TContext>(
  options: ExecuteTaskOptions<TContext>,
  agents: ReadonlyMap<string, ZapAgent<TContext>>,
): TaskRequest<TContext> {
  if (!options || typeof options !== 'object') {
    throw new ZapValidationError({ message: 'executeTask needs an options object.' });
  }
  const content = readContent(options);

  if (options.followUpOnTask !== undefined) {
    if (typeof options.followUpOnTask !== 'string' || options.followUpOnTask.trim() === '') {
      throw new ZapValidationError({ message: 'followUpOnTask must be a task id.' });
    }
    if (options.outputSchema !== undefined) {
      throw new ZapValidationError({ message: 'outputSchema is for new tasks: a follow-up answers in the output schema its task started with.' });
    }
    if (options.startAt !== undefined || options.startDelay !== undefined) {
      throw new ZapValidationError({ message: 'startAt and startDelay are for new tasks: a follow-up is delivered now.' });
    }
    if (options.budget !== undefined) {
      throw new ZapValidationError({ message: 'budget is for new tasks: a follow-up spends from the budget its task started with.' });
    }
    const scope = validateTaskScope({ tenantId: options.tenantId, userId: options.userId });
    return { kind: 'follow-up', taskId: options.followUpOnTask, content, scope };
  }

  if (typeof options.agentName !== 'string' || options.agentName === '') {
    throw new ZapValidationError({
      message: 'executeTask needs `agentName` for a new task (or `followUpOnTask` for a follow-up).',
    });
  }
  const agent = agents.get(options.agentName);
  if (!agent) throw new AgentNotFoundError({ agentName: options.agentName, knownAgents: [...agents.keys()] });
  assertVisionSupported(agent, content);

  if (options.context !== undefined) {
    const problem = findNonJsonValue(options.context, 'context');
    if (problem) throw new ZapValidationError({ message: `The task context must be plain JSON: ${problem}.` });
    const bytes = Buffer.byteLength(JSON.stringify(options.context));
    if (bytes > MAX_TASK_CONTEXT_BYTES) {
      throw new ZapValidationError({
        message: `The task context is ${bytes} bytes of JSON; at most ${MAX_TASK_CONTEXT_BYTES} are accepted. Store large data elsewhere and pass its key.`,
      });
    }
  }
  if (options.taskId !== undefined) {
    if (typeof options.taskId !== 'string' || options.taskId.trim() === '' || options.taskId.length > MAX_TASK_ID_LENGTH) {
      throw new ZapValidationError({
        message: `taskId must be a non-empty string of at most ${MAX_TASK_ID_LENGTH} characters.`,
      });
    }
  }
  if (options.approvalRules !== undefined && !(options.approvalRules instanceof ApprovalRules)) {
    throw new ZapValidationError({
      message: 'approvalRules must be an ApprovalRules instance (new ApprovalRules({ patterns })).',
    });
  }
  return {
    kind: 'new',
    agent,
    content,
    context: options.context as JsonValue | undefined,
    taskId: options.taskId,
    approvalRules: options.approvalRules,
    tenantId: validateOwnerId(options.tenantId, 'tenantId'),
    userId: validateOwnerId(options.userId, 'userId'),
    outputSchema: options.outputSchema === undefined ? undefined : compileTaskOutputSchema(options.outputSchema),
    startDelayMs: readStartDelay(options),
    budget: options.budget === undefined ? undefined : compileBudget(options.budget, 'budget'),
  };
}

/**
 * A task's `outputSchema`, compiled; `ZapValidationError` when it has no JSON Schema, or one the
 * worker cannot turn back into a zod schema to check answers with.
 */
function compileTaskOutputSchema(schema: unknown): CompiledOutputSchema {
  const compiled = compileOutputSchema(schema, 'executeTask outputSchema', 'validation');
  if (!rebuildSchema(compiled.jsonSchema)) {
    throw new ZapValidationError({
      message: 'executeTask outputSchema: its JSON Schema cannot be rebuilt as a zod schema on the worker; simplify it, or set it as the agent\'s `output`.',
    });
  }
  return compiled;
}

/** `VisionNotSupportedError` when the content has images and the agent's model cannot see. */
export function assertVisionSupported(agent: ZapAgent<any>, content: MessageContent): void {
  if (typeof content === 'string') return;
  const hasImage = content.some((part) => part.type === 'image_url');
  if (hasImage && !modelSupportsVision(agent.model, agent.supportsVision)) {
    throw new VisionNotSupportedError({ agentName: agent.name, model: agent.model });
  }
}

function readContent(options: ExecuteTaskOptions<unknown>): MessageContent {
  let content: MessageContent;
  if (options.taskContent !== undefined) {
    const parsed = z.union([z.string(), z.array(contentPartSchema)]).safeParse(options.taskContent);
    if (!parsed.success) {
      throw new ZapValidationError({ message: `taskContent is invalid: ${z.prettifyError(parsed.error)}` });
    }
    content = parsed.data;
    if (typeof content !== 'string') validateContentParts(content);
  } else if (options.task !== undefined) {
    if (typeof options.task !== 'string') throw new ZapValidationError({ message: 'task must be a string.' });
    content = options.task;
  } else {
    throw new ZapValidationError({ message: 'executeTask needs `task` (text) or `taskContent` (content parts).' });
  }
  const empty = typeof content === 'string' ? content.trim() === '' : content.length === 0;
  if (empty) throw new ZapValidationError({ message: 'The task text is empty.' });
  const bytes = Buffer.byteLength(JSON.stringify(content));
  if (bytes > MAX_TASK_CONTENT_BYTES) {
    throw new ZapValidationError({
      message: `The task content is ${bytes} bytes; the limit is ${MAX_TASK_CONTENT_BYTES} (Temporal payloads are capped at 2 MB). ` +
        'Pass large files by URL or through a tool.',
    });
  }
  return content;
}
