import type { ScheduleDescription as TemporalScheduleDescription } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { ApprovalRules, ZapAgent } from '../../src';
import { compileZapOptions } from '../../src/client/zap-options';
import { validateTaskRequest } from '../../src/client/task-request';
import {
  buildScheduledTaskInput,
  readStoredSchedule,
  scheduleAction,
  scheduleMemo,
  scheduleSpec,
  schedulePolicies,
  taskBudgetOf,
  type ScheduledTaskRequest,
} from '../../src/client/schedules/schedule-action';
import { compileScheduleTiming, validateScheduleId, type ScheduleTiming } from '../../src/client/schedules/schedule-options';
import { ScheduleAlreadyExistsError, ScheduleNotFoundError, ZapError, ZapValidationError } from '../../src/core/errors';
import { FailureType } from '../../src/core/failure-types';

const agent = new ZapAgent({ name: 'Reporter', prompt: 'You write reports.' });
const options = compileZapOptions({ agents: [agent], taskQueue: 'reports' }, {});

function request(overrides: Record<string, unknown> = {}): ScheduledTaskRequest<unknown> {
  const validated = validateTaskRequest({ agentName: 'Reporter', task: 'Summarise', ...overrides } as never, options.agents);
  if (validated.kind !== 'new') throw new Error('expected a new-task request');
  return validated;
}

describe('schedule timing', () => {
  test('defaults: UTC, skip, a 1-hour catch-up window, no jitter', () => {
    expect(compileScheduleTiming({ every: '15 minutes' })).toEqual({
      everyMs: 900_000,
      timezone: 'UTC',
      overlap: 'skip',
      catchupWindowMs: 3_600_000,
      jitterMs: 0,
    });
    expect(compileScheduleTiming({ cron: ' 0 9 * * MON-FRI ', timezone: 'Europe/Paris', overlap: 'bufferOne', jitter: '30 seconds', catchupWindow: '1 day' })).toEqual({
      cron: '0 9 * * MON-FRI',
      timezone: 'Europe/Paris',
      overlap: 'bufferOne',
      catchupWindowMs: 86_400_000,
      jitterMs: 30_000,
    });
    expect(compileScheduleTiming({ cron: '@daily' }).cron).toBe('@daily');
    expect(compileScheduleTiming({ cron: '0 0 12 * * MON 2030' }).cron).toBe('0 0 12 * * MON 2030');
  });

  test('an update replaces cron by every (and back) and keeps what it does not name', () => {
    const base = compileScheduleTiming({ cron: '0 9 * * *', timezone: 'Asia/Tokyo', overlap: 'allowAll', jitter: 1000 });
    expect(compileScheduleTiming({ every: '1 hour' }, base)).toEqual({ everyMs: 3_600_000, timezone: 'Asia/Tokyo', overlap: 'allowAll', catchupWindowMs: 3_600_000, jitterMs: 1000 });
    expect(compileScheduleTiming({ overlap: 'skip' }, base)).toEqual({ ...base, overlap: 'skip' });
    const every = compileScheduleTiming({ every: 5000 });
    expect(compileScheduleTiming({ cron: '*/5 * * * *' }, every)).toEqual({ cron: '*/5 * * * *', timezone: 'UTC', overlap: 'skip', catchupWindowMs: 3_600_000, jitterMs: 0 });
  });

  test.each([
    [{}, /needs `cron`/],
    [{ cron: '0 9 * * *', every: '1 hour' }, /not both/],
    [{ every: '500 ms' }, /at least 1 second/],
    [{ every: 'often' }, /not a duration/],
    [{ every: 0 }, /positive duration/],
    [{ cron: '* * * *' }, /not a cron expression/],
    [{ cron: 'CRON_TZ=Europe/Paris 0 9 * * *' }, /give the time zone as `timezone`/],
    [{ cron: '@fortnightly' }, /not a cron expression/],
    [{ cron: '0 9 * * * ; rm' }, /not a cron expression/],
    [{ every: '1 hour', timezone: 'Europe/Atlantis' }, /not a known IANA time zone/],
    [{ every: '1 hour', overlap: 'queue' }, /overlap must be one of 'skip', 'bufferOne', 'bufferAll', 'cancelOther', 'terminateOther', 'allowAll'/],
    [{ every: '1 hour', catchupWindow: '5 seconds' }, /at least 10 seconds/],
    [{ every: '1 hour', jitter: -1 }, /non-negative duration/],
  ])('refuses %j', (timing, message) => {
    expect(() => compileScheduleTiming(timing as never)).toThrow(ZapValidationError);
    expect(() => compileScheduleTiming(timing as never)).toThrow(message);
  });

  test('schedule ids: letters, digits, dots, dashes and underscores; at most 160 characters', () => {
    expect(validateScheduleId('daily-report_v2.1')).toBe('daily-report_v2.1');
    for (const bad of ['', '-leading', 'has space', 'slash/y', 'x'.repeat(161), 42]) {
      expect(() => validateScheduleId(bad)).toThrow(ZapValidationError);
    }
    expect(validateScheduleId('x'.repeat(160))).toHaveLength(160);
  });

  test('the Temporal spec and policies of a timing', () => {
    const timing: ScheduleTiming = { cron: '0 9 * * *', timezone: 'Europe/Paris', overlap: 'cancelOther', catchupWindowMs: 60_000, jitterMs: 5000 };
    expect(scheduleSpec(timing)).toEqual({ cronExpressions: ['0 9 * * *'], timezone: 'Europe/Paris', jitter: 5000 });
    expect(scheduleSpec({ ...timing, cron: undefined, everyMs: 2000 })).toEqual({ intervals: [{ every: 2000 }], timezone: 'Europe/Paris', jitter: 5000 });
    expect(schedulePolicies(timing)).toEqual({ overlap: 'CANCEL_OTHER', catchupWindow: 60_000 });
  });
});

describe('the runs of a schedule', () => {
  test('are executeTask inputs whose task id and creation time come from each run', () => {
    const input = buildScheduledTaskInput({ options, scheduleId: 'daily', request: request({ tenantId: 'acme' }), idleTimeoutMs: 0, searchAttributes: true });
    expect(input).toMatchObject({
      taskId: 'daily',
      taskIdFromWorkflowId: true,
      scheduleId: 'daily',
      idleTimeoutMs: 0,
      message: 'Summarise',
      tenantId: 'acme',
      searchAttributes: true,
      agent: { agentName: 'Reporter', systemPrompt: 'You write reports.' },
    });
    const action = scheduleAction(input, { taskQueue: 'reports', timing: compileScheduleTiming({ cron: '0 9 * * *' }), callerApprovalRules: undefined });
    expect(action).toMatchObject({ type: 'startWorkflow', workflowType: 'agentWorkflow', taskQueue: 'reports', workflowId: 'daily', args: [input] });
    // The task memo without a creation time (each run has its own start), plus the schedule.
    expect(action.memo).toEqual({ agentName: 'Reporter', tenantId: 'acme', scheduleId: 'daily', scheduleDefinition: { cron: '0 9 * * *' } });
    expect((action.typedSearchAttributes as SearchAttributePair[]).map((pair) => [pair.key.name, pair.value])).toEqual([
      ['ZapAgent', 'Reporter'],
      ['ZapStatus', 'pending'],
      ['ZapTenant', 'acme'],
    ]);
  });

  test('read back from Temporal: the record, the input, the timing and the caller rules', () => {
    const rules = new ApprovalRules({ patterns: ['send_*'] });
    const timing = compileScheduleTiming({ every: '1 minute', overlap: 'bufferAll' });
    const input = buildScheduledTaskInput({ options, scheduleId: 'minutely', request: request({ approvalRules: rules }), idleTimeoutMs: 60_000, searchAttributes: false });
    const action = scheduleAction(input, { taskQueue: 'reports', timing, callerApprovalRules: rules.toSpec() });
    expect(action.typedSearchAttributes).toBeUndefined();
    const description = {
      memo: scheduleMemo({ taskQueue: 'reports', agentName: 'Reporter' }),
      action: { ...action, memo: action.memo },
      spec: { intervals: [{ every: 60_000, offset: 0 }], timezone: 'UTC', jitter: 0 },
      policies: { overlap: 'BUFFER_ALL', catchupWindow: 3_600_000, pauseOnFailure: false },
    } as unknown as TemporalScheduleDescription;
    const stored = readStoredSchedule(description);
    expect(stored?.record).toEqual({ taskQueue: 'reports', agentName: 'Reporter' });
    expect(stored?.timing).toEqual(timing);
    expect(stored?.input).toMatchObject({ taskIdFromWorkflowId: true, idleTimeoutMs: 60_000, approvalRules: { patterns: ['send_*'] } });
    expect(stored?.callerApprovalRules).toEqual(rules.toSpec());
    // Not one of ours: no zap-agents record in its memo.
    expect(readStoredSchedule({ ...description, memo: {} } as TemporalScheduleDescription)).toBeUndefined();
  });

  test("carry the schedule's budget merged over the agent's, and keep the caller's own for updates", () => {
    const budgeted = new ZapAgent({ name: 'Capped', prompt: 'Capped.', budget: { maxModelCalls: 5, maxToolCalls: 9 } });
    const budgetOptions = compileZapOptions({ agents: [budgeted], taskQueue: 'reports', prices: { 'gpt-4o-mini': { input: 1, output: 2 } } }, {});
    const validated = validateTaskRequest({ agentName: 'Capped', task: 'Summarise', budget: { maxModelCalls: 1, maxUsd: 0.25 } }, budgetOptions.agents);
    if (validated.kind !== 'new') throw new Error('expected a new-task request');
    const input = buildScheduledTaskInput({ options: budgetOptions, scheduleId: 'capped', request: validated, idleTimeoutMs: 0, searchAttributes: false });
    expect(input.budget).toEqual({ limits: { modelCalls: 1, toolCalls: 9, nanoUsd: 250_000_000 }, onExceeded: 'fail', askTimeoutMs: 7 * 24 * 3_600_000 });
    expect(taskBudgetOf(input.budget!)).toEqual({ maxUsd: 0.25, maxModelCalls: 1, maxToolCalls: 9, onExceeded: 'fail', askTimeout: 7 * 24 * 3_600_000 });

    const timing = compileScheduleTiming({ every: '1 hour' });
    const callerBudget = { maxModelCalls: 1, maxUsd: 0.25 };
    const action = scheduleAction(input, { taskQueue: 'reports', timing, callerApprovalRules: undefined, callerBudget });
    expect(action.memo).toMatchObject({ scheduleDefinition: { budget: callerBudget } });
    const stored = readStoredSchedule({
      memo: scheduleMemo({ taskQueue: 'reports', agentName: 'Capped' }),
      action,
      spec: scheduleSpec(timing),
      policies: { overlap: 'SKIP', catchupWindow: 3_600_000, pauseOnFailure: false },
    } as unknown as TemporalScheduleDescription);
    expect(stored?.callerBudget).toEqual(callerBudget);
    expect(stored?.input.budget).toEqual(input.budget);
  });
});

describe('schedule errors', () => {
  test('carry the schedule id and a code of the failure-type registry', () => {
    const notFound = new ScheduleNotFoundError({ scheduleId: 'daily' });
    const exists = new ScheduleAlreadyExistsError({ scheduleId: 'daily' });
    expect(notFound).toMatchObject({ code: FailureType.ScheduleNotFound, scheduleId: 'daily', message: "Schedule 'daily' was not found." });
    expect(exists).toMatchObject({ code: 'SCHEDULE_ALREADY_EXISTS', scheduleId: 'daily' });
    expect(exists.message).toBe("A schedule with id 'daily' exists already; update it, or delete it first.");
    expect(ScheduleNotFoundError.isInstance(notFound)).toBe(true);
    expect(ScheduleNotFoundError.isInstance(exists)).toBe(false);
    expect(ScheduleAlreadyExistsError.isInstance(exists)).toBe(true);
    expect(ZapError.isInstance(notFound) && ZapError.isInstance(exists)).toBe(true);
    expect(notFound.name).toBe('ScheduleNotFoundError');
  });
});
