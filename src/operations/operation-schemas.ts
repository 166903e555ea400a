import { z } from 'zod';
import { chatMessageSchema, contentPartSchema } from '../core/messages';
import { TaskStatus } from '../core/task-status';

/**
 * The wire format of the operations surface: every input and output of the operations, as zod
 * schemas. The HTTP API validates bodies with them and generates its OpenAPI document from them,
 * the MCP server uses them as tool input and output schemas, and the CLI parses its flags into
 * them, so the three faces cannot disagree. TypeScript types are derived from the schemas.
 */

const TASK_ID_MAX_LENGTH = 200;

/** Longest wait one `wait` call accepts, in seconds; wait again to wait longer. */
export const MAX_WAIT_SECONDS = 3600;
/** Wait of a `wait` call without a timeout, in seconds. */
export const DEFAULT_WAIT_SECONDS = 60;
/** Messages in one history page without a `limit`. */
export const DEFAULT_HISTORY_PAGE_SIZE = 100;
/** Largest history page. */
export const MAX_HISTORY_PAGE_SIZE = 500;

const jsonValueSchema: z.ZodType<unknown> = z.json();

export const taskIdSchema = z
  .string()
  .min(1)
  .max(TASK_ID_MAX_LENGTH)
  .describe('The task id (also its Temporal workflow id).');

export const taskStatusSchema = z
  .enum(Object.values(TaskStatus) as [TaskStatus, ...TaskStatus[]])
  .describe('Where the task is: pending, thinking, awaiting_tool, awaiting_approval, awaiting_event, completed (still open for follow-ups), failed, cancelled.');

const messageContentSchema = z
  .union([z.string().min(1), z.array(contentPartSchema).min(1)])
  .describe('Text, or OpenAI content parts (text and images).');

const isoTimeSchema = z.iso.datetime({ offset: true }).describe('ISO-8601 time.');

const usageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
});

// ---------------------------------------------------------------- inputs

export const startTaskInputSchema = z
  .object({
    agent: z.string().min(1).describe('Name of the agent that works on the task.'),
    message: messageContentSchema.describe('The request.'),
    taskId: taskIdSchema
      .optional()
      .describe('Your own id: starting twice with the same id returns the same task (idempotent).'),
    context: jsonValueSchema.optional().describe('JSON context for the agent\'s prompt and tools.'),
    approvalPatterns: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(100)
      .optional()
      .describe('Tool-name globs (* and ?) whose calls wait for a human decision, in addition to the agent\'s own rules.'),
  })
  .strict();

export const startPipelineInputSchema = z
  .object({
    pipeline: z.string().min(1).describe('Name of the registered pipeline to run.'),
    input: jsonValueSchema.optional().describe('The pipeline\'s input, validated against its input schema.'),
    runId: taskIdSchema
      .optional()
      .describe('Your own run id: starting twice with the same id returns the same run (idempotent).'),
  })
  .strict();

export const taskRefInputSchema = z.object({ taskId: taskIdSchema }).strict();

export const getHistoryInputSchema = z
  .object({
    taskId: taskIdSchema,
    offset: z.coerce.number().int().nonnegative().default(0).describe('Index of the first message (0: the system prompt).'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_HISTORY_PAGE_SIZE)
      .default(DEFAULT_HISTORY_PAGE_SIZE)
      .describe(`Messages in the page (1-${MAX_HISTORY_PAGE_SIZE}).`),
  })
  .strict();

export const streamEventsInputSchema = z
  .object({
    taskId: taskIdSchema,
    since: z.coerce.number().int().nonnegative().default(0).describe('Only events with a greater sequence number.'),
    follow: z
      .boolean()
      .default(false)
      .describe('Keep streaming until the task closes; otherwise stop at the end of the current request.'),
    includeTokens: z.boolean().default(false).describe('Also stream the model\'s tokens as they arrive (not resumable).'),
  })
  .strict();

export const sendMessageInputSchema = z
  .object({ taskId: taskIdSchema, message: messageContentSchema.describe('The follow-up message.') })
  .strict();

export const decideApprovalInputSchema = z
  .object({
    taskId: taskIdSchema,
    approvalId: z.string().min(1).describe('Id of the pending approval (from status.waitingFor.approvals).'),
    decision: z.enum(['approve', 'reject']),
    reason: z.string().max(2000).optional().describe('Why; the model reads it on a rejection.'),
  })
  .strict();

export const deliverEventInputSchema = z
  .object({
    taskId: taskIdSchema,
    name: z.string().min(1).describe('Name of an event the task\'s agent declares.'),
    data: jsonValueSchema.optional().describe('The event\'s data, validated against the event\'s schema.'),
  })
  .strict();

export const waitForTaskInputSchema = z
  .object({
    taskId: taskIdSchema,
    timeoutSeconds: z.coerce
      .number()
      .positive()
      .max(MAX_WAIT_SECONDS)
      .default(DEFAULT_WAIT_SECONDS)
      .describe(`How long to wait (at most ${MAX_WAIT_SECONDS} s).`),
  })
  .strict();

export const cancelTaskInputSchema = z
  .object({ taskId: taskIdSchema, reason: z.string().max(2000).optional().describe('Kept on the task.') })
  .strict();

export const listTasksInputSchema = z
  .object({
    status: z.array(taskStatusSchema).optional().describe('Only tasks in one of these statuses.'),
    agent: z.string().min(1).optional().describe('Only tasks of this agent.'),
    tenantId: z.string().min(1).optional().describe('Only tasks of this tenant (operators only; others see their own).'),
    userId: z.string().min(1).optional().describe('Only tasks started by this user.'),
    parentTaskId: taskIdSchema.optional().describe('Only sub-tasks of this task.'),
    createdAfter: isoTimeSchema.optional(),
    createdBefore: isoTimeSchema.optional(),
    pageSize: z.coerce.number().int().min(1).max(1000).default(100),
    pageToken: z.string().optional().describe('nextPageToken of the previous page.'),
  })
  .strict();

// ---------------------------------------------------------------- outputs

export const pendingApprovalSchema = z.object({
  approvalId: z.string(),
  toolName: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  agentName: z.string(),
  taskId: z.string().describe('The task whose tool call waits (a sub-task\'s approvals surface on its parent).'),
  message: z.string().optional().describe('Pipeline gates: what the person deciding is shown (toolName is the gate\'s step).'),
  requestedAt: isoTimeSchema,
  timeoutAt: isoTimeSchema,
});

/** The pipeline part of a run's status view (pipeline runs only). */
export const pipelineStatusViewSchema = z.object({
  name: z.string().describe('The pipeline.'),
  status: z.enum(['running', 'pending', 'complete', 'error', 'cancelled']),
  currentStep: z.string().optional(),
  stepsCompleted: z.number().int(),
  stepCount: z.number().int(),
  steps: z.array(z.object({ name: z.string(), kind: z.enum(['agent', 'gate']), status: z.string(), taskId: z.string().optional() })),
  failedStep: z.string().optional(),
  pendingStep: z.string().optional().describe('The gate that waits for a decision (its approval is in waitingFor.approvals).'),
  approvalMessage: z.string().optional(),
});

export const taskStatusViewSchema = z.object({
  taskId: z.string(),
  agent: z.string(),
  status: taskStatusSchema,
  tenantId: z.string().optional(),
  userId: z.string().optional(),
  parentTaskId: z.string().optional(),
  result: z.string().optional().describe('The latest answer.'),
  error: z.string().optional(),
  cancelReason: z.string().optional(),
  pipeline: pipelineStatusViewSchema.optional().describe('Pipeline runs only: the current step, steps completed, each step\'s status.'),
  waitingFor: z.object({
    approvals: z.array(pendingApprovalSchema),
    events: z.array(z.string()).describe('Names of the events the task waits for.'),
    subTasks: z.array(z.string()).describe('Sub-tasks whose answer the task waits for.'),
  }),
  counts: z.object({
    messages: z.number().int(),
    subTasks: z.number().int(),
    approvals: z.number().int(),
  }),
  usage: usageSchema,
  lastEventSeq: z.number().int().describe('Pass as `since` to stream only what comes next.'),
  createdAt: isoTimeSchema,
  updatedAt: isoTimeSchema,
});

export const pendingApprovalListSchema = z.object({
  taskId: z.string(),
  approvals: z.array(pendingApprovalSchema).describe('Tool calls that wait for a human decision (sub-tasks\' included).'),
});

export const historyPageSchema = z.object({
  taskId: z.string(),
  offset: z.number().int(),
  total: z.number().int().describe('Messages in the whole conversation.'),
  messages: z.array(chatMessageSchema),
  nextOffset: z.number().int().optional().describe('Offset of the next page, when there is one.'),
});

export const taskEventSchema = z
  .object({
    seq: z.number().int().describe('Sequence number (0 for live tokens, which are not resumable).'),
    type: z.string().describe('thinking, token, tool_call, tool_result, approval_requested, approval_resolved, sub_task_started, event_received, event_wait_started, event_wait_finished, stuck, step_started, step_finished (pipeline runs), completed, error, cancelled'),
    taskId: z.string(),
    timestamp: z.string().optional(),
  })
  .loose();

export const approvalDecisionResultSchema = z.object({
  taskId: z.string(),
  approvalId: z.string(),
  decision: z.enum(['approved', 'rejected', 'timed_out']).describe('The decision that holds (an earlier one, if the approval was already decided).'),
  alreadyDecided: z.boolean(),
  decidedBy: z.string().optional(),
});

export const deliverEventResultSchema = z.object({
  taskId: z.string(),
  name: z.string(),
  accepted: z.boolean(),
  waiting: z.boolean().describe('True when a wait of the task took the event at once; otherwise it is kept for the next wait.'),
});

export const waitForTaskResultSchema = z.object({
  outcome: z
    .enum(['completed', 'failed', 'cancelled', 'timed_out'])
    .describe('completed: the task answered; timed_out: it is still working (or waiting) after the timeout.'),
  task: taskStatusViewSchema,
});

export const taskSummarySchema = z.object({
  taskId: z.string(),
  agent: z.string(),
  status: taskStatusSchema,
  tenantId: z.string().optional(),
  userId: z.string().optional(),
  parentTaskId: z.string().optional(),
  createdAt: isoTimeSchema,
  closedAt: isoTimeSchema.optional(),
});

export const taskListPageSchema = z.object({
  tasks: z.array(taskSummarySchema),
  nextPageToken: z.string().optional(),
});

export const taskUsageSchema = z.object({
  taskId: z.string(),
  usage: usageSchema.describe('Tokens of this task\'s own model calls.'),
  subTasks: z.array(z.string()),
});

export type StartTaskInput = z.input<typeof startTaskInputSchema>;
export type StartPipelineInput = z.input<typeof startPipelineInputSchema>;
export type TaskRefInput = z.input<typeof taskRefInputSchema>;
export type GetHistoryInput = z.input<typeof getHistoryInputSchema>;
export type StreamEventsInput = z.input<typeof streamEventsInputSchema>;
export type SendMessageInput = z.input<typeof sendMessageInputSchema>;
export type DecideApprovalInput = z.input<typeof decideApprovalInputSchema>;
export type DeliverEventInput = z.input<typeof deliverEventInputSchema>;
export type WaitForTaskInput = z.input<typeof waitForTaskInputSchema>;
export type CancelTaskInput = z.input<typeof cancelTaskInputSchema>;
export type ListTasksInput = z.input<typeof listTasksInputSchema>;

export type PendingApprovalView = z.infer<typeof pendingApprovalSchema>;
export type TaskStatusView = z.infer<typeof taskStatusViewSchema>;
export type HistoryPage = z.infer<typeof historyPageSchema>;
export type PendingApprovalList = z.infer<typeof pendingApprovalListSchema>;
export type ApprovalDecisionResult = z.infer<typeof approvalDecisionResultSchema>;
export type DeliverEventResult = z.infer<typeof deliverEventResultSchema>;
export type WaitForTaskResult = z.infer<typeof waitForTaskResultSchema>;
export type TaskSummary = z.infer<typeof taskSummarySchema>;
export type TaskListPage = z.infer<typeof taskListPageSchema>;
export type TaskUsage = z.infer<typeof taskUsageSchema>;
