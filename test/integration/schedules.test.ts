import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  AgentNotFoundError,
  ApprovalRules,
  ZapAgent,
  ZapValidationError,
  tool,
  type ScheduleDescription,
  type ScheduleRun,
} from '../../src';
import { ModelPriceUnknownError, ScheduleAlreadyExistsError, ScheduleNotFoundError } from '../../src/core/errors';
import type { TaskEvent } from '../../src/core/events';
import { scripted, type ScriptedRequest, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Schedules (`zap.schedules`) on Temporal Schedules against the real dev server: the server starts
 * each run, an ordinary agent task whose id is the schedule id and the run's time. Intervals of a
 * second or two keep the file at seconds of wall time; a slow run is a model that takes
 * `SLOW_MS` to answer, longer than the interval, so overlap policies have something to act on.
 */

jest.setTimeout(120_000);

/** How long the scripted model takes for a task starting with "slow": longer than the 1-second interval. */
const SLOW_MS = 1500;
const RUN_ID = /^[A-Za-z0-9._-]+-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const executedTransfers: string[] = [];
const transferFunds = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => {
    executedTransfers.push(`${amount} to ${to}`);
    return `transferred ${amount} to ${to}`;
  },
});

const reporter = new ZapAgent({ name: 'Reporter', prompt: 'You write reports.', model: 'scripted-model', tools: [transferFunds] });

/** The model: a transfer for "Pay …" tasks, slow answers for "slow …" tasks, else it echoes the last user message. */
function answer(request: ScriptedRequest): ScriptedResponse {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  const firstUser = String(messages.find((message) => message.role === 'user')?.content ?? '');
  const last = messages[messages.length - 1]!;
  if (firstUser.startsWith('Pay ') && messages.length === 2) {
    return scripted.toolCalls([{ name: 'transfer_funds', arguments: { amount: 10, to: 'ACME' } }]);
  }
  if (last.role === 'tool') return scripted.text(`tool said: ${last.content}`);
  if (firstUser === 'Fail first' && !failedOnce) {
    failedOnce = true;
    return scripted.error(400, 'the provider refused the request');
  }
  if (firstUser.startsWith('slow')) return scripted.text(`done: ${firstUser}`, { delayMs: SLOW_MS });
  return scripted.text(`done: ${last.content}`);
}

let failedOnce = false;

function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('schedules on Temporal Schedules', () => {
  let harness: Harness;
  const created: string[] = [];

  beforeAll(async () => {
    harness = await startHarness({ agents: [reporter], llm: { handler: answer } });
  });

  afterAll(async () => {
    for (const id of created) await harness?.zap.schedules.delete(id).catch(() => undefined);
    await harness?.stop();
  });

  async function create(options: Parameters<Harness['zap']['schedules']['create']>[0]): Promise<ScheduleDescription> {
    created.push(options.id);
    return harness.zap.schedules.create(options);
  }

  /** Polls `describe` until `predicate` holds. */
  async function describeUntil(id: string, predicate: (schedule: ScheduleDescription) => boolean, timeoutMs = 30_000): Promise<ScheduleDescription> {
    const deadline = Date.now() + timeoutMs;
    let last: ScheduleDescription | undefined;
    while (Date.now() < deadline) {
      last = await harness.zap.schedules.describe(id);
      if (predicate(last)) return last;
      await sleep(100);
    }
    throw new Error(`schedule ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
  }

  function completedRuns(schedule: ScheduleDescription): ScheduleRun[] {
    return schedule.recentRuns.filter((run) => run.status === 'completed');
  }

  /** Pauses the schedule and waits until no run is open; returns its runs with their close times, oldest first. */
  async function settledRuns(id: string): Promise<Array<ScheduleRun & { closedAt: number }>> {
    await harness.zap.schedules.pause(id, 'measured');
    const settled = await describeUntil(id, (schedule) => schedule.runningTaskIds.length === 0);
    return Promise.all(
      settled.recentRuns.map(async (run) => {
        const description = await harness.zap.client.workflow.getHandle(run.taskId).describe();
        if (!description.closeTime) throw new Error(`run ${run.taskId} is not closed`);
        return { ...run, closedAt: description.closeTime.getTime() };
      }),
    );
  }

  test('a schedule every 2 seconds starts runs that complete, with their task ids and statuses', async () => {
    const id = uniqueId('every');
    const schedule = await create({ id, agentName: 'Reporter', task: 'Summarise the orders', every: '2 seconds' });
    expect(schedule).toMatchObject({
      id,
      agentName: 'Reporter',
      task: 'Summarise the orders',
      everyMs: 2000,
      timezone: 'UTC',
      overlap: 'skip',
      catchupWindowMs: 3_600_000,
      jitterMs: 0,
      idleTimeoutMs: 0,
      paused: false,
      recentRuns: [],
    });
    expect(schedule.nextRunTimes.length).toBeGreaterThan(0);
    expect(Date.parse(schedule.nextRunTimes[1]!) - Date.parse(schedule.nextRunTimes[0]!)).toBe(2000);

    const withRuns = await describeUntil(id, (current) => completedRuns(current).length >= 2);
    for (const run of completedRuns(withRuns)) {
      expect(run.taskId).toMatch(RUN_ID);
      expect(run.taskId.startsWith(`${id}-`)).toBe(true);
      const task = await harness.zap.getTask(run.taskId);
      expect(task).toMatchObject({ id: run.taskId, status: 'completed', result: 'done: Summarise the orders', scheduleId: id, agentName: 'Reporter' });
      expect(task.history.map((message) => message.role)).toEqual(['system', 'user', 'assistant']);
      // Its creation time is its own run's start, not the schedule's creation.
      expect(task.createdAt.getTime()).toBeGreaterThanOrEqual(Date.parse(run.scheduledAt));
      // Answered, it closes at once (idle timeout 0), so the next run is not an overlap.
      const handle = harness.zap.client.workflow.getHandle(run.taskId);
      expect(await handle.result()).toMatchObject({ taskId: run.taskId, status: 'completed', result: 'done: Summarise the orders' });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    }
    expect(new Set(withRuns.recentRuns.map((run) => run.taskId)).size).toBe(withRuns.recentRuns.length);
    expect(withRuns.runCount).toBeGreaterThanOrEqual(2);

    // Listed from visibility (eventually consistent).
    const deadline = Date.now() + 20_000;
    let listed = await harness.zap.schedules.list();
    while (!listed.some((summary) => summary.id === id) && Date.now() < deadline) {
      await sleep(200);
      listed = await harness.zap.schedules.list();
    }
    expect(listed.find((summary) => summary.id === id)).toMatchObject({ id, agentName: 'Reporter', paused: false });
    await harness.zap.schedules.delete(id);
  });

  test('pause stops the runs and records the note; trigger runs at once, even paused; unpause resumes', async () => {
    const id = uniqueId('pause');
    await create({ id, agentName: 'Reporter', task: 'Count the tickets', every: '1 second', note: 'created for the test' });
    expect((await harness.zap.schedules.describe(id)).note).toBe('created for the test');
    await describeUntil(id, (schedule) => completedRuns(schedule).length >= 1);

    await harness.zap.schedules.pause(id, 'Maintenance window');
    const paused = await describeUntil(id, (schedule) => schedule.runningTaskIds.length === 0);
    expect(paused).toMatchObject({ paused: true, note: 'Maintenance window' });
    // Three intervals pass: no run starts while paused.
    await sleep(3000);
    const stillPaused = await harness.zap.schedules.describe(id);
    expect(stillPaused.runCount).toBe(paused.runCount);
    expect(stillPaused.recentRuns.map((run) => run.taskId)).toEqual(paused.recentRuns.map((run) => run.taskId));

    await harness.zap.schedules.trigger(id);
    const triggered = await describeUntil(id, (schedule) => schedule.runCount === paused.runCount + 1);
    const triggeredRun = triggered.recentRuns.at(-1)!;
    expect(triggered.paused).toBe(true);
    expect((await waitForCompletion(harness.zap, triggeredRun.taskId)).result).toBe('done: Count the tickets');

    await harness.zap.schedules.unpause(id, 'Back to work');
    const resumed = await describeUntil(id, (schedule) =>
      completedRuns(schedule).some((run) => Date.parse(run.scheduledAt) > Date.parse(triggeredRun.scheduledAt)),
    );
    expect(resumed).toMatchObject({ paused: false, note: 'Back to work' });
    expect(resumed.runCount).toBeGreaterThan(triggered.runCount);
  });

  test('update gives the next run the new task text; a deleted schedule is not found', async () => {
    const id = uniqueId('update');
    await create({ id, agentName: 'Reporter', task: 'old text', every: '1 second' });
    await describeUntil(id, (schedule) => completedRuns(schedule).length >= 1);

    const updated = await harness.zap.schedules.update(id, { task: 'new text', note: 'reworded' });
    expect(updated).toMatchObject({ task: 'new text', note: 'reworded', everyMs: 1000, agentName: 'Reporter' });
    const updatedAt = Date.parse(updated.updatedAt!);
    const after = await describeUntil(id, (schedule) =>
      completedRuns(schedule).some((run) => Date.parse(run.startedAt) > updatedAt),
    );
    const nextRun = completedRuns(after).find((run) => Date.parse(run.startedAt) > updatedAt)!;
    const task = await harness.zap.getTask(nextRun.taskId);
    expect(task.history[1]).toEqual({ role: 'user', content: 'new text' });
    expect(task.result).toBe('done: new text');

    // `cron` replaces `every`.
    const cron = await harness.zap.schedules.update(id, { cron: '0 9 * * MON-FRI', timezone: 'Europe/Paris' });
    expect(cron).toMatchObject({ cron: '0 9 * * MON-FRI', timezone: 'Europe/Paris', task: 'new text' });
    expect(cron.everyMs).toBeUndefined();
    expect(new Date(cron.nextRunTimes[0]!).getUTCMinutes()).toBe(0);

    await harness.zap.schedules.delete(id);
    await expect(harness.zap.schedules.describe(id)).rejects.toThrow(ScheduleNotFoundError);
    await expect(harness.zap.schedules.pause(id)).rejects.toThrow(ScheduleNotFoundError);
    await expect(harness.zap.schedules.trigger(id)).rejects.toThrow(ScheduleNotFoundError);
    await expect(harness.zap.schedules.update(id, { task: 'again' })).rejects.toThrow(ScheduleNotFoundError);
    await expect(harness.zap.schedules.delete(id)).rejects.toMatchObject({ code: 'SCHEDULE_NOT_FOUND', scheduleId: id });
  });

  test("overlap 'skip': a run due while another is open is skipped", async () => {
    const id = uniqueId('skip');
    await create({ id, agentName: 'Reporter', task: 'slow skip', every: '1 second', overlap: 'skip' });
    const schedule = await describeUntil(id, (current) => current.runCount >= 3);
    expect(schedule.skippedRunCount).toBeGreaterThanOrEqual(2);
    const runs = await settledRuns(id);
    for (let index = 1; index < runs.length; index += 1) {
      const [previous, next] = [runs[index - 1]!, runs[index]!];
      // Never two at once, and never the tick right after a run (it was open then: runs take 1.5 s).
      expect(Date.parse(next.startedAt)).toBeGreaterThanOrEqual(previous.closedAt);
      expect(Date.parse(next.scheduledAt) - Date.parse(previous.scheduledAt)).toBeGreaterThanOrEqual(2000);
    }
    for (const run of runs) expect(run.status).toBe('completed');
  });

  test("overlap 'bufferOne': a run due while another is open starts when it closes", async () => {
    const id = uniqueId('buffer');
    await create({ id, agentName: 'Reporter', task: 'slow buffer', every: '1 second', overlap: 'bufferOne' });
    await describeUntil(id, (current) => current.runCount >= 3);
    const runs = await settledRuns(id);
    let buffered = 0;
    for (let index = 1; index < runs.length; index += 1) {
      const [previous, next] = [runs[index - 1]!, runs[index]!];
      expect(Date.parse(next.startedAt)).toBeGreaterThanOrEqual(previous.closedAt);
      // Due at the next tick, while the previous run was still open: it waited in the buffer.
      if (Date.parse(next.scheduledAt) - Date.parse(previous.scheduledAt) === 1000) buffered += 1;
    }
    expect(buffered).toBeGreaterThanOrEqual(1);
    for (const run of runs) expect(run.status).toBe('completed');
  });

  test("overlap 'allowAll': runs overlap", async () => {
    const id = uniqueId('allow');
    await create({ id, agentName: 'Reporter', task: 'slow allow', every: '1 second', overlap: 'allowAll' });
    const overlapping = await describeUntil(id, (current) => current.runningTaskIds.length >= 2);
    expect(overlapping.skippedRunCount).toBe(0);
    const runs = await settledRuns(id);
    expect(runs.some((run, index) => index > 0 && Date.parse(run.startedAt) < runs[index - 1]!.closedAt)).toBe(true);
    for (const run of runs) expect(run.status).toBe('completed');
  });

  test('a run is an ordinary task: approvals, streaming and follow-ups work on its task id', async () => {
    const id = uniqueId('approve');
    executedTransfers.length = 0;
    await create({
      id,
      agentName: 'Reporter',
      task: 'Pay ACME 10',
      cron: '0 0 1 1 *',
      paused: true,
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
      idleTimeout: '1 minute',
    });
    await harness.zap.schedules.trigger(id);
    const [run] = (await describeUntil(id, (schedule) => schedule.recentRuns.length === 1)).recentRuns;
    const waiting = await waitForTask(harness.zap, run!.taskId, (task) => task.status === 'awaiting_approval');
    const [request] = await waiting.getPendingApprovals();
    expect(request).toMatchObject({ toolName: 'transfer_funds', toolArgs: { amount: 10, to: 'ACME' } });
    expect(executedTransfers).toEqual([]);

    await harness.zap.approve(run!.taskId, request!.id, { approvedBy: 'ana' });
    const answered = await waitForCompletion(harness.zap, run!.taskId);
    expect(answered.result).toBe('tool said: transferred 10 to ACME');
    expect(executedTransfers).toEqual(['10 to ACME']);

    const events: TaskEvent[] = [];
    for await (const event of harness.zap.streamTask({ taskId: run!.taskId, since: 0 })) events.push(event);
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['approval_requested', 'approval_resolved', 'tool_result', 'completed']));

    // Open for its idle timeout (1 minute): a follow-up is answered by the same task.
    await harness.zap.executeTask({ followUpOnTask: run!.taskId, task: 'Thanks' });
    const followedUp = await waitForTask(harness.zap, run!.taskId, (task) => task.status === 'completed' && task.result === 'done: Thanks');
    expect(followedUp.history.filter((message) => message.role === 'user').map((message) => message.content)).toEqual(['Pay ACME 10', 'Thanks']);
    expect((await harness.zap.schedules.describe(id)).runningTaskIds).toEqual([run!.taskId]);
    await harness.zap.cancelTask(run!.taskId, 'test over');
  });

  test('a failed run is retried under its own task id and creation time', async () => {
    const id = uniqueId('retry');
    await create({ id, agentName: 'Reporter', task: 'Fail first', cron: '0 0 1 1 *', paused: true });
    await harness.zap.schedules.trigger(id);
    const [run] = (await describeUntil(id, (schedule) => schedule.recentRuns.length === 1)).recentRuns;
    const failed = await waitForTask(harness.zap, run!.taskId, (task) => task.status === 'failed');
    expect(failed.error).toMatch(/the provider refused the request/);

    await harness.zap.retryTask(run!.taskId);
    const retried = await waitForCompletion(harness.zap, run!.taskId);
    expect(retried).toMatchObject({ id: run!.taskId, result: 'done: Fail first', scheduleId: id });
    expect(retried.createdAt).toEqual(failed.createdAt);
    expect((await harness.zap.schedules.describe(id)).recentRuns.map((current) => current.taskId)).toEqual([run!.taskId]);
  });

  test("each run gets the schedule's whole budget: a run whose model wants two calls fails at maxModelCalls 1", async () => {
    const id = uniqueId('budget');
    // Refused before anything is created: a USD budget needs the model's price, limits must be valid.
    await expect(create({ id, agentName: 'Reporter', task: 'Pay ACME 10', every: '1 hour', budget: { maxUsd: 1 } })).rejects.toThrow(ModelPriceUnknownError);
    await expect(create({ id, agentName: 'Reporter', task: 'Pay ACME 10', every: '1 hour', budget: { maxModelCalls: -1 } })).rejects.toThrow(/maxModelCalls/);
    await expect(harness.zap.schedules.describe(id)).rejects.toThrow(ScheduleNotFoundError);

    const schedule = await create({ id, agentName: 'Reporter', task: 'Pay ACME 10', cron: '0 0 1 1 *', paused: true, budget: { maxModelCalls: 1 } });
    expect(schedule.budget).toEqual({ maxModelCalls: 1, onExceeded: 'fail', askTimeout: 7 * 24 * 3_600_000 });
    await harness.zap.schedules.trigger(id);
    const [run] = (await describeUntil(id, (current) => current.recentRuns.length === 1)).recentRuns;
    // The model asks for a tool call, then needs a second call the budget does not allow.
    const failed = await waitForTask(harness.zap, run!.taskId, (task) => task.status === 'failed');
    expect(failed.errorCode).toBe('BUDGET_EXCEEDED');
    expect(failed.budgetError).toMatchObject({ code: 'BUDGET_EXCEEDED', limit: 'modelCalls', max: 1, spent: 1 });
    expect(failed.budget).toMatchObject({ limits: { maxModelCalls: 1 }, spent: { modelCalls: 1, toolCalls: 1 } });
    expect(failed.history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);

    // `update(id, {})` keeps the schedule's own budget; a new one replaces it, and the next run gets all of it.
    expect((await harness.zap.schedules.update(id, {})).budget).toEqual(schedule.budget);
    const raised = await harness.zap.schedules.update(id, { budget: { maxModelCalls: 2 } });
    expect(raised.budget).toMatchObject({ maxModelCalls: 2 });
    // Runs triggered within one second share a task id: trigger the next one in a later second.
    await sleep(Math.max(0, Date.parse(run!.scheduledAt) + 1000 - Date.now()));
    await harness.zap.schedules.trigger(id);
    const second = (await describeUntil(id, (current) => current.recentRuns.length === 2)).recentRuns[1]!;
    const answered = await waitForCompletion(harness.zap, second.taskId);
    expect(answered.result).toBe('tool said: transferred 10 to ACME');
    expect(answered.budget).toMatchObject({ limits: { maxModelCalls: 2 }, spent: { modelCalls: 2 } });

    // `budget: undefined` removes the schedule's own budget (the agent has none).
    expect((await harness.zap.schedules.update(id, { budget: undefined })).budget).toBeUndefined();
  });

  test('invalid schedules are refused before anything is created; ids, owners and scopes', async () => {
    const { schedules } = harness.zap;
    const id = uniqueId('invalid');
    const base = { id, agentName: 'Reporter', task: 'Anything' };
    await expect(schedules.create({ ...base, cron: '61 * * * *' })).rejects.toThrow(ZapValidationError);
    await expect(schedules.create({ ...base, cron: '61 * * * *' })).rejects.toThrow(/Minute is not in range/);
    await expect(schedules.create({ ...base, cron: 'every day' })).rejects.toThrow(/not a cron expression/);
    await expect(schedules.create({ ...base, cron: '0 9 * * *', every: '1 hour' })).rejects.toThrow(/not both/);
    await expect(schedules.create({ ...base })).rejects.toThrow(/needs `cron`/);
    await expect(schedules.create({ ...base, every: '100 ms' })).rejects.toThrow(/at least 1 second/);
    await expect(schedules.create({ ...base, every: 'soon' })).rejects.toThrow(ZapValidationError);
    await expect(schedules.create({ ...base, cron: '0 9 * * *', timezone: 'Mars/Olympus' })).rejects.toThrow(/not a known IANA time zone/);
    await expect(schedules.create({ ...base, every: '1 hour', overlap: 'sometimes' as never })).rejects.toThrow(/overlap must be one of/);
    await expect(schedules.create({ ...base, every: '1 hour', catchupWindow: '1 second' })).rejects.toThrow(/at least 10 seconds/);
    await expect(schedules.create({ ...base, every: '1 hour', agentName: 'Nobody' })).rejects.toThrow(AgentNotFoundError);
    await expect(schedules.create({ ...base, every: '1 hour', task: '  ' })).rejects.toThrow(/empty/);
    await expect(schedules.create({ ...base, every: '1 hour', context: { when: new Date() } as never })).rejects.toThrow(/plain JSON/);
    await expect(schedules.create({ ...base, id: 'has spaces', every: '1 hour' })).rejects.toThrow(/schedule id/);
    await expect(schedules.create({ ...base, id: 'x'.repeat(161), every: '1 hour' })).rejects.toThrow(/schedule id/);
    await expect(schedules.describe(id)).rejects.toThrow(ScheduleNotFoundError);

    // An owner: outside its tenant the schedule does not exist.
    await create({ ...base, every: '1 hour', tenantId: 'acme', userId: 'ana', paused: true });
    await expect(create({ ...base, every: '2 hours' })).rejects.toThrow(ScheduleAlreadyExistsError);
    expect((await schedules.describe(id)).everyMs).toBe(3_600_000);
    expect(await schedules.describe(id, { tenantId: 'acme' })).toMatchObject({ id, tenantId: 'acme', userId: 'ana' });
    await expect(schedules.describe(id, { tenantId: 'globex' })).rejects.toThrow(ScheduleNotFoundError);
    await expect(schedules.trigger(id, { tenantId: 'globex' })).rejects.toThrow(ScheduleNotFoundError);
    await expect(schedules.delete(id, { userId: 'bob' })).rejects.toThrow(ScheduleNotFoundError);
    await expect(schedules.update(id, { agentName: 'Other' } as never)).rejects.toThrow(/cannot change `agentName`/);
    await expect(schedules.update(id, { every: '0 seconds' })).rejects.toThrow(ZapValidationError);
    expect((await schedules.describe(id)).everyMs).toBe(3_600_000);

    const deadline = Date.now() + 20_000;
    let listed = await schedules.list({ tenantId: 'acme' });
    while (!listed.some((summary) => summary.id === id) && Date.now() < deadline) {
      await sleep(200);
      listed = await schedules.list({ tenantId: 'acme' });
    }
    expect(listed.map((summary) => summary.id)).toContain(id);
    expect((await schedules.list({ tenantId: 'globex' })).map((summary) => summary.id)).not.toContain(id);
    await schedules.delete(id, { tenantId: 'acme' });
  });
});
