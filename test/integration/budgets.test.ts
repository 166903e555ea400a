import { z } from 'zod';
import { ZapAgent, ZapValidationError, tool, type Task } from '../../src';
import { BudgetExceededError, ModelPriceUnknownError } from '../../src/core/errors';
import { scripted } from '../../src/testing/scripted-llm-server';
import { OPERATOR_PRINCIPAL, ZapOperations } from '../../src/operations';
import { getEventsQuery } from '../../src/workflows/definitions';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * Budgets on the real dev server, counted against the scripted model's reported usage and the
 * price the Zap gives its model. Prices: prompts free, $2 per million completion tokens, so a
 * call's worst case is exactly `maxTokens` completion tokens (2e-6 dollars each) and a call that
 * reports `maxTokens` completion tokens costs exactly its worst case: the cap can be reached to
 * the nano-dollar.
 */

const MAX_TOKENS = 100;
/** One call of MAX_TOKENS completion tokens at $2/M: $0.0002. */
const CALL_USD = 0.0002;

const executed: string[] = [];
const lookUp = tool({
  name: 'look_up',
  description: 'Looks something up',
  parameters: z.object({ n: z.number() }),
  execute: ({ n }) => {
    executed.push(`look_up ${n}`);
    return `fact ${n}`;
  },
});

const router = new AgentRouter();

function toolTurn(n: number, completionTokens = MAX_TOKENS) {
  return scripted.toolCalls([{ id: `call_${n}`, name: 'look_up', arguments: { n } }], { usage: { promptTokens: 400, completionTokens } });
}

function answer(text: string, completionTokens = MAX_TOKENS) {
  return scripted.text(text, { usage: { promptTokens: 400, completionTokens } });
}

async function finished(harness: Harness, taskId: string): Promise<Task> {
  return waitForTask(harness.zap, taskId, (task) => task.status === 'completed' || task.status === 'failed');
}

describe('budgets', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Researcher', prompt: 'Researcher.', model: 'scripted-model', maxTokens: MAX_TOKENS, tools: [lookUp] }),
        new ZapAgent({ name: 'Unpriced', prompt: 'Unpriced.', model: 'model-nobody-prices', tools: [lookUp] }),
      ],
      llm: { handler: router.handler },
      // Small runs: a task of a few tool rounds continues as new, with its ledger carried.
      zap: { prices: { 'scripted-model': { input: 0, output: 2 } }, continueAsNewAfterEvents: 30 },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    executed.length = 0;
  });

  test('a task is stopped at exactly its USD cap: three calls fit, the fourth is never made', async () => {
    router.enqueue('Researcher.', toolTurn(1), toolTurn(2), toolTurn(3), answer('never sent'));
    const started = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxUsd: 0.0006 } });
    const task = await finished(harness, started.id);
    expect(task.status).toBe('failed');
    expect(task.errorCode).toBe('BUDGET_EXCEEDED');
    expect(task.budgetError).toBeInstanceOf(BudgetExceededError);
    expect(task.budgetError).toMatchObject({ limit: 'usd', max: 0.0006, spent: 0.0006 });
    expect(harness.llm.requestCount()).toBe(3);
    expect(executed).toEqual(['look_up 1', 'look_up 2', 'look_up 3']);
    expect(task.budget).toMatchObject({ limits: { maxUsd: 0.0006 }, spent: { usd: 0.0006, modelCalls: 3, toolCalls: 3 }, remaining: { usd: 0 } });
    expect(task.costUsd).toBe(0.0006);
    const { events } = await harness.zap.client.workflow.getHandle(started.id).query(getEventsQuery, 0);
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage.map((event) => (event.type === 'usage' ? event.costUsd : 0))).toEqual([CALL_USD, CALL_USD, CALL_USD]);
  });

  test("the worst-case check refuses a call that could overspend, and lowers a call's max_tokens to what is left", async () => {
    // $0.00055: after two calls $0.00015 is left, room for 75 completion tokens: the third call is made with max_tokens 75.
    router.enqueue('Researcher.', toolTurn(1), toolTurn(2), toolTurn(3, 75), answer('never sent'));
    const lowered = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxUsd: 0.00055 } });
    const loweredTask = await finished(harness, lowered.id);
    expect(harness.llm.requests.map((request) => request.body.max_tokens)).toEqual([MAX_TOKENS, MAX_TOKENS, 75]);
    // Then $0.000 is left: under the 64-token floor, so the fourth call is refused before it is sent.
    expect(harness.llm.requestCount()).toBe(3);
    expect(loweredTask.budgetError).toMatchObject({ limit: 'usd', spent: 0.00055 });

    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    router.reset();
    // $0.0005: after two calls $0.0001 is left, room for 50 tokens only, under the floor: refused, nothing overspent.
    router.enqueue('Researcher.', toolTurn(1), toolTurn(2), answer('never sent'));
    const refused = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxUsd: 0.0005 } });
    const refusedTask = await finished(harness, refused.id);
    expect(harness.llm.requestCount()).toBe(2);
    expect(refusedTask.budgetError).toMatchObject({ limit: 'usd', max: 0.0005, spent: 0.0004 });
    expect(refusedTask.error).toMatch(/could need up to/);
  });

  test("onExceeded 'ask': approved with a higher limit the task goes on; rejected it fails", async () => {
    router.enqueue('Researcher.', toolTurn(1), answer('Done after the raise.'));
    const started = await harness.zap.executeTask({
      agentName: 'Researcher',
      task: 'Research',
      budget: { maxUsd: CALL_USD, onExceeded: 'ask' },
    });
    const waiting = await waitForTask(harness.zap, started.id, (task) => task.status === 'awaiting_approval');
    const [request] = await waiting.getPendingApprovals();
    expect(request).toMatchObject({ kind: 'budget', toolName: 'maxUsd', budget: { limit: 'usd', spentUsd: CALL_USD, maxUsd: CALL_USD } });
    expect(request?.summary).toMatch(/Approve with a higher maxUsd/);
    // Approving without a new limit, or with one that is not higher, is refused before anything is recorded.
    await expect(harness.zap.approve(started.id, request!.id)).rejects.toThrow(ZapValidationError);
    await expect(harness.zap.approve(started.id, request!.id, { budget: { maxUsd: CALL_USD } })).rejects.toThrow(/maxUsd above/);
    await harness.zap.approve(started.id, request!.id, { approvedBy: 'finance', budget: { maxUsd: 0.0004 } });
    const task = await finished(harness, started.id);
    expect(task.status).toBe('completed');
    expect(task.result).toBe('Done after the raise.');
    expect(task.budget).toMatchObject({ limits: { maxUsd: 0.0004 }, spent: { usd: 0.0004 } });

    router.enqueue('Researcher.', toolTurn(1), answer('never sent'));
    const second = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxUsd: CALL_USD, onExceeded: 'ask' } });
    const pending = await waitForTask(harness.zap, second.id, (current) => current.status === 'awaiting_approval');
    const [secondRequest] = await pending.getPendingApprovals();
    await harness.zap.reject(second.id, secondRequest!.id, 'No more spend on this');
    const rejected = await finished(harness, second.id);
    expect(rejected.status).toBe('failed');
    expect(rejected.budgetError).toMatchObject({ limit: 'usd' });
  });

  test('model-call and tool-call limits: tool calls past the limit are refused with a message and the model answers', async () => {
    router.enqueue(
      'Researcher.',
      scripted.toolCalls(
        [
          { id: 'a', name: 'look_up', arguments: { n: 1 } },
          { id: 'b', name: 'look_up', arguments: { n: 2 } },
          { id: 'c', name: 'look_up', arguments: { n: 3 } },
        ],
        { usage: { promptTokens: 10, completionTokens: 10 } },
      ),
      answer('Answered with two facts.', 10),
    );
    const started = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxToolCalls: 2 } });
    const task = await finished(harness, started.id);
    expect(task.status).toBe('completed');
    expect(executed).toEqual(['look_up 1', 'look_up 2']);
    expect(task.getToolCalls().find((call) => call.toolCallId === 'c')?.result).toMatch(/tool-call budget \(maxToolCalls 2\) is used up/);
    // The next call was asked to answer without tools.
    expect(harness.llm.requests[1]?.body.tool_choice).toBe('none');

    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    router.reset();
    router.enqueue('Researcher.', toolTurn(1, 10), toolTurn(2, 10), answer('never sent', 10));
    const capped = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxModelCalls: 2 } });
    const cappedTask = await finished(harness, capped.id);
    expect(cappedTask.budgetError).toMatchObject({ limit: 'modelCalls', max: 2, spent: 2 });
    expect(harness.llm.requestCount()).toBe(2);
  });

  test('continue-as-new carries the ledger: usage across runs is counted once, exactly', async () => {
    const rounds = [1, 2, 3, 4, 5, 6, 7, 8];
    router.enqueue('Researcher.', ...rounds.map((n) => toolTurn(n)), answer('Eight facts.'));
    const started = await harness.zap.executeTask({ agentName: 'Researcher', task: 'Research', budget: { maxUsd: 0.01 } });
    const task = await finished(harness, started.id);
    expect(task.status).toBe('completed');
    const runs = [];
    for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
    expect(runs.filter((run) => run.status.name === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
    // Nine calls of $0.0002, each counted once although the task ran in several runs.
    expect(harness.llm.requestCount()).toBe(9);
    expect(task.budget).toMatchObject({ spent: { usd: 0.0018, modelCalls: 9, toolCalls: 8, tokens: 9 * 500 }, estimatedUsd: 0 });
    expect(task.usage).toEqual({ promptTokens: 9 * 400, completionTokens: 9 * MAX_TOKENS });
  });

  test('through the operations surface (what the HTTP API, MCP server and CLI call): start with a budget, raise it on ask', async () => {
    const operations = new ZapOperations({ zap: harness.zap });
    router.enqueue('Researcher.', toolTurn(1), answer('Raised and done.'));
    const started = await operations.startTask(OPERATOR_PRINCIPAL, {
      agent: 'Researcher',
      message: 'Research',
      budget: { maxUsd: 0.0002, onExceeded: 'ask' },
    });
    const waiting = await waitForTask(harness.zap, started.taskId, (task) => task.status === 'awaiting_approval');
    const [request] = await waiting.getPendingApprovals();
    await expect(
      operations.decideApproval(OPERATOR_PRINCIPAL, { taskId: started.taskId, approvalId: request!.id, decision: 'approve', budget: { maxUsd: 'lots' as never } }),
    ).rejects.toThrow(ZapValidationError);
    await operations.decideApproval(OPERATOR_PRINCIPAL, { taskId: started.taskId, approvalId: request!.id, decision: 'approve', budget: { maxUsd: 0.0004 } });
    const task = await finished(harness, started.taskId);
    expect(task.result).toBe('Raised and done.');
    expect(task.budget).toMatchObject({ limits: { maxUsd: 0.0004 }, spent: { usd: 0.0004 } });
  });

  test('a USD budget for a model with no known price is refused at executeTask; bad budgets are typed errors', async () => {
    await expect(harness.zap.executeTask({ agentName: 'Unpriced', task: 'x', budget: { maxUsd: 1 } })).rejects.toThrow(ModelPriceUnknownError);
    await expect(harness.zap.executeTask({ agentName: 'Unpriced', task: 'x', budget: { maxUsd: 1 } })).rejects.toThrow(/prices/);
    await expect(harness.zap.executeTask({ agentName: 'Researcher', task: 'x', budget: { maxUsd: -1 } })).rejects.toThrow(ZapValidationError);
    await expect(harness.zap.executeTask({ agentName: 'Researcher', task: 'x', budget: { maxTokenz: 5 } as never })).rejects.toThrow(/unknown option 'maxTokenz'/);
    expect(harness.llm.requestCount()).toBe(0);
  });
});
