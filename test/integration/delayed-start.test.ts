import { z } from 'zod';
import { ApprovalNotFoundError, TaskNotFoundError, ZapAgent, ZapValidationError, type TaskEvent } from '../../src';
import { scripted, type ScriptedRequest, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Delayed start (`executeTask({ startAt | startDelay })`) on the real dev server: Temporal's
 * workflow start delay. Before it starts no worker can answer for the task, so reads come from
 * Temporal alone (`pending`, `startsAt`); a follow-up waits with Temporal and joins the first
 * request; a cancellation ends the task at once; an event (an update, which would start it early)
 * is refused. Delays of a few seconds keep the file short; they are longer than the reads'
 * no-worker timeout (3 s), within which Temporal holds a query until the task has started.
 */

jest.setTimeout(120_000);

const clerk = new ZapAgent({
  name: 'Clerk',
  prompt: 'You file things.',
  model: 'scripted-model',
  events: { 'paper-signed': { description: 'The customer signed', schema: z.object({ by: z.string() }) } },
});

/** Echoes every user message of the conversation, so a test sees what the model was given. */
function answer(request: ScriptedRequest): ScriptedResponse {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  return scripted.text(`filed: ${messages.filter((message) => message.role === 'user').map((message) => message.content).join(' + ')}`);
}

describe('delayed start', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [clerk], llm: { handler: answer } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    harness.llm.reset();
    harness.llm.setHandler(answer);
  });

  test('a task with startDelay is pending with startsAt, answered from Temporal, and runs once the delay has passed', async () => {
    const { zap, llm } = harness;
    const requestedAt = Date.now();
    const started = await zap.executeTask({ agentName: 'Clerk', task: 'File the lease', startDelay: '6 seconds' });
    expect(started.status).toBe('pending');
    expect(started.startsAt!.getTime()).toBeGreaterThanOrEqual(requestedAt + 6000);

    const before = await zap.getTask(started.id);
    expect(before).toMatchObject({ id: started.id, agentName: 'Clerk', status: 'pending', result: undefined });
    expect(before.history).toEqual([
      { role: 'system', content: 'You file things.' },
      { role: 'user', content: 'File the lease' },
    ]);
    const startsAt = before.startsAt!.getTime();
    expect(startsAt - requestedAt).toBeGreaterThanOrEqual(6000);
    const status = await zap.getTaskStatus(started.id);
    expect(status).toMatchObject({ status: 'pending', startsAt: before.startsAt!.toISOString(), messageCount: 2 });
    expect((await zap.getTaskHistory(started.id)).total).toBe(2);
    expect(llm.requestCount()).toBe(0);

    const task = await waitForCompletion(zap, started.id);
    expect(task.result).toBe('filed: File the lease');
    expect(task.startsAt).toBeUndefined();
    expect(llm.requestCount()).toBe(1);
    // The model was called once the start time had come.
    expect(llm.requests[0]!.receivedAt).toBeGreaterThanOrEqual(startsAt);
  });

  test('startAt as an ISO string; a follow-up before the start joins the first request; the stream waits for the start', async () => {
    const { zap, llm } = harness;
    const startAt = new Date(Date.now() + 6000).toISOString();
    const started = await zap.executeTask({ agentName: 'Clerk', task: 'File the deed', startAt });
    expect(Math.abs(started.startsAt!.getTime() - Date.parse(startAt))).toBeLessThan(1000);

    const followUp = await zap.executeTask({ followUpOnTask: started.id, task: 'and the invoice' });
    expect(followUp.status).toBe('pending');
    expect(llm.requestCount()).toBe(0);

    const events: TaskEvent[] = [];
    for await (const event of zap.streamTask({ taskId: started.id, includeTokens: false })) events.push(event);
    expect(events.map((event) => event.type)).toEqual(['thinking', 'completed']);
    expect(Date.parse(events[0]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(startAt) - 1000);

    const task = await waitForCompletion(zap, started.id);
    expect(task.result).toBe('filed: File the deed + and the invoice');
    expect(llm.requestCount()).toBe(1);
  });

  test('cancelling before the start ends the task at once, before any model call', async () => {
    const { zap, llm } = harness;
    const started = await zap.executeTask({ agentName: 'Clerk', task: 'File the appeal', startDelay: '1 hour' });
    await zap.cancelTask(started.id, 'withdrawn');
    const cancelled = await waitForTask(zap, started.id, (task) => task.status === 'cancelled');
    expect(cancelled.cancelReason).toBe('withdrawn');
    expect((await zap.client.workflow.getHandle(started.id).describe()).status.name).toBe('CANCELLED');
    expect(llm.requestCount()).toBe(0);
  });

  test('an event before the start is refused (it would start the task early); the task still starts on time', async () => {
    const { zap } = harness;
    const started = await zap.executeTask({ agentName: 'Clerk', task: 'File the contract', startDelay: '5 seconds' });
    await expect(zap.sendEvent(started.id, 'paper-signed', { by: 'ana' })).rejects.toThrow(ZapValidationError);
    await expect(zap.sendEvent(started.id, 'paper-signed', { by: 'ana' })).rejects.toThrow(/has not started yet \(it starts at .*\); send the event once it has started/);
    expect((await zap.getTaskStatus(started.id)).status).toBe('pending');
    const task = await waitForCompletion(zap, started.id);
    expect(task.result).toBe('filed: File the contract');
  });

  test('a decision before the start is refused as nothing pending, without an update that would start the task early', async () => {
    const { zap, llm } = harness;
    const started = await zap.executeTask({ agentName: 'Clerk', task: 'File the claim', startDelay: '1 hour' });
    await expect(zap.approve(started.id, 'approval-1', { approvedBy: 'ana' })).rejects.toThrow(ApprovalNotFoundError);
    await expect(zap.reject(started.id, 'approval-1', 'no')).rejects.toMatchObject({ code: 'APPROVAL_NOT_FOUND', approvalId: 'approval-1', taskId: started.id });
    await expect(zap.decideApprovals(started.id, { 'approval-1': { decision: 'approve' }, 'approval-2': { decision: 'reject' } })).rejects.toMatchObject({
      code: 'APPROVAL_NOT_FOUND',
      approvalIds: ['approval-1', 'approval-2'],
    });
    await expect(zap.approve('delayed-no-such-task', 'approval-1')).rejects.toThrow(TaskNotFoundError);

    // No update reached Temporal: the workflow's history is its start event alone, and it is still delayed.
    const handle = zap.client.workflow.getHandle(started.id);
    const { events } = await handle.fetchHistory();
    expect(events?.length).toBe(1);
    const status = await zap.getTaskStatus(started.id);
    expect(status).toMatchObject({ status: 'pending', pendingApprovals: [] });
    expect(Date.parse(status.startsAt!)).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(llm.requestCount()).toBe(0);
    await zap.cancelTask(started.id, 'test over');
  });

  test('invalid start times are refused before anything starts', async () => {
    const { zap } = harness;
    const base = { agentName: 'Clerk', task: 'File nothing' };
    await expect(zap.executeTask({ ...base, taskId: 'delayed-never', startAt: new Date(Date.now() - 60_000) })).rejects.toThrow(/not in the future/);
    await expect(zap.executeTask({ ...base, startAt: 'tomorrow-ish' })).rejects.toThrow(/must be a Date or an ISO-8601 time/);
    await expect(zap.executeTask({ ...base, startAt: new Date(Date.now() + 60_000), startDelay: '1 minute' })).rejects.toThrow(/not both/);
    await expect(zap.executeTask({ ...base, startDelay: -5 })).rejects.toThrow(/positive duration/);
    await expect(zap.executeTask({ ...base, startDelay: 0 })).rejects.toThrow(/positive duration/);
    await expect(zap.executeTask({ ...base, startDelay: 'later' })).rejects.toThrow(ZapValidationError);
    await expect(zap.executeTask({ followUpOnTask: 'some-task', task: 'x', startDelay: '1 minute' } as never)).rejects.toThrow(/for new tasks/);
    await expect(zap.executeTask({ ...base, taskId: 'delayed-never', startDelay: '-1 minute' })).rejects.toThrow(ZapValidationError);
    await expect(zap.getTask('delayed-never')).rejects.toThrow(TaskNotFoundError);
  });
});
