import { z } from 'zod';
import { SCHEDULE_OVERLAP_POLICIES, type ScheduleOverlap } from '../client/schedules/schedule-options';
import { MAX_SCHEDULE_ID_LENGTH, MAX_SCHEDULE_NOTE_LENGTH } from '../core/defaults';
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
/** Most decisions one `decide_approvals` call takes. */
export const MAX_BATCH_DECISIONS = 100;

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
  costUsd: z.number().nonnegative().optional().describe('What the model calls cost, where the model\'s price is known.'),
});

const budgetAmountsViewSchema = z.object({ usd: z.number(), tokens: z.number(), modelCalls: z.number(), toolCalls: z.number() });

/** A task's budget as the status shows it. */
const budgetViewSchema = z.object({
  limits: z.object({ maxUsd: z.number().optional(), maxTokens: z.number().optional(), maxModelCalls: z.number().optional(), maxToolCalls: z.number().optional() }),
  spent: budgetAmountsViewSchema.describe('Spent by the task and its sub-tasks.'),
  reserved: budgetAmountsViewSchema.describe('Held for running sub-tasks.'),
  remaining: z.object({ usd: z.number().optional(), tokens: z.number().optional(), modelCalls: z.number().optional(), toolCalls: z.number().optional() }),
  estimatedUsd: z.number().describe('Of spent.usd: charged at the worst case for attempts whose usage was never reported.'),
  onExceeded: z.enum(['fail', 'ask']),
});

// ---------------------------------------------------------------- inputs

/** A task's or run's budget, as the operations surface takes it (the SDK's `budget` option). */
export const budgetSchema = z
  .object({
    maxUsd: z.number().nonnegative().optional().describe('US dollars for all model calls (the model needs a known price).'),
    maxTokens: z.number().int().nonnegative().optional().describe('Prompt + completion tokens of all model calls.'),
    maxModelCalls: z.number().int().nonnegative().optional(),
    maxToolCalls: z.number().int().nonnegative().optional().describe('Further tool calls are refused with a message; the model then answers.'),
    onExceeded: z.enum(['fail', 'ask']).optional().describe("fail (default), or ask: a budget approval (kind 'budget') approved with new limits."),
    askTimeout: z.string().max(100).optional().describe("How long an ask waits, e.g. '2 days' (default 7 days)."),
  })
  .strict();

/** New limits given with the approval of a budget request. */
export const budgetRaiseSchema = z
  .object({
    maxUsd: z.number().nonnegative().optional(),
    maxTokens: z.number().int().nonnegative().optional(),
    maxModelCalls: z.number().int().nonnegative().optional(),
    maxToolCalls: z.number().int().nonnegative().optional(),
  })
  .strict();

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
    budget: budgetSchema.optional().describe("Hard caps on the task's spend (with its sub-agents); each replaces the agent's default."),
  })
  .strict();

export const startPipelineInputSchema = z
  .object({
    pipeline: z.string().min(1).describe('Name of the registered pipeline to run.'),
    input: jsonValueSchema.optional().describe('The pipeline\'s input, validated against its input schema.'),
    runId: taskIdSchema
      .optional()
      .describe('Your own run id: starting twice with the same id returns the same run (idempotent).'),
    budget: budgetSchema.optional().describe("Hard caps on the run's spend; each agent step gets what is left."),
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
    budget: budgetRaiseSchema.optional().describe("Approving a budget request (kind 'budget'): the new limits (required there)."),
  })
  .strict();

const approvalIdSchema = z.string().min(1).max(TASK_ID_MAX_LENGTH);

export const batchDecisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().max(2000).optional().describe('Why; the model reads it on a rejection.'),
  })
  .strict();

export const decideApprovalsInputSchema = z
  .object({
    taskId: taskIdSchema,
    decisions: z
      .record(approvalIdSchema, batchDecisionSchema)
      .refine((decisions) => Object.keys(decisions).length >= 1 && Object.keys(decisions).length <= MAX_BATCH_DECISIONS, {
        message: `Give 1 to ${MAX_BATCH_DECISIONS} decisions.`,
      })
      .describe(
        `Decisions by approval id (ids from status.waitingFor.approvals), 1 to ${MAX_BATCH_DECISIONS}. Applied together or not at all: ` +
          'one unknown id refuses the whole batch.',
      ),
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
  summary: z.string().optional().describe('What the call does, in words, for the person deciding (the tool\'s describe, else the tool-call phrase).'),
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
  errorCode: z.string().optional().describe('Code of the failure: BUDGET_EXCEEDED, APPROVAL_TIMED_OUT, AGENT_STUCK, …'),
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
  budget: budgetViewSchema.optional().describe('Tasks and runs started with a budget.'),
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

export const approvalDecisionsResultSchema = z.object({
  taskId: z.string(),
  results: z
    .array(
      z.object({
        approvalId: z.string(),
        decision: z.enum(['approved', 'rejected', 'timed_out']).describe('The decision that holds (an earlier one, if the approval was already decided).'),
        alreadyDecided: z.boolean(),
      }),
    )
    .describe('One result per decision, in the order given.'),
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
export type DecideApprovalsInput = z.input<typeof decideApprovalsInputSchema>;
export type DeliverEventInput = z.input<typeof deliverEventInputSchema>;
export type WaitForTaskInput = z.input<typeof waitForTaskInputSchema>;
export type CancelTaskInput = z.input<typeof cancelTaskInputSchema>;
export type ListTasksInput = z.input<typeof listTasksInputSchema>;

export type PendingApprovalView = z.infer<typeof pendingApprovalSchema>;
export type TaskStatusView = z.infer<typeof taskStatusViewSchema>;
export type HistoryPage = z.infer<typeof historyPageSchema>;
export type PendingApprovalList = z.infer<typeof pendingApprovalListSchema>;
export type ApprovalDecisionResult = z.infer<typeof approvalDecisionResultSchema>;
export type ApprovalDecisionsResult = z.infer<typeof approvalDecisionsResultSchema>;
export type DeliverEventResult = z.infer<typeof deliverEventResultSchema>;
export type WaitForTaskResult = z.infer<typeof waitForTaskResultSchema>;
export type TaskSummary = z.infer<typeof taskSummarySchema>;
export type TaskListPage = z.infer<typeof taskListPageSchema>;
export type TaskUsage = z.infer<typeof taskUsageSchema>;

// ---------------------------------------------------------------- schedules

export const scheduleIdSchema = z
  .string()
  .min(1)
  .max(MAX_SCHEDULE_ID_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Use letters, digits, dots, dashes and underscores, starting with a letter or digit.')
  .describe('The schedule id (1-160 characters of [A-Za-z0-9._-]). Each run is a task whose id is this id, a dash and the time it was due.');

const durationSchema = z
  .union([z.string().min(1).max(100), z.number().nonnegative()])
  .describe("A duration: '15 minutes', '2 seconds', or milliseconds.");

const scheduleOverlapSchema = z
  .enum(SCHEDULE_OVERLAP_POLICIES as [ScheduleOverlap, ...ScheduleOverlap[]])
  .describe('What a run due while an earlier one is open does: skip (default), bufferOne, bufferAll, cancelOther, terminateOther, allowAll.');

const scheduleNoteSchema = z.string().max(MAX_SCHEDULE_NOTE_LENGTH).describe('A note kept with the schedule (why it exists, why it is paused).');

/** When a schedule runs and what each run does: the fields `create_schedule` and `update_schedule` share. */
const scheduleFields = {
  cron: z.string().min(1).max(256).optional().describe("A cron expression in `timezone`, e.g. '0 9 * * MON-FRI' (give cron or every)."),
  every: durationSchema.optional().describe("A fixed interval of at least 1 second, e.g. '15 minutes' (give cron or every)."),
  timezone: z.string().min(1).max(100).optional().describe("IANA time zone of cron, e.g. 'Europe/Paris' (default UTC)."),
  overlap: scheduleOverlapSchema.optional(),
  catchupWindow: durationSchema.optional().describe('How late a run may still start after the Temporal server was down (default 1 hour, at least 10 seconds).'),
  jitter: durationSchema.optional().describe('Each run starts at a random moment up to this long after its time (default 0).'),
  message: messageContentSchema.optional().describe('The request of every run.'),
  context: jsonValueSchema.optional().describe("JSON context of every run, for the agent's prompt and tools."),
  approvalPatterns: z
    .array(z.string().min(1).max(200))
    .min(1)
    .max(100)
    .optional()
    .describe("Tool-name globs (* and ?) whose calls in every run wait for a human decision, on top of the agent's own rules."),
  budget: budgetSchema.optional().describe("Hard caps on each run's spend; each replaces the agent's default. Every run gets the whole budget."),
  idleTimeout: durationSchema.optional().describe('How long a run stays open for follow-ups after its answer (default 0: it closes at once).'),
  note: scheduleNoteSchema.optional(),
};

export const createScheduleInputSchema = z
  .object({
    scheduleId: scheduleIdSchema,
    agent: z.string().min(1).describe('Name of the agent of every run.'),
    ...scheduleFields,
    message: messageContentSchema.describe('The request of every run.'),
    paused: z.boolean().optional().describe('Create the schedule paused (default false).'),
  })
  .strict();

export const updateScheduleInputSchema = z
  .object({
    scheduleId: scheduleIdSchema,
    ...scheduleFields,
    budget: budgetSchema
      .nullable()
      .optional()
      .describe("New caps on each run's spend; null removes the schedule's own budget (the agent's default stays)."),
  })
  .strict();

export const scheduleRefInputSchema = z.object({ scheduleId: scheduleIdSchema }).strict();

export const pauseScheduleInputSchema = z.object({ scheduleId: scheduleIdSchema, note: scheduleNoteSchema.optional() }).strict();

export const triggerScheduleInputSchema = z
  .object({
    scheduleId: scheduleIdSchema,
    overlap: scheduleOverlapSchema.optional().describe('The overlap policy of this one run (default allowAll: it starts even while a run is open).'),
  })
  .strict();

export const listSchedulesInputSchema = z
  .object({
    agent: z.string().min(1).optional().describe('Only schedules of this agent.'),
    tenantId: z.string().min(1).optional().describe('Only schedules of this tenant (operators only; others see their own).'),
    userId: z.string().min(1).optional().describe('Only schedules of this user.'),
  })
  .strict();

const scheduleRunViewSchema = z.object({
  taskId: z.string().describe('The run\'s task id: the schedule id, a dash and the time it was due.'),
  scheduledAt: isoTimeSchema.describe('When the run was due.'),
  startedAt: isoTimeSchema.describe('When the schedule started it.'),
  status: taskStatusSchema.optional().describe("The run's task status, when known."),
});

export const scheduleSummaryViewSchema = z.object({
  scheduleId: z.string(),
  agent: z.string(),
  tenantId: z.string().optional(),
  userId: z.string().optional(),
  paused: z.boolean(),
  note: z.string().optional(),
  nextRunTimes: z.array(isoTimeSchema).describe('The next times runs are due.'),
  recentRuns: z.array(scheduleRunViewSchema.omit({ status: true })).describe('The latest runs (at most 10), oldest first.'),
});

export const scheduleViewSchema = scheduleSummaryViewSchema.extend({
  message: messageContentSchema.describe('The request of every run.'),
  context: jsonValueSchema.optional(),
  cron: z.string().optional(),
  everyMs: z.number().optional().describe('The interval in milliseconds, for an `every` schedule.'),
  timezone: z.string(),
  overlap: scheduleOverlapSchema,
  catchupWindowMs: z.number(),
  jitterMs: z.number(),
  idleTimeoutMs: z.number(),
  budget: z
    .object({
      maxUsd: z.number().optional(),
      maxTokens: z.number().optional(),
      maxModelCalls: z.number().optional(),
      maxToolCalls: z.number().optional(),
      onExceeded: z.enum(['fail', 'ask']),
      askTimeoutMs: z.number(),
    })
    .optional()
    .describe("The budget each run starts with: the agent's default with the schedule's own over it."),
  recentRuns: z.array(scheduleRunViewSchema).describe('The latest runs (at most 10) with their task status, oldest first.'),
  runningTaskIds: z.array(z.string()).describe('Task ids of the runs open now.'),
  runCount: z.number().int().describe('Runs started so far (triggers included).'),
  skippedRunCount: z.number().int().describe('Runs not started because an earlier one was open (overlap).'),
  missedRunCount: z.number().int().describe('Runs dropped because they could not start within catchupWindow.'),
  createdAt: isoTimeSchema,
  updatedAt: isoTimeSchema.optional(),
});

export const scheduleListSchema = z.object({
  schedules: z.array(scheduleSummaryViewSchema).describe('The schedules, by id.'),
});

export const deleteScheduleResultSchema = z.object({
  scheduleId: z.string(),
  deleted: z.literal(true).describe('No run starts any more; runs in progress go on.'),
});

export type CreateScheduleInput = z.input<typeof createScheduleInputSchema>;
export type UpdateScheduleInput = z.input<typeof updateScheduleInputSchema>;
export type ScheduleRefInput = z.input<typeof scheduleRefInputSchema>;
export type PauseScheduleInput = z.input<typeof pauseScheduleInputSchema>;
export type TriggerScheduleInput = z.input<typeof triggerScheduleInputSchema>;
export type ListSchedulesInput = z.input<typeof listSchedulesInputSchema>;
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
export type ScheduleSummaryView = z.infer<typeof scheduleSummaryViewSchema>;
export type ScheduleList = z.infer<typeof scheduleListSchema>;
export type DeleteScheduleResult = z.infer<typeof deleteScheduleResultSchema>;
