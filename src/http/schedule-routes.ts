import {
  createScheduleInputSchema,
  deleteScheduleResultSchema,
  listSchedulesInputSchema,
  pauseScheduleInputSchema,
  scheduleIdSchema,
  scheduleListSchema,
  scheduleViewSchema,
  triggerScheduleInputSchema,
  updateScheduleInputSchema,
  type CreateScheduleInput,
  type PauseScheduleInput,
  type TriggerScheduleInput,
  type UpdateScheduleInput,
} from '../operations/operation-schemas';
import { AUTHENTICATED_PROBLEMS, BODY_PROBLEMS, jsonResponse, type HttpParameter, type HttpRoute, type HttpRouteContext } from './http-routes';
import { queryValues } from './query-parameters';
import { withPathParameters } from './request-body';

/**
 * The schedule routes of the HTTP API (`/v1/schedules`): each one operation of `ZapOperations`
 * (`create_schedule`, `list_schedules`, …), documented in the OpenAPI document like the task
 * routes. A schedule of another tenant is 404 (`SCHEDULE_NOT_FOUND`), as an unknown id; a taken
 * id is 409 (`SCHEDULE_ALREADY_EXISTS`).
 * @module
 */

const SCHEDULE_PROBLEMS = [...AUTHENTICATED_PROBLEMS, 404] as const;

const scheduleIdParameter: HttpParameter = { name: 'scheduleId', in: 'path', description: 'The schedule id.', schema: scheduleIdSchema };

const scheduleView = {
  status: 200,
  name: 'ScheduleView',
  schema: scheduleViewSchema,
  contentType: 'application/json',
} as const;

/** The path of a schedule's resource, under the API's base path. */
function scheduleLocation(basePath: string, scheduleId: string): string {
  return `${basePath}/v1/schedules/${encodeURIComponent(scheduleId)}`;
}

/** A `POST /v1/schedules/{scheduleId}/<action>` route whose optional body goes to `run` with the id. */
function scheduleActionRoute(options: {
  action: 'pause' | 'unpause' | 'trigger';
  operationId: string;
  summary: string;
  description: string;
  requestBody: HttpRoute['requestBody'];
  /** Runs the operation on the body merged with the path's schedule id. */
  run: (context: HttpRouteContext, input: Record<string, unknown>) => Promise<unknown>;
}): HttpRoute {
  return {
    method: 'post',
    path: `/v1/schedules/{scheduleId}/${options.action}`,
    operationId: options.operationId,
    summary: options.summary,
    description: options.description,
    authenticated: true,
    parameters: [scheduleIdParameter],
    ...(options.requestBody ? { requestBody: options.requestBody } : {}),
    response: { ...scheduleView, description: 'The schedule, after the change.' },
    problems: [...SCHEDULE_PROBLEMS, ...BODY_PROBLEMS],
    async handle(context) {
      const input = withPathParameters(await context.readJson({ required: false }), { scheduleId: context.parameters.scheduleId! });
      return jsonResponse(200, await options.run(context, input));
    },
  };
}

/** The schedule routes, in the order the OpenAPI document lists them. */
export const SCHEDULE_ROUTES: readonly HttpRoute[] = Object.freeze([
  {
    method: 'post',
    path: '/v1/schedules',
    operationId: 'createSchedule',
    summary: 'Create a schedule',
    description:
      'Creates a schedule whose runs are tasks of the agent, started by the Temporal server on the timetable (`cron` or `every`), ' +
      'and answers (201, with a Location header) with the schedule. Each run\'s task id is the schedule id and the time it was due. ' +
      'A taken id is 409 (SCHEDULE_ALREADY_EXISTS).',
    authenticated: true,
    parameters: [],
    requestBody: { name: 'CreateScheduleRequest', schema: createScheduleInputSchema, description: 'The id, the agent, the timetable and each run\'s task.', required: true },
    response: {
      ...scheduleView,
      status: 201,
      description: 'The schedule was created.',
      headers: { Location: { description: 'The schedule\'s URL.' } },
    },
    problems: [...AUTHENTICATED_PROBLEMS, ...BODY_PROBLEMS, 409, 422],
    async handle({ operations, principal, basePath, readJson }) {
      const body = await readJson({ required: true });
      const schedule = await operations.createSchedule(principal, body as CreateScheduleInput);
      return jsonResponse(201, schedule, { location: scheduleLocation(basePath, schedule.scheduleId) });
    },
  },
  {
    method: 'get',
    path: '/v1/schedules',
    operationId: 'listSchedules',
    summary: 'List schedules',
    description: 'The schedules of this server\'s task queue, by id; a principal with a tenant sees that tenant\'s only. Eventually consistent.',
    authenticated: true,
    parameters: [
      { name: 'agent', in: 'query', description: 'Only schedules of this agent.', schema: listSchedulesInputSchema.shape.agent },
      { name: 'tenantId', in: 'query', description: 'Only schedules of this tenant (operators; others see their own).', schema: listSchedulesInputSchema.shape.tenantId },
      { name: 'userId', in: 'query', description: 'Only schedules of this user.', schema: listSchedulesInputSchema.shape.userId },
    ],
    response: { status: 200, name: 'ScheduleList', schema: scheduleListSchema, description: 'The schedules.', contentType: 'application/json' },
    problems: AUTHENTICATED_PROBLEMS,
    async handle({ operations, principal, query }) {
      return jsonResponse(200, await operations.listSchedules(principal, queryValues(query, ['agent', 'tenantId', 'userId'])));
    },
  },
  {
    method: 'get',
    path: '/v1/schedules/{scheduleId}',
    operationId: 'describeSchedule',
    summary: 'Get a schedule',
    description: 'The schedule\'s timing, task, budget, state and note, its next run times, and its latest runs with their task ids and status.',
    authenticated: true,
    parameters: [scheduleIdParameter],
    response: { ...scheduleView, description: 'The schedule.' },
    problems: SCHEDULE_PROBLEMS,
    async handle({ operations, principal, parameters }) {
      return jsonResponse(200, await operations.describeSchedule(principal, { scheduleId: parameters.scheduleId! }));
    },
  },
  {
    method: 'patch',
    path: '/v1/schedules/{scheduleId}',
    operationId: 'updateSchedule',
    summary: 'Change a schedule',
    description:
      'The fields given replace the schedule\'s (`cron` replaces `every` and back; `budget: null` removes its own budget); each run is ' +
      'rebuilt with the agent\'s current settings, so an empty body refreshes a schedule after a deploy. Runs in progress keep what they started with.',
    authenticated: true,
    parameters: [scheduleIdParameter],
    requestBody: {
      name: 'UpdateScheduleRequest',
      schema: updateScheduleInputSchema.omit({ scheduleId: true }),
      description: 'The fields to change.',
      required: false,
    },
    response: { ...scheduleView, description: 'The schedule, after the change.' },
    problems: [...SCHEDULE_PROBLEMS, ...BODY_PROBLEMS, 422],
    async handle({ operations, principal, parameters, readJson }) {
      const body = withPathParameters(await readJson({ required: false }), { scheduleId: parameters.scheduleId! });
      return jsonResponse(200, await operations.updateSchedule(principal, body as UpdateScheduleInput));
    },
  },
  {
    method: 'delete',
    path: '/v1/schedules/{scheduleId}',
    operationId: 'deleteSchedule',
    summary: 'Delete a schedule',
    description: 'No run starts any more; runs in progress go on (they are ordinary tasks).',
    authenticated: true,
    parameters: [scheduleIdParameter],
    response: { status: 200, name: 'DeleteScheduleResult', schema: deleteScheduleResultSchema, description: 'The schedule was deleted.', contentType: 'application/json' },
    problems: SCHEDULE_PROBLEMS,
    async handle({ operations, principal, parameters }) {
      return jsonResponse(200, await operations.deleteSchedule(principal, { scheduleId: parameters.scheduleId! }));
    },
  },
  scheduleActionRoute({
    action: 'pause',
    operationId: 'pauseSchedule',
    summary: 'Pause a schedule',
    description: 'No run starts until it is unpaused (runs in progress go on); the note says why.',
    requestBody: { name: 'PauseScheduleRequest', schema: pauseScheduleInputSchema.omit({ scheduleId: true }), description: 'A note (optional).', required: false },
    run: ({ operations, principal }, input) => operations.pauseSchedule(principal, input as PauseScheduleInput),
  }),
  scheduleActionRoute({
    action: 'unpause',
    operationId: 'unpauseSchedule',
    summary: 'Resume a schedule',
    description: 'Runs start again from the next due time (runs missed while paused are not taken).',
    requestBody: { name: 'PauseScheduleRequest', schema: pauseScheduleInputSchema.omit({ scheduleId: true }), description: 'A note (optional).', required: false },
    run: ({ operations, principal }, input) => operations.unpauseSchedule(principal, input as PauseScheduleInput),
  }),
  scheduleActionRoute({
    action: 'trigger',
    operationId: 'triggerSchedule',
    summary: 'Run a schedule now',
    description:
      'Starts a run now, also while paused, by default even while another run is open (`overlap` for this run); the run shows in ' +
      'the schedule\'s `recentRuns` a moment later, with its task id.',
    requestBody: {
      name: 'TriggerScheduleRequest',
      schema: triggerScheduleInputSchema.omit({ scheduleId: true }),
      description: 'The overlap policy of this run (optional).',
      required: false,
    },
    run: ({ operations, principal }, input) => operations.triggerSchedule(principal, input as TriggerScheduleInput),
  }),
] satisfies HttpRoute[]);
