import type { z } from 'zod';
import {
  approvalDecisionResultSchema,
  approvalDecisionsResultSchema,
  cancelTaskInputSchema,
  createScheduleInputSchema,
  decideApprovalInputSchema,
  decideApprovalsInputSchema,
  deleteScheduleResultSchema,
  deliverEventInputSchema,
  deliverEventResultSchema,
  getHistoryInputSchema,
  historyPageSchema,
  listSchedulesInputSchema,
  listTasksInputSchema,
  pauseScheduleInputSchema,
  pendingApprovalListSchema,
  scheduleListSchema,
  scheduleRefInputSchema,
  scheduleViewSchema,
  sendMessageInputSchema,
  startPipelineInputSchema,
  startTaskInputSchema,
  taskListPageSchema,
  taskRefInputSchema,
  taskStatusViewSchema,
  taskUsageSchema,
  triggerScheduleInputSchema,
  updateScheduleInputSchema,
  waitForTaskInputSchema,
  waitForTaskResultSchema,
} from './operation-schemas';
import type { Role } from './principal';
import type { WaitForTaskOptions, ZapOperations } from './zap-operations';

/** One operation as the faces present it: a tool (MCP, tool definitions), a CLI command, an HTTP route. */
export interface OperationDescriptor {
  /** Tool name: snake_case, verb first. */
  name: string;
  /** What it does and when to use it, written for a model choosing a tool. */
  description: string;
  /** The role the principal needs. */
  role: Role;
  input: z.ZodType;
  output: z.ZodType;
  /** True when the operation changes nothing (safe to retry). */
  readOnly: boolean;
  /** Runs the operation (`options` reach `wait_for_task` only). */
  invoke(operations: ZapOperations, principal: Parameters<ZapOperations['getStatus']>[0], input: unknown, options?: WaitForTaskOptions): Promise<unknown>;
}

/**
 * The operations offered as tools, in the order a model meets them. Event streams are not a
 * tool (a tool call returns once); `wait_for_task` is how a tool caller follows a task.
 */
export const OPERATION_CATALOG: readonly OperationDescriptor[] = Object.freeze([
  {
    name: 'start_task',
    description:
      'Start a durable agent task and return at once with its id and status. The task runs on its own (for minutes or days); ' +
      'check it later with get_task_status or wait_for_task. Give your own taskId to make retries safe: the same id returns the same task.',
    role: 'start',
    input: startTaskInputSchema,
    output: taskStatusViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.startTask(principal, input as never),
  },
  {
    name: 'start_pipeline',
    description:
      'Start a run of a registered pipeline (agent steps and approval gates in order) and return at once with its run id and status. ' +
      'The run is a task: follow it with get_task_status or wait_for_task, decide its gates with decide_approval. ' +
      'Give your own runId to make retries safe: the same id returns the same run.',
    role: 'start',
    input: startPipelineInputSchema,
    output: taskStatusViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.startPipeline(principal, input as never),
  },
  {
    name: 'get_task_status',
    description:
      'Get a task\'s status and what it is waiting for: approvals (with the tool and arguments), named events, sub-tasks; its latest result or error; token usage.',
    role: 'read',
    input: taskRefInputSchema,
    output: taskStatusViewSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.getStatus(principal, input as never),
  },
  {
    name: 'get_task_history',
    description: 'Read a page of a task\'s conversation (system prompt first), with the offset of the next page.',
    role: 'read',
    input: getHistoryInputSchema,
    output: historyPageSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.getHistory(principal, input as never),
  },
  {
    name: 'send_message',
    description: 'Send a follow-up message to a task. A completed task works on it; a failed task is taken up again with it.',
    role: 'start',
    input: sendMessageInputSchema,
    output: taskStatusViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.sendMessage(principal, input as never),
  },
  {
    name: 'list_pending_approvals',
    description: 'List the tool calls of a task that wait for a human decision (same as waitingFor.approvals of get_task_status).',
    role: 'read',
    input: taskRefInputSchema,
    output: pendingApprovalListSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.listPendingApprovals(principal, input as never),
  },
  {
    name: 'decide_approval',
    description:
      'Approve or reject a pending tool call of a task, on behalf of the human you act for; the decision is recorded with who made it. ' +
      'Never use it for a task you are running yourself.',
    role: 'approve',
    input: decideApprovalInputSchema,
    output: approvalDecisionResultSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.decideApproval(principal, input as never),
  },
  {
    name: 'decide_approvals',
    description:
      'Approve or reject several pending tool calls of one task at once, on behalf of the human you act for: decisions by approval id, ' +
      'applied together or not at all (one unknown id refuses the whole batch and names it). Never use it for a task you are running yourself.',
    role: 'approve',
    input: decideApprovalsInputSchema,
    output: approvalDecisionsResultSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.decideApprovals(principal, input as never),
  },
  {
    name: 'deliver_event',
    description:
      'Deliver a named event (for example email-verified) to a task whose agent waits for it. An event that arrives before the agent waits is kept.',
    role: 'start',
    input: deliverEventInputSchema,
    output: deliverEventResultSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.deliverEvent(principal, input as never),
  },
  {
    name: 'wait_for_task',
    description:
      'Wait until a task answers, fails or is cancelled, or the timeout passes (outcome timed_out: it is still working; wait again or check later).',
    role: 'read',
    input: waitForTaskInputSchema,
    output: waitForTaskResultSchema,
    readOnly: true,
    invoke: (operations, principal, input, options) => operations.waitForTask(principal, input as never, options),
  },
  {
    name: 'cancel_task',
    description: 'Cancel a task: its running model and tool calls and its sub-tasks are cancelled; the reason is kept.',
    role: 'start',
    input: cancelTaskInputSchema,
    output: taskStatusViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.cancelTask(principal, input as never),
  },
  {
    name: 'list_tasks',
    description: 'List tasks, newest first, filtered by status, agent, user, parent task or creation time; pages with nextPageToken.',
    role: 'read',
    input: listTasksInputSchema,
    output: taskListPageSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.listTasks(principal, input as never),
  },
  {
    name: 'get_task_usage',
    description: 'Get the tokens a task\'s model calls used, and its sub-tasks.',
    role: 'read',
    input: taskRefInputSchema,
    output: taskUsageSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.getUsage(principal, input as never),
  },
  {
    name: 'create_schedule',
    description:
      'Create a schedule that starts a task of an agent on a timetable (cron, or every N minutes), run by the Temporal server. ' +
      'Each run is an ordinary task whose id is the schedule id and the time it was due; give budget to cap what each run may spend.',
    role: 'start',
    input: createScheduleInputSchema,
    output: scheduleViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.createSchedule(principal, input as never),
  },
  {
    name: 'list_schedules',
    description: 'List the schedules (id, agent, paused or not, next run times, latest runs), optionally by agent or user.',
    role: 'read',
    input: listSchedulesInputSchema,
    output: scheduleListSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.listSchedules(principal, input as never),
  },
  {
    name: 'describe_schedule',
    description: 'Get a schedule: its timing, task, budget, state and note, the next run times, and the latest runs with their task ids and status.',
    role: 'read',
    input: scheduleRefInputSchema,
    output: scheduleViewSchema,
    readOnly: true,
    invoke: (operations, principal, input) => operations.describeSchedule(principal, input as never),
  },
  {
    name: 'pause_schedule',
    description: 'Pause a schedule: no run starts until unpause_schedule (runs in progress go on). The note says why.',
    role: 'start',
    input: pauseScheduleInputSchema,
    output: scheduleViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.pauseSchedule(principal, input as never),
  },
  {
    name: 'unpause_schedule',
    description: 'Resume a paused schedule from its next due time (runs missed while paused are not taken).',
    role: 'start',
    input: pauseScheduleInputSchema,
    output: scheduleViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.unpauseSchedule(principal, input as never),
  },
  {
    name: 'trigger_schedule',
    description:
      'Start a run of a schedule now, also while it is paused; by default even while another run is open. ' +
      'The run shows in describe_schedule\'s recentRuns a moment later, with its task id.',
    role: 'start',
    input: triggerScheduleInputSchema,
    output: scheduleViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.triggerSchedule(principal, input as never),
  },
  {
    name: 'update_schedule',
    description:
      'Change a schedule: the fields given replace its own (cron replaces every and back); each run is rebuilt with the agent\'s current settings. ' +
      'The agent and owner of a schedule do not change.',
    role: 'start',
    input: updateScheduleInputSchema,
    output: scheduleViewSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.updateSchedule(principal, input as never),
  },
  {
    name: 'delete_schedule',
    description: 'Delete a schedule: no run starts any more; runs in progress go on as ordinary tasks.',
    role: 'start',
    input: scheduleRefInputSchema,
    output: deleteScheduleResultSchema,
    readOnly: false,
    invoke: (operations, principal, input) => operations.deleteSchedule(principal, input as never),
  },
]);

/** The descriptor of an operation by tool name, or undefined. */
export function findOperation(name: string): OperationDescriptor | undefined {
  return OPERATION_CATALOG.find((operation) => operation.name === name);
}
