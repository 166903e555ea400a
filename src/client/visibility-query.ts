import {
  ZAP_AGENT_ATTRIBUTE,
  ZAP_PARENT_ATTRIBUTE,
  ZAP_STATUS_ATTRIBUTE,
  ZAP_TENANT_ATTRIBUTE,
  ZAP_USER_ATTRIBUTE,
} from '../core/search-attributes';
import { TaskStatus, isActiveStatus } from '../core/task-status';

/** What a task listing filters on, validated. */
export interface TaskListFilter {
  /** Workflow type of agent tasks. */
  workflowType: string;
  /** The Zap's task queue. */
  taskQueue: string;
  /** True when the tasks carry the zap-agents search attributes. */
  searchAttributes: boolean;
  statuses?: readonly TaskStatus[];
  agentName?: string;
  tenantId?: string;
  userId?: string;
  parentTaskId?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/**
 * The visibility query of a task listing: agent workflows of the Zap's task queue, the current
 * run of each task (runs that continued as new are left out), and the filters. Without search
 * attributes only built-in attributes are used: the parent through `ParentWorkflowId`, the agent
 * not at all (the caller filters on the memo); status, tenant and user need search attributes.
 *
 * A task's status is its `ZapStatus` while its workflow runs; once closed, the Temporal close
 * status decides (completed; failed, terminated or timed out → `failed`; cancelled), so a task
 * closed without a final upsert (terminated by an operator) is still listed right.
 */
export function buildTaskListQuery(filter: TaskListFilter): string {
  const clauses = [
    `WorkflowType = ${quoteQueryValue(filter.workflowType)}`,
    `TaskQueue = ${quoteQueryValue(filter.taskQueue)}`,
    `ExecutionStatus != 'ContinuedAsNew'`,
  ];
  if (filter.statuses !== undefined && filter.statuses.length > 0) {
    const options = [...new Set(filter.statuses)].map(statusClause);
    clauses.push(options.length === 1 ? (options[0] as string) : `(${options.join(' OR ')})`);
  }
  if (filter.searchAttributes) {
    if (filter.agentName !== undefined) clauses.push(`${ZAP_AGENT_ATTRIBUTE.name} = ${quoteQueryValue(filter.agentName)}`);
    if (filter.tenantId !== undefined) clauses.push(`${ZAP_TENANT_ATTRIBUTE.name} = ${quoteQueryValue(filter.tenantId)}`);
    if (filter.userId !== undefined) clauses.push(`${ZAP_USER_ATTRIBUTE.name} = ${quoteQueryValue(filter.userId)}`);
    if (filter.parentTaskId !== undefined) clauses.push(`${ZAP_PARENT_ATTRIBUTE.name} = ${quoteQueryValue(filter.parentTaskId)}`);
  } else if (filter.parentTaskId !== undefined) {
    clauses.push(`ParentWorkflowId = ${quoteQueryValue(filter.parentTaskId)}`);
  }
  if (filter.createdAfter !== undefined) clauses.push(`StartTime > ${quoteQueryValue(filter.createdAfter.toISOString())}`);
  if (filter.createdBefore !== undefined) clauses.push(`StartTime < ${quoteQueryValue(filter.createdBefore.toISOString())}`);
  return clauses.join(' AND ');
}

/**
 * A string literal of Temporal's visibility query language: single quotes, with backslashes,
 * single quotes and line breaks escaped by a backslash, so no value (a task id, a tenant) can end
 * the literal or change the query.
 */
export function quoteQueryValue(value: string): string {
  const escaped = value.replace(/[\\'\n\r\t\0]/g, (character) => ESCAPES[character] ?? character);
  return `'${escaped}'`;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function statusClause(status: TaskStatus): string {
  if (isActiveStatus(status)) return `(ExecutionStatus = 'Running' AND ${ZAP_STATUS_ATTRIBUTE.name} = ${quoteQueryValue(status)})`;
  switch (status) {
    case TaskStatus.Completed:
      // Answered and open for follow-ups, or closed after its idle timeout.
      return `(ExecutionStatus = 'Completed' OR (ExecutionStatus = 'Running' AND ${ZAP_STATUS_ATTRIBUTE.name} = 'completed'))`;
    case TaskStatus.Failed:
      return `ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`;
    case TaskStatus.Cancelled:
      return `ExecutionStatus = 'Canceled'`;
    default:
      throw new Error(`Unknown task status ${JSON.stringify(status)}`);
  }
}
