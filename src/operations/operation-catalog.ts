import type { z } from 'zod';
import {
  approvalDecisionResultSchema,
  cancelTaskInputSchema,
  decideApprovalInputSchema,
  deliverEventInputSchema,
  deliverEventResultSchema,
  getHistoryInputSchema,
  historyPageSchema,
  listTasksInputSchema,
  pendingApprovalListSchema,
  sendMessageInputSchema,
  startPipelineInputSchema,
  startTaskInputSchema,
  taskListPageSchema,
  taskRefInputSchema,
  taskStatusViewSchema,
  taskUsageSchema,
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
]);

/** The descriptor of an operation by tool name, or undefined. */
export function findOperation(name: string): OperationDescriptor | undefined {
  return OPERATION_CATALOG.find((operation) => operation.name === name);
}
