import { z } from 'zod';
import { ZapValidationError } from '../core/errors';
import {
  approvalDecisionResultSchema,
  approvalDecisionsResultSchema,
  cancelTaskInputSchema,
  decideApprovalInputSchema,
  decideApprovalsInputSchema,
  deliverEventInputSchema,
  deliverEventResultSchema,
  getHistoryInputSchema,
  historyPageSchema,
  listTasksInputSchema,
  pendingApprovalListSchema,
  sendMessageInputSchema,
  startPipelineInputSchema,
  startTaskInputSchema,
  streamEventsInputSchema,
  taskEventSchema,
  taskIdSchema,
  taskListPageSchema,
  taskStatusViewSchema,
  taskUsageSchema,
  waitForTaskInputSchema,
  waitForTaskResultSchema,
  type CancelTaskInput,
  type DecideApprovalInput,
  type DecideApprovalsInput,
  type GetHistoryInput,
  type ListTasksInput,
  type SendMessageInput,
  type StartPipelineInput,
  type StartTaskInput,
  type WaitForTaskInput,
} from '../operations/operation-schemas';
import type { Principal } from '../operations/principal';
import { parse, type ZapOperations } from '../operations/zap-operations';
import { createProblem, HttpProblemCode, problemResponse } from './problem-details';
import { booleanQueryValue, listQueryValue, queryValues, singleQueryValue } from './query-parameters';
import { withPathParameters } from './request-body';
import { createTaskEventStreamResponse } from './task-event-stream-response';

/** A path, query or header parameter of a route, with the schema its documentation shows. */
export interface HttpParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  schema: z.ZodType;
  /** A list: repeated or comma-separated. */
  list?: boolean;
}

/** A body or answer of a route: a named component of the OpenAPI document. */
export interface HttpPayload {
  /** Component name in the OpenAPI document. */
  name: string;
  schema: z.ZodType;
  description: string;
}

/** What a route handler gets. */
export interface HttpRouteContext {
  operations: ZapOperations;
  /** The authenticated principal (a principal with no roles on public routes). */
  principal: Principal;
  request: Request;
  /** Decoded path parameters. */
  parameters: Record<string, string>;
  query: URLSearchParams;
  /** The API's `basePath`, for `Location` headers. */
  basePath: string;
  heartbeatIntervalMs: number;
  readinessTimeoutMs: number;
  /** The request path, the `instance` of problems. */
  instance: string;
  /** The JSON body, bounded by the API's `bodyLimitBytes` (see `readJsonBody`). */
  readJson(options: { required: boolean }): Promise<unknown>;
  openApiDocument(): Record<string, unknown>;
}

/**
 * One route of the HTTP API: how it is served and how it is documented, in one place, so the
 * OpenAPI document lists exactly the routes the app serves.
 */
export interface HttpRoute {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template, without the base path: `/v1/tasks/{taskId}`. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  /** False for the probes and the OpenAPI document, which answer without credentials. */
  authenticated: boolean;
  parameters: readonly HttpParameter[];
  requestBody?: HttpPayload & { required: boolean };
  response: HttpPayload & {
    status: 200 | 201;
    contentType: 'application/json' | 'text/event-stream';
    headers?: Record<string, { description: string }>;
  };
  /** Problem statuses the route answers with besides its success. */
  problems: readonly number[];
  handle(context: HttpRouteContext): Promise<Response>;
}

/** Problems every authenticated route can answer with. */
export const AUTHENTICATED_PROBLEMS = [400, 401, 403, 500, 503] as const;
const TASK_PROBLEMS = [...AUTHENTICATED_PROBLEMS, 404] as const;
/** Problems of a route that reads a body. */
export const BODY_PROBLEMS = [413, 415] as const;

const taskIdParameter: HttpParameter = { name: 'taskId', in: 'path', description: 'The task id.', schema: taskIdSchema };

const healthSchema = z.object({ status: z.literal('ok') });
const readinessSchema = z.object({ status: z.literal('ready') });
const openApiSchema = z.record(z.string(), z.unknown()).describe('This document.');
const eventDataSchema = z.json().describe('The event\'s data (any JSON), validated against the schema the agent declares for the event.');

/** A JSON answer. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** The path of a task's resource, under the API's base path. */
function taskLocation(basePath: string, taskId: string): string {
  return `${basePath}/v1/tasks/${encodeURIComponent(taskId)}`;
}

/** Every route of the HTTP API but `/mcp`, in the order the OpenAPI document lists them. */
export const HTTP_ROUTES: readonly HttpRoute[] = Object.freeze([
  {
    method: 'post',
    path: '/v1/tasks',
    operationId: 'startTask',
    summary: 'Start a task',
    description:
      'Starts a durable agent task and answers at once (201, with a Location header) with its status. With your own `taskId` ' +
      'the call is idempotent: the same id answers with the same task (201 again).',
    authenticated: true,
    parameters: [],
    requestBody: { name: 'StartTaskRequest', schema: startTaskInputSchema, description: 'The agent, the request and options.', required: true },
    response: {
      status: 201,
      name: 'TaskStatusView',
      schema: taskStatusViewSchema,
      description: 'The task was started (or an idempotent `taskId` found it).',
      contentType: 'application/json',
      headers: { Location: { description: 'The task\'s URL.' } },
    },
    problems: [...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 422],
    async handle({ operations, principal, basePath, readJson }) {
      const body = await readJson({ required: true });
      const task = await operations.startTask(principal, body as StartTaskInput);
      return jsonResponse(201, task, { location: taskLocation(basePath, task.taskId) });
    },
  },
  {
    method: 'post',
    path: '/v1/pipelines/{name}/runs',
    operationId: 'startPipeline',
    summary: 'Start a pipeline run',
    description:
      'Starts a run of a registered pipeline and answers at once (201, with a Location header to the run as a task) with its status; ' +
      'the `pipeline` section says which step runs. Follow, approve and cancel the run through `/v1/tasks/{runId}`. With your own ' +
      '`runId` the call is idempotent: the same id answers with the same run.',
    authenticated: true,
    parameters: [{ name: 'name', in: 'path', description: 'The pipeline\'s name.', schema: startPipelineInputSchema.shape.pipeline }],
    requestBody: {
      name: 'StartPipelineRequest',
      schema: startPipelineInputSchema.omit({ pipeline: true }),
      description: 'The pipeline\'s input and an optional run id.',
      required: false,
    },
    response: {
      status: 201,
      name: 'TaskStatusView',
      schema: taskStatusViewSchema,
      description: 'The run was started (or an idempotent `runId` found it).',
      contentType: 'application/json',
      headers: { Location: { description: 'The run\'s URL (a task).' } },
    },
    problems: [...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 404],
    async handle({ operations, principal, parameters, basePath, readJson }) {
      const body = withPathParameters(await readJson({ required: false }), { pipeline: parameters.name! });
      const run = await operations.startPipeline(principal, body as StartPipelineInput);
      return jsonResponse(201, run, { location: taskLocation(basePath, run.taskId) });
    },
  },
  {
    method: 'get',
    path: '/v1/tasks',
    operationId: 'listTasks',
    summary: 'List tasks',
    description: 'Lists tasks, newest first, from Temporal visibility; a principal with a tenant sees that tenant\'s tasks only.',
    authenticated: true,
    parameters: [
      { name: 'status', in: 'query', list: true, description: 'Only these statuses (repeat the parameter or separate with commas).', schema: listTasksInputSchema.shape.status },
      { name: 'agent', in: 'query', description: 'Only tasks of this agent.', schema: listTasksInputSchema.shape.agent },
      { name: 'tenantId', in: 'query', description: 'Only tasks of this tenant (operators; others see their own).', schema: listTasksInputSchema.shape.tenantId },
      { name: 'userId', in: 'query', description: 'Only tasks started by this user.', schema: listTasksInputSchema.shape.userId },
      { name: 'parentTaskId', in: 'query', description: 'Only sub-tasks of this task.', schema: listTasksInputSchema.shape.parentTaskId },
      { name: 'createdAfter', in: 'query', description: 'Only tasks created after this ISO-8601 time.', schema: listTasksInputSchema.shape.createdAfter },
      { name: 'createdBefore', in: 'query', description: 'Only tasks created before this ISO-8601 time.', schema: listTasksInputSchema.shape.createdBefore },
      { name: 'pageSize', in: 'query', description: 'Tasks per page.', schema: listTasksInputSchema.shape.pageSize },
      { name: 'pageToken', in: 'query', description: '`nextPageToken` of the previous page.', schema: listTasksInputSchema.shape.pageToken },
    ],
    response: { status: 200, name: 'TaskListPage', schema: taskListPageSchema, description: 'A page of tasks.', contentType: 'application/json' },
    problems: AUTHENTICATED_PROBLEMS,
    async handle({ operations, principal, query }) {
      const status = listQueryValue(query, 'status');
      const input = {
        ...queryValues(query, ['agent', 'tenantId', 'userId', 'parentTaskId', 'createdAfter', 'createdBefore', 'pageSize', 'pageToken']),
        ...(status !== undefined ? { status } : {}),
      };
      return jsonResponse(200, await operations.listTasks(principal, input as ListTasksInput));
    },
  },
  {
    method: 'get',
    path: '/v1/tasks/{taskId}',
    operationId: 'getTask',
    summary: 'Get a task\'s status',
    description: 'The task\'s status and what it waits for (approvals with their tool calls, named events, sub-tasks), its latest result or error, its usage.',
    authenticated: true,
    parameters: [taskIdParameter],
    response: { status: 200, name: 'TaskStatusView', schema: taskStatusViewSchema, description: 'The task.', contentType: 'application/json' },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters }) {
      return jsonResponse(200, await operations.getStatus(principal, { taskId: parameters.taskId! }));
    },
  },
  {
    method: 'get',
    path: '/v1/tasks/{taskId}/history',
    operationId: 'getTaskHistory',
    summary: 'Read the conversation',
    description: 'A page of the task\'s conversation, system prompt first, with the offset of the next page.',
    authenticated: true,
    parameters: [
      taskIdParameter,
      { name: 'offset', in: 'query', description: 'Index of the first message (0: the system prompt).', schema: getHistoryInputSchema.shape.offset },
      { name: 'limit', in: 'query', description: 'Messages in the page.', schema: getHistoryInputSchema.shape.limit },
    ],
    response: { status: 200, name: 'HistoryPage', schema: historyPageSchema, description: 'A page of messages.', contentType: 'application/json' },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters, query }) {
      const input = { taskId: parameters.taskId!, ...queryValues(query, ['offset', 'limit']) };
      return jsonResponse(200, await operations.getHistory(principal, input as GetHistoryInput));
    },
  },
  {
    method: 'get',
    path: '/v1/tasks/{taskId}/events',
    operationId: 'streamTaskEvents',
    summary: 'Stream a task\'s events (SSE)',
    description:
      'Server-sent events: each durable event as `id: <seq>`, `event: <type>`, `data: <TaskEvent JSON>`. Reconnect with ' +
      '`Last-Event-ID` (or `?since`) to get every event exactly once. The stream ends after the final event (completed, error, ' +
      'cancelled) of the current request, or with `follow=true` when the task closes. `tokens=true` adds live `token` events ' +
      '(no `id`, not resumable). A comment line is sent every 15 s while idle. An error after the stream started arrives as a ' +
      '`problem` event (data: Problem), then the stream ends.',
    authenticated: true,
    parameters: [
      taskIdParameter,
      { name: 'since', in: 'query', description: 'Only events with a greater seq (`Last-Event-ID` wins).', schema: streamEventsInputSchema.shape.since },
      { name: 'follow', in: 'query', description: 'Stream until the task closes, across follow-ups.', schema: streamEventsInputSchema.shape.follow },
      { name: 'tokens', in: 'query', description: 'Also stream the model\'s tokens as they arrive.', schema: streamEventsInputSchema.shape.includeTokens },
      { name: 'Last-Event-ID', in: 'header', description: 'The last `id` received: resume after it.', schema: z.string().regex(/^\d+$/) },
    ],
    response: {
      status: 200,
      name: 'TaskEvent',
      schema: taskEventSchema,
      description: 'A `text/event-stream` of TaskEvent objects.',
      contentType: 'text/event-stream',
    },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters, query, request, heartbeatIntervalMs, instance }) {
      const lastEventId = request.headers.get('last-event-id')?.trim();
      if (lastEventId && !/^\d+$/.test(lastEventId)) {
        throw new ZapValidationError({ message: `Last-Event-ID must be the seq of an event (a non-negative integer), not '${lastEventId}'.` });
      }
      const since = lastEventId || singleQueryValue(query, 'since');
      const follow = booleanQueryValue(query, 'follow');
      const includeTokens = booleanQueryValue(query, 'tokens');
      const input = parse(streamEventsInputSchema, {
        taskId: parameters.taskId!,
        ...(since !== undefined ? { since } : {}),
        ...(follow !== undefined ? { follow } : {}),
        ...(includeTokens !== undefined ? { includeTokens } : {}),
      });
      // Refusals (unknown task, another tenant's, no role, no worker) answer as problems before
      // the stream starts; afterwards a status code can no longer change.
      await operations.getStatus(principal, { taskId: input.taskId });
      return createTaskEventStreamResponse({ operations, principal, input, signal: request.signal, heartbeatIntervalMs, instance });
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/messages',
    operationId: 'sendMessage',
    summary: 'Send a follow-up message',
    description: 'A completed task works on it; a failed task is taken up again with it. Answers with the status.',
    authenticated: true,
    parameters: [taskIdParameter],
    requestBody: { name: 'SendMessageRequest', schema: sendMessageInputSchema.omit({ taskId: true }), description: 'The message.', required: true },
    response: { status: 200, name: 'TaskStatusView', schema: taskStatusViewSchema, description: 'The task, after the message was delivered.', contentType: 'application/json' },
    problems: [...TASK_PROBLEMS, ...BODY_PROBLEMS, 409, 422],
    async handle({ operations, principal, parameters, readJson }) {
      const body = withPathParameters(await readJson({ required: true }), { taskId: parameters.taskId! });
      return jsonResponse(200, await operations.sendMessage(principal, body as SendMessageInput));
    },
  },
  {
    method: 'get',
    path: '/v1/tasks/{taskId}/approvals',
    operationId: 'listPendingApprovals',
    summary: 'List pending approvals',
    description: 'The tool calls of the task (and of its sub-tasks) that wait for a human decision.',
    authenticated: true,
    parameters: [taskIdParameter],
    response: { status: 200, name: 'PendingApprovalList', schema: pendingApprovalListSchema, description: 'The pending approvals.', contentType: 'application/json' },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters }) {
      return jsonResponse(200, await operations.listPendingApprovals(principal, { taskId: parameters.taskId! }));
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/approvals/{approvalId}',
    operationId: 'decideApproval',
    summary: 'Approve or reject a tool call',
    description: 'Decides a pending approval; the decision is recorded with the principal\'s user. Deciding twice answers with the decision that holds.',
    authenticated: true,
    parameters: [
      taskIdParameter,
      { name: 'approvalId', in: 'path', description: 'The approval id (from the status\' waitingFor.approvals).', schema: decideApprovalInputSchema.shape.approvalId },
    ],
    requestBody: {
      name: 'DecideApprovalRequest',
      schema: decideApprovalInputSchema.omit({ taskId: true, approvalId: true }),
      description: 'The decision, and why.',
      required: true,
    },
    response: { status: 200, name: 'ApprovalDecisionResult', schema: approvalDecisionResultSchema, description: 'The decision that holds.', contentType: 'application/json' },
    problems: [...TASK_PROBLEMS, ...BODY_PROBLEMS, 409],
    async handle({ operations, principal, parameters, readJson }) {
      const body = withPathParameters(await readJson({ required: true }), {
        taskId: parameters.taskId!,
        approvalId: parameters.approvalId!,
      });
      return jsonResponse(200, await operations.decideApproval(principal, body as DecideApprovalInput));
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/decisions',
    operationId: 'decideApprovals',
    summary: 'Decide several approvals at once',
    description:
      'Approves or rejects several pending approvals of the task in one update, all or none: one unknown id refuses the whole batch ' +
      '(404, its `approvalIds` naming every unknown id), as does one decision the server\'s authorization refuses (403, naming them). ' +
      'Recorded with the principal\'s user; approvals already decided keep their decision.',
    authenticated: true,
    parameters: [taskIdParameter],
    requestBody: {
      name: 'DecideApprovalsRequest',
      schema: decideApprovalsInputSchema.omit({ taskId: true }),
      description: 'The decisions, by approval id.',
      required: true,
    },
    response: {
      status: 200,
      name: 'ApprovalDecisionsResult',
      schema: approvalDecisionsResultSchema,
      description: 'The decision that holds for each approval.',
      contentType: 'application/json',
    },
    problems: [...TASK_PROBLEMS, ...BODY_PROBLEMS, 409],
    async handle({ operations, principal, parameters, readJson }) {
      const body = withPathParameters(await readJson({ required: true }), { taskId: parameters.taskId! });
      return jsonResponse(200, await operations.decideApprovals(principal, body as DecideApprovalsInput));
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/events/{name}',
    operationId: 'deliverEvent',
    summary: 'Deliver a named event',
    description: 'Delivers an event the task\'s agent declares (e.g. email-verified); the body is the event\'s data. An event that arrives before the agent waits is kept.',
    authenticated: true,
    parameters: [taskIdParameter, { name: 'name', in: 'path', description: 'The event name.', schema: deliverEventInputSchema.shape.name }],
    requestBody: { name: 'EventData', schema: eventDataSchema, description: 'The event\'s data; no body for an event without data.', required: false },
    response: { status: 200, name: 'DeliverEventResult', schema: deliverEventResultSchema, description: 'The event was accepted.', contentType: 'application/json' },
    problems: [...TASK_PROBLEMS, ...BODY_PROBLEMS, 409, 422],
    async handle({ operations, principal, parameters, readJson }) {
      const data = await readJson({ required: false });
      const input = { taskId: parameters.taskId!, name: parameters.name!, ...(data !== undefined ? { data } : {}) };
      return jsonResponse(200, await operations.deliverEvent(principal, input));
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/wait',
    operationId: 'waitForTask',
    summary: 'Wait for a task',
    description:
      'Waits until the task answers, fails or is cancelled, or the timeout passes (outcome timed_out: it is still working). ' +
      'A task that has already answered answers at once. Closing the connection ends the wait.',
    authenticated: true,
    parameters: [taskIdParameter, { name: 'timeout', in: 'query', description: 'Seconds to wait.', schema: waitForTaskInputSchema.shape.timeoutSeconds }],
    response: { status: 200, name: 'WaitForTaskResult', schema: waitForTaskResultSchema, description: 'How the wait ended, and the task.', contentType: 'application/json' },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters, query, request, readJson }) {
      const timeout = singleQueryValue(query, 'timeout');
      const body = withPathParameters(await readJson({ required: false }), { taskId: parameters.taskId! });
      const input = { ...body, ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}) };
      return jsonResponse(200, await operations.waitForTask(principal, input as WaitForTaskInput, { signal: request.signal }));
    },
  },
  {
    method: 'post',
    path: '/v1/tasks/{taskId}/cancel',
    operationId: 'cancelTask',
    summary: 'Cancel a task',
    description: 'Cancels the task, its running model and tool calls and its sub-tasks; the reason is kept. Cancelling twice is harmless.',
    authenticated: true,
    parameters: [taskIdParameter],
    requestBody: { name: 'CancelTaskRequest', schema: cancelTaskInputSchema.omit({ taskId: true }), description: 'Why (optional).', required: false },
    response: { status: 200, name: 'TaskStatusView', schema: taskStatusViewSchema, description: 'The task, after the cancellation was requested.', contentType: 'application/json' },
    problems: [...TASK_PROBLEMS, ...BODY_PROBLEMS],
    async handle({ operations, principal, parameters, readJson }) {
      const body = withPathParameters(await readJson({ required: false }), { taskId: parameters.taskId! });
      return jsonResponse(200, await operations.cancelTask(principal, body as CancelTaskInput));
    },
  },
  {
    method: 'get',
    path: '/v1/tasks/{taskId}/usage',
    operationId: 'getTaskUsage',
    summary: 'Get token usage',
    description: 'The tokens of the task\'s own model calls, and its sub-tasks (ask each for theirs).',
    authenticated: true,
    parameters: [taskIdParameter],
    response: { status: 200, name: 'TaskUsage', schema: taskUsageSchema, description: 'The usage.', contentType: 'application/json' },
    problems: TASK_PROBLEMS,
    async handle({ operations, principal, parameters }) {
      return jsonResponse(200, await operations.getUsage(principal, { taskId: parameters.taskId! }));
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness',
    description: 'The process is up (no credentials needed).',
    authenticated: false,
    parameters: [],
    response: { status: 200, name: 'Health', schema: healthSchema, description: 'Up.', contentType: 'application/json' },
    problems: [],
    async handle() {
      return jsonResponse(200, { status: 'ok' });
    },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness',
    description: 'Temporal answers a cheap call within a short deadline (no credentials needed); 503 otherwise.',
    authenticated: false,
    parameters: [],
    response: { status: 200, name: 'Readiness', schema: readinessSchema, description: 'Ready.', contentType: 'application/json' },
    problems: [503],
    async handle({ operations, readinessTimeoutMs, instance }) {
      try {
        await operations.checkTemporalReachable(readinessTimeoutMs);
      } catch {
        return problemResponse(
          createProblem(HttpProblemCode.NotReady, `Temporal did not answer within ${readinessTimeoutMs} ms.`, instance),
          { 'retry-after': '1' },
        );
      }
      return jsonResponse(200, { status: 'ready' });
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI document',
    description: 'The OpenAPI 3.1 document of this API (no credentials needed).',
    authenticated: false,
    parameters: [],
    response: { status: 200, name: 'OpenApiDocument', schema: openApiSchema, description: 'The document.', contentType: 'application/json' },
    problems: [],
    async handle({ openApiDocument }) {
      return jsonResponse(200, openApiDocument());
    },
  },
] satisfies HttpRoute[]);
