import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import type { temporal } from '@temporalio/proto';
import { DEFAULT_LIST_TASKS_PAGE_SIZE, MAX_LIST_TASKS_PAGE_SIZE } from '../core/defaults';
import { SearchAttributesUnavailableError, ZapValidationError } from '../core/errors';
import {
  ZAP_AGENT_ATTRIBUTE,
  ZAP_PARENT_ATTRIBUTE,
  ZAP_STATUS_ATTRIBUTE,
  ZAP_TENANT_ATTRIBUTE,
  ZAP_USER_ATTRIBUTE,
} from '../core/search-attributes';
import { TaskStatus } from '../core/task-status';
import { AGENT_WORKFLOW_TYPE } from '../workflows/definitions';
import { PIPELINE_AGENT_PREFIX } from '../core/pipeline-state';
import { PIPELINE_WORKFLOW_TYPE } from '../workflows/pipeline-definitions';
import type { SearchAttributeAvailability } from './search-attribute-check';
import { validateOwnerId } from './task-scope';
import { buildTaskListQuery, type TaskListFilter } from './visibility-query';

/** Options of `zap.listTasks`. Every filter is optional; given filters must all match. */
export interface ListTasksOptions {
  /** Tasks with this status (or any of these). Needs search attributes. @default any status */
  status?: TaskStatus | TaskStatus[];
  /** Tasks of this agent; `pipeline:<name>` lists the runs of that pipeline instead. @default any agent */
  agentName?: string;
  /** Tasks of this tenant. Needs search attributes. @default any tenant */
  tenantId?: string;
  /** Tasks of this user. Needs search attributes. @default any user */
  userId?: string;
  /** Sub-tasks started by this task. @default any task */
  parentTaskId?: string;
  /**
   * Tasks created after this time. Temporal filters on the start of a task's current run and the
   * result is checked against the creation time in the memo, so a task whose current run started
   * later (continue-as-new, a retry) is still left out when it was created earlier.
   * @default no bound
   */
  createdAfter?: Date;
  /**
   * Tasks created before this time, on the start of their current run: a long task that
   * continued as new after this time is not listed.
   * @default no bound
   */
  createdBefore?: Date;
  /** Most tasks per page, 1 to 1000. @default 100 */
  pageSize?: number;
  /** `nextPageToken` of the previous page, to read the next one. @default the first page */
  nextPageToken?: string;
}

/** One task as visibility records it: no worker, query or describe involved. */
export interface TaskSummary {
  taskId: string;
  agentName: string;
  /**
   * Its status: `ZapStatus` while its workflow runs, its outcome once closed. Without search
   * attributes visibility knows only that a task is open: a running task is then listed as
   * `pending` whatever it does (`getTask` has its status).
   */
  status: TaskStatus;
  tenantId?: string;
  userId?: string;
  parentTaskId?: string;
  createdAt: Date;
  /** When it closed; absent while it runs (visibility records no other change time). */
  updatedAt?: Date;
  /** When its workflow closed, once it has. */
  closedAt?: Date;
}

/** A page of `zap.listTasks`. */
export interface ListTasksResult {
  /** At most `pageSize` tasks, the newest first; a page may hold fewer while more follow. */
  tasks: TaskSummary[];
  /** Pass it as `nextPageToken` to read the next page; absent after the last one. */
  nextPageToken?: string;
}

/** What {@link listTasks} needs from its Zap. */
export interface TaskListContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  searchAttributes: SearchAttributeAvailability;
}

/**
 * Visibility pages read by one call at most when results are filtered here as well (the agent
 * without search attributes, duplicate runs): bounds the call, the token says where to go on.
 */
const MAX_VISIBILITY_PAGES_PER_CALL = 20;

/**
 * Lists the Zap's tasks from Temporal's visibility store with one `ListWorkflowExecutions` per
 * page, never a query or a describe per task. Filters on status, tenant and user need the
 * zap-agents search attributes (`SearchAttributesUnavailableError` otherwise); agent, parent and
 * creation time work without them. Visibility is eventually consistent: a task started a moment
 * ago, or a status just changed, may show a moment later.
 */
export async function listTasks(context: TaskListContext, options: ListTasksOptions = {}): Promise<ListTasksResult> {
  const filter = compileFilter(context, options);
  const pageSize = compilePageSize(options.pageSize);
  const query = buildTaskListQuery(filter);
  const { client, namespace } = context;
  let token = decodePageToken(options.nextPageToken);
  const tasks: TaskSummary[] = [];
  const seen = new Set<string>();
  for (let page = 0; page < MAX_VISIBILITY_PAGES_PER_CALL; page += 1) {
    const response = await client.workflowService.listWorkflowExecutions({
      namespace,
      query,
      pageSize: pageSize - tasks.length,
      ...(token ? { nextPageToken: token } : {}),
    });
    for (const raw of response.executions ?? []) {
      const summary = await summarize(client, namespace, raw);
      // A task retried after failing has one record per run: the newest is listed first.
      if (summary === undefined || seen.has(summary.taskId) || !matches(summary, filter)) continue;
      seen.add(summary.taskId);
      tasks.push(summary);
    }
    token = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
    if (token === undefined || tasks.length >= pageSize) break;
  }
  return { tasks, ...(token === undefined ? {} : { nextPageToken: encodePageToken(token) }) };
}

function compileFilter(context: TaskListContext, options: ListTasksOptions): TaskListFilter {
  if (options === null || typeof options !== 'object') throw new ZapValidationError({ message: 'listTasks takes an options object.' });
  const statuses = compileStatuses(options.status);
  const tenantId = validateOwnerId(options.tenantId, 'tenantId');
  const userId = validateOwnerId(options.userId, 'userId');
  const agentName = nonEmptyString(options.agentName, 'agentName');
  const parentTaskId = nonEmptyString(options.parentTaskId, 'parentTaskId');
  const createdAfter = validDate(options.createdAfter, 'createdAfter');
  const createdBefore = validDate(options.createdBefore, 'createdBefore');
  const availability = context.searchAttributes;
  if (!availability.enabled) {
    const needed = [statuses && 'status', tenantId !== undefined && 'tenant', userId !== undefined && 'user'].filter(Boolean);
    if (needed.length > 0) {
      throw new SearchAttributesUnavailableError({
        namespace: context.namespace,
        missing: availability.missing,
        reason: availability.reason,
        action: `listing tasks by ${needed.join(', ')}`,
      });
    }
  }
  return {
    // Pipeline runs are listed by their agent name, `pipeline:<name>`.
    workflowType: agentName?.startsWith(PIPELINE_AGENT_PREFIX) ? PIPELINE_WORKFLOW_TYPE : AGENT_WORKFLOW_TYPE,
    taskQueue: context.taskQueue,
    searchAttributes: availability.enabled,
    statuses,
    agentName,
    tenantId,
    userId,
    parentTaskId,
    createdAfter,
    createdBefore,
  };
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(Object.values(TaskStatus));

function compileStatuses(value: ListTasksOptions['status']): TaskStatus[] | undefined {
  if (value === undefined) return undefined;
  const statuses = Array.isArray(value) ? value : [value];
  for (const status of statuses) {
    if (!KNOWN_STATUSES.has(status)) {
      throw new ZapValidationError({ message: `Unknown task status ${JSON.stringify(status)}; use one of ${[...KNOWN_STATUSES].join(', ')}.` });
    }
  }
  if (statuses.length === 0) throw new ZapValidationError({ message: 'listTasks: `status` needs at least one status.' });
  return [...statuses];
}

function compilePageSize(value: number | undefined): number {
  const size = value ?? DEFAULT_LIST_TASKS_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_LIST_TASKS_PAGE_SIZE) {
    throw new ZapValidationError({ message: `listTasks: pageSize must be an integer from 1 to ${MAX_LIST_TASKS_PAGE_SIZE}.` });
  }
  return size;
}

function nonEmptyString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ZapValidationError({ message: `listTasks: ${field} must be a non-empty string.` });
  return value;
}

function validDate(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ZapValidationError({ message: `listTasks: ${field} must be a valid Date.` });
  return value;
}

/** The page token of the visibility API as an opaque string (base64url). */
function encodePageToken(token: Uint8Array): string {
  return Buffer.from(token).toString('base64url');
}

function decodePageToken(token: unknown): Uint8Array | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || token === '' || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new ZapValidationError({ message: 'listTasks: nextPageToken must be the token a previous page returned.' });
  }
  return Buffer.from(token, 'base64url');
}

/** A task's summary from its visibility record alone; undefined for a run that continued as new. */
async function summarize(
  client: Client,
  namespace: string,
  raw: temporal.api.workflow.v1.IWorkflowExecutionInfo,
): Promise<TaskSummary | undefined> {
  const info = await executionInfoFromRaw(raw, client.options.loadedDataConverter, undefined, namespace);
  if (info.status.name === 'CONTINUED_AS_NEW') return undefined;
  const attributes = info.typedSearchAttributes;
  const memo = info.memo ?? {};
  const memoString = (key: string): string | undefined => (typeof memo[key] === 'string' ? (memo[key] as string) : undefined);
  const createdAt = memoString('createdAt');
  const summary: TaskSummary = {
    taskId: info.workflowId,
    agentName: attributes.get(ZAP_AGENT_ATTRIBUTE) ?? memoString('agentName') ?? '',
    status: statusOf(info.status.name, attributes.get(ZAP_STATUS_ATTRIBUTE)),
    createdAt: createdAt !== undefined && !Number.isNaN(Date.parse(createdAt)) ? new Date(createdAt) : info.startTime,
  };
  const tenantId = attributes.get(ZAP_TENANT_ATTRIBUTE) ?? memoString('tenantId');
  const userId = attributes.get(ZAP_USER_ATTRIBUTE) ?? memoString('userId');
  const parentTaskId = attributes.get(ZAP_PARENT_ATTRIBUTE) ?? info.parentExecution?.workflowId;
  if (tenantId !== undefined) summary.tenantId = tenantId;
  if (userId !== undefined) summary.userId = userId;
  if (parentTaskId) summary.parentTaskId = parentTaskId;
  if (info.closeTime) {
    summary.updatedAt = info.closeTime;
    summary.closedAt = info.closeTime;
  }
  return summary;
}

/** A running task's `ZapStatus`, or its outcome once its workflow closed (the same rules as the query). */
function statusOf(executionStatus: string, zapStatus: string | undefined): TaskStatus {
  switch (executionStatus) {
    case 'COMPLETED':
      return TaskStatus.Completed;
    case 'CANCELLED':
      return TaskStatus.Cancelled;
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return TaskStatus.Failed;
    default:
      return zapStatus !== undefined && KNOWN_STATUSES.has(zapStatus) ? (zapStatus as TaskStatus) : TaskStatus.Pending;
  }
}

/** The filters checked on the record too, so a result never holds a task the filters exclude. */
function matches(summary: TaskSummary, filter: TaskListFilter): boolean {
  if (filter.statuses !== undefined && !filter.statuses.includes(summary.status)) return false;
  if (filter.agentName !== undefined && summary.agentName !== filter.agentName) return false;
  if (filter.tenantId !== undefined && summary.tenantId !== filter.tenantId) return false;
  if (filter.userId !== undefined && summary.userId !== filter.userId) return false;
  if (filter.parentTaskId !== undefined && summary.parentTaskId !== filter.parentTaskId) return false;
  if (filter.createdAfter !== undefined && summary.createdAt.getTime() <= filter.createdAfter.getTime()) return false;
  if (filter.createdBefore !== undefined && summary.createdAt.getTime() >= filter.createdBefore.getTime()) return false;
  return true;
}
