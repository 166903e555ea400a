import { randomBytes } from 'node:crypto';
import { ZapAgent, ZapValidationError, type Task } from '../../src';
import { BudgetExceededError } from '../../src/core/errors';
import { scripted, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import {
  reserveTenantBudgetUpdate,
  settleTenantBudgetUpdate,
  TENANT_BUDGET_WORKFLOW_TYPE,
  tenantBudgetWorkflowId,
} from '../../src/workflows/tenant-budget-definitions';
import type { tenantBudgetWorkflow } from '../../src/workflows/tenant-budget-workflow';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * Tenant budgets on the real dev server, counted against the scripted model's requests and the
 * usage it reports. Prices: prompts free, $2 per million completion tokens, and every answer
 * reports MAX_TOKENS completion tokens: a call's worst case (its max_tokens) is exactly what it
 * is billed, CALL_USD, so a tenant limit of n × CALL_USD pays for exactly n calls.
 */

const MAX_TOKENS = 100;
/** One call: MAX_TOKENS completion tokens at $2/M. */
const CALL_USD = 0.0002;
const CALL_NANO_USD = 200_000;

function tenant(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/** The user message of a request (tasks are named after their tenant). */
function taskText(request: ScriptedRequest): string {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  return messages.find((message) => message.role === 'user')?.content ?? '';
}

async function finished(harness: Harness, taskId: string): Promise<Task> {
  return waitForTask(harness.zap, taskId, (task) => task.status === 'completed' || task.status === 'failed', 90_000);
}

/** Polls until `predicate` holds for the tenant's budget. */
async function waitForBudget(harness: Harness, tenantId: string, predicate: (budget: NonNullable<Awaited<ReturnType<Harness['zap']['tenantBudgets']['get']>>>) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const budget = await harness.zap.tenantBudgets.get(tenantId);
    if (budget && predicate(budget)) return budget;
    if (Date.now() > deadline) throw new Error(`The budget of ${tenantId} did not reach the expected state: ${JSON.stringify(budget)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('tenant budgets', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Answerer', prompt: 'Answerer.', model: 'scripted-model', maxTokens: MAX_TOKENS }),
        new ZapAgent({ name: 'Unpriced', prompt: 'Unpriced.', model: 'model-nobody-prices', maxTokens: MAX_TOKENS }),
      ],
      zap: { prices: { 'scripted-model': { input: 0, output: 2 } } },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    harness.llm.reset();
    harness.llm.setHandler(() => scripted.text('Answered.', { usage: { promptTokens: 400, completionTokens: MAX_TOKENS } }));
  });

  test('twenty concurrent tasks of one tenant against a limit that pays for seven calls: exactly seven are made and billed', async () => {
    const limited = tenant('acme');
    const other = tenant('globex');
    const unbudgeted = tenant('soylent');
    await harness.zap.tenantBudgets.set(limited, { maxUsd: 7 * CALL_USD, per: '1 day' });
    await harness.zap.tenantBudgets.set(other, { maxUsd: 10 * CALL_USD });
    const started = await Promise.all([
      ...Array.from({ length: 20 }, (_, index) => harness.zap.executeTask({ agentName: 'Answerer', task: `${limited} question ${index}`, tenantId: limited })),
      ...Array.from({ length: 3 }, (_, index) => harness.zap.executeTask({ agentName: 'Answerer', task: `${other} question ${index}`, tenantId: other })),
      ...Array.from({ length: 2 }, (_, index) => harness.zap.executeTask({ agentName: 'Answerer', task: `${unbudgeted} question ${index}`, tenantId: unbudgeted })),
    ]);
    const tasks = await Promise.all(started.map((task) => finished(harness, task.id)));
    const limitedTasks = tasks.filter((task) => task.tenantId === limited);
    const completed = limitedTasks.filter((task) => task.status === 'completed');
    const refused = limitedTasks.filter((task) => task.status === 'failed');

    expect(completed).toHaveLength(7);
    expect(refused).toHaveLength(13);
    for (const task of refused) {
      expect(task.errorCode).toBe('BUDGET_EXCEEDED');
      expect(task.budgetError).toBeInstanceOf(BudgetExceededError);
      expect(task.budgetError).toMatchObject({ limit: 'tenantUsd', needed: CALL_USD });
      expect(task.error).toMatch(/tenant's budget/);
    }
    const status = await harness.zap.getTaskStatus(refused[0]!.id);
    expect(status.budgetFailure).toMatchObject({ limit: 'tenantUsd' });

    // The scripted model saw exactly seven calls of the tenant, and billed each its worst case.
    const limitedRequests = harness.llm.requests.filter((request) => taskText(request).startsWith(limited));
    expect(limitedRequests).toHaveLength(7);
    const billedUsd = limitedRequests.length * MAX_TOKENS * 2e-6;
    expect(billedUsd).toBeLessThanOrEqual(7 * CALL_USD + 1e-12);
    expect(completed.reduce((total, task) => total + task.costUsd, 0)).toBeCloseTo(7 * CALL_USD, 12);
    expect(await harness.zap.tenantBudgets.get(limited)).toMatchObject({
      maxUsd: 7 * CALL_USD,
      spentUsd: 7 * CALL_USD,
      reservedUsd: 0,
      remainingUsd: 0,
      openReservations: 0,
      estimatedUsd: 0,
    });

    // Another tenant draws from its own budget, and a tenant without one is not limited.
    expect(tasks.filter((task) => task.tenantId === other).map((task) => task.status)).toEqual(['completed', 'completed', 'completed']);
    expect(harness.llm.requests.filter((request) => taskText(request).startsWith(other))).toHaveLength(3);
    const otherBudget = await harness.zap.tenantBudgets.get(other);
    expect(otherBudget).toMatchObject({ reservedUsd: 0 });
    expect(otherBudget?.spentUsd).toBeCloseTo(3 * CALL_USD, 12);
    expect(tasks.filter((task) => task.tenantId === unbudgeted).map((task) => task.status)).toEqual(['completed', 'completed']);
    expect(await harness.zap.tenantBudgets.get(unbudgeted)).toBeUndefined();
  }, 180_000);

  test("a task with a budget of its own is failed by its tenant's refusal, whatever its policy (a tenant's limit is not the task's to raise)", async () => {
    const tenantId = tenant('initech');
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 0 });
    for (const onExceeded of ['fail', 'ask'] as const) {
      const started = await harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q`, tenantId, budget: { maxUsd: 1, onExceeded } });
      const task = await finished(harness, started.id);
      expect(task.status).toBe('failed');
      expect(task.errorCode).toBe('BUDGET_EXCEEDED');
      expect(task.budgetError).toMatchObject({ limit: 'tenantUsd', needed: CALL_USD });
      expect(task.approvals).toEqual([]);
    }
    expect(harness.llm.requestCount()).toBe(0);
    // Its own budget still counts what it spends when the tenant's allows the call.
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: CALL_USD });
    const paid = await finished(harness, (await harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q`, tenantId, budget: { maxUsd: 1 } })).id);
    expect(paid.status).toBe('completed');
    expect(paid.budget).toMatchObject({ spent: { usd: CALL_USD, modelCalls: 1 } });
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ spentUsd: CALL_USD, remainingUsd: 0 });
  }, 120_000);

  test('set, get and remove; bad options are ZapValidationErrors; a removed budget limits nothing', async () => {
    const tenantId = tenant('umbrella');
    expect(await harness.zap.tenantBudgets.get(tenantId)).toBeUndefined();
    expect(await harness.zap.tenantBudgets.remove(tenantId)).toBe(false);

    const created = await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 0 });
    expect(created).toMatchObject({ tenantId, maxUsd: 0, windowMs: 24 * 60 * 60 * 1000, spentUsd: 0, reservedUsd: 0, remainingUsd: 0 });
    // Setting again is idempotent and changes the limit of the same budget.
    const { runId } = await harness.zap.client.workflow.getHandle(tenantBudgetWorkflowId(tenantId)).describe();
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 0, per: '12 hours' });
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 0, per: '12 hours' });
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ maxUsd: 0, windowMs: 12 * 60 * 60 * 1000 });
    expect((await harness.zap.client.workflow.getHandle(tenantBudgetWorkflowId(tenantId)).describe()).runId).toBe(runId);

    await expect(harness.zap.tenantBudgets.set('', { maxUsd: 1 })).rejects.toThrow(ZapValidationError);
    await expect(harness.zap.tenantBudgets.set(tenantId, { maxUsd: -1 })).rejects.toThrow(ZapValidationError);
    await expect(harness.zap.tenantBudgets.set(tenantId, { maxUsd: 1, per: 'whenever' })).rejects.toThrow(/per must be a duration/);
    await expect(harness.zap.tenantBudgets.set(tenantId, { maxUsd: 1, window: '1 day' } as never)).rejects.toThrow(/unknown option 'window'/);
    await expect(harness.zap.tenantBudgets.get('bad\u0000tenant')).rejects.toThrow(ZapValidationError);

    const refused = await finished(harness, (await harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q`, tenantId })).id);
    expect(refused.budgetError).toMatchObject({ limit: 'tenantUsd' });
    expect(harness.llm.requestCount()).toBe(0);

    expect(await harness.zap.tenantBudgets.remove(tenantId)).toBe(true);
    expect(await harness.zap.tenantBudgets.get(tenantId)).toBeUndefined();
    expect(await harness.zap.tenantBudgets.remove(tenantId)).toBe(false);
    const free = await finished(harness, (await harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q`, tenantId })).id);
    expect(free.status).toBe('completed');
    expect(harness.llm.requestCount()).toBe(1);
  }, 120_000);

  test('a reservation whose worker died (never settled) counts as spent at its reserved amount once its time to live passes', async () => {
    const tenantId = tenant('hooli');
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 3 * CALL_USD });
    const handle = harness.zap.client.workflow.getHandle(tenantBudgetWorkflowId(tenantId));
    // What a model activity reserves before its call; its worker "dies" and never settles it.
    const grant = await handle.executeUpdate(reserveTenantBudgetUpdate, { args: [{ key: 'lost-task/1/1.1', nanoUsd: 2 * CALL_NANO_USD, ttlMs: 1500 }] });
    expect(grant).toMatchObject({ granted: true });
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ reservedUsd: 2 * CALL_USD, spentUsd: 0, openReservations: 1 });
    // Held meanwhile, counted as spent after: either way only one more call fits.
    const expired = await waitForBudget(harness, tenantId, (budget) => budget.openReservations === 0);
    expect(expired).toMatchObject({ spentUsd: 2 * CALL_USD, estimatedUsd: 2 * CALL_USD, reservedUsd: 0 });
    expect(expired.remainingUsd).toBeCloseTo(CALL_USD, 12);

    const started = await Promise.all([0, 1].map((index) => harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q${index}`, tenantId })));
    const tasks = await Promise.all(started.map((task) => finished(harness, task.id)));
    expect(tasks.map((task) => task.status).sort()).toEqual(['completed', 'failed']);
    expect(harness.llm.requestCount()).toBe(1);
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ spentUsd: 0.0006, remainingUsd: 0 });
  }, 120_000);

  test('rolling window: spend older than the window stops counting', async () => {
    const tenantId = tenant('wayne');
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 2 * CALL_USD, per: '5 seconds' });
    const run = async (index: number): Promise<Task> =>
      finished(harness, (await harness.zap.executeTask({ agentName: 'Answerer', task: `${tenantId} q${index}`, tenantId })).id);
    const first = await Promise.all([run(1), run(2)]);
    expect(first.map((task) => task.status)).toEqual(['completed', 'completed']);
    // While the first two count, a third call does not fit.
    const third = await run(3);
    expect(third.budgetError).toMatchObject({ limit: 'tenantUsd' });
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ spentUsd: 2 * CALL_USD });
    // Once their spend is older than the window, it no longer counts: the next call fits.
    await waitForBudget(harness, tenantId, (budget) => budget.spentUsd === 0 && budget.remainingUsd === 2 * CALL_USD);
    const later = await run(4);
    expect(later.status).toBe('completed');
    expect(harness.llm.requestCount()).toBe(3);
    expect(await harness.zap.tenantBudgets.get(tenantId)).toMatchObject({ spentUsd: CALL_USD });
  }, 120_000);

  test('a USD tenant budget for a model with no known price refuses the call (MODEL_PRICE_UNKNOWN)', async () => {
    const tenantId = tenant('cyberdyne');
    await harness.zap.tenantBudgets.set(tenantId, { maxUsd: 1 });
    const task = await finished(harness, (await harness.zap.executeTask({ agentName: 'Unpriced', task: `${tenantId} q`, tenantId })).id);
    expect(task.status).toBe('failed');
    expect(task.errorCode).toBe('MODEL_PRICE_UNKNOWN');
    expect(task.error).toMatch(/prices/);
    expect(harness.llm.requestCount()).toBe(0);
    // Without a tenant budget the same agent runs (its cost is just unknown).
    const free = await finished(harness, (await harness.zap.executeTask({ agentName: 'Unpriced', task: 'q', tenantId: tenant('nobudget') })).id);
    expect(free.status).toBe('completed');
  }, 120_000);

  test('the budget workflow continues as new with its ledger: totals stay exact and keys stay idempotent', async () => {
    const tenantId = tenant('stark');
    const client = harness.zap.client;
    const first = await client.workflow.start<typeof tenantBudgetWorkflow>(TENANT_BUDGET_WORKFLOW_TYPE, {
      workflowId: tenantBudgetWorkflowId(tenantId),
      taskQueue: harness.taskQueue,
      args: [{ tenantId, limitNanoUsd: 100 * CALL_NANO_USD, windowMs: 60 * 60 * 1000, eventsPerRun: 30 }],
    });
    for (let index = 0; index < 12; index += 1) {
      await first.executeUpdate(reserveTenantBudgetUpdate, { args: [{ key: `k${index}`, nanoUsd: CALL_NANO_USD, ttlMs: 60_000 }] });
      await first.executeUpdate(settleTenantBudgetUpdate, { args: [{ key: `k${index}`, nanoUsd: CALL_NANO_USD / 2 }] });
    }
    // One reservation left open across the runs.
    await first.executeUpdate(reserveTenantBudgetUpdate, { args: [{ key: 'open', nanoUsd: CALL_NANO_USD, ttlMs: 60_000 }] });
    const current = client.workflow.getHandle(tenantBudgetWorkflowId(tenantId));
    expect((await current.describe()).runId).not.toBe(first.firstExecutionRunId);
    expect((await client.workflow.getHandle(tenantBudgetWorkflowId(tenantId), first.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    // Keys settled or reserved in an earlier run are still known.
    expect(await current.executeUpdate(settleTenantBudgetUpdate, { args: [{ key: 'k0', nanoUsd: CALL_NANO_USD / 2 }] })).toEqual({ settled: true, duplicate: true });
    expect(await current.executeUpdate(reserveTenantBudgetUpdate, { args: [{ key: 'open', nanoUsd: CALL_NANO_USD, ttlMs: 60_000 }] })).toMatchObject({ granted: true });
    const budget = await harness.zap.tenantBudgets.get(tenantId);
    expect(budget).toMatchObject({ reservedUsd: CALL_USD, openReservations: 1 });
    expect(budget?.spentUsd).toBeCloseTo(6 * CALL_USD, 12);
    expect(await harness.zap.tenantBudgets.remove(tenantId)).toBe(true);
  }, 120_000);
});
