import { z } from 'zod';
import { ZapAgent, type Task } from '../../src';
import { pipeline } from '../../src/pipelines';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * A parent's budget shared with sub-agents it messages in parallel: before each child starts,
 * the parent reserves a share of what is left (the calls of one turn share it equally), the
 * child's budget is that share, and the parent reconciles with what the child reports. Prices as
 * in budgets.test.ts: prompts free, $2 per million completion tokens; every call reports 100
 * completion tokens (its worst case): $0.0002 a call.
 */

const router = new AgentRouter();
const twoSteps = pipeline('two-steps', { input: z.object({ topic: z.string() }) })
  .step('first', { agent: 'Helper', input: (ctx) => `First on ${ctx.workflow.input.topic}` })
  .step('second', { agent: 'Helper', input: (ctx) => `Second after: ${ctx.prev.first}` });
const usage = { promptTokens: 300, completionTokens: 100 };

function delegateToThree() {
  return scripted.toolCalls(
    [1, 2, 3].map((n) => ({ id: `ask_${n}`, name: 'message_agent', arguments: { agent_name: 'Helper', message: `Part ${n}` } })),
    { usage },
  );
}

async function finished(harness: Harness, taskId: string): Promise<Task> {
  return waitForTask(harness.zap, taskId, (task) => task.status === 'completed' || task.status === 'failed');
}

describe('budgets shared with sub-agents', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Lead', prompt: 'Lead agent.', model: 'scripted-model', maxTokens: 100, subAgents: ['Helper'] }),
        new ZapAgent({ name: 'Helper', prompt: 'Helper agent.', model: 'scripted-model', maxTokens: 100 }),
      ],
      llm: { handler: router.handler },
      zap: { prices: { 'scripted-model': { input: 0, output: 2 } }, pipelines: [twoSteps] },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.reset();
    harness.llm.setHandler(router.handler);
  });

  test('a parent and three parallel sub-agents spend exactly the cap, never more', async () => {
    router.enqueue('Lead agent.', delegateToThree(), scripted.text('never sent', { usage }));
    router.enqueue('Helper agent.', ...[1, 2, 3].map((n) => scripted.text(`Answer ${n}`, { usage })));
    // $0.0008: the parent's first call ($0.0002), then $0.0006 shared by three children ($0.0002 each, exactly their worst case).
    const started = await harness.zap.executeTask({ agentName: 'Lead', task: 'Split the work', budget: { maxUsd: 0.0008 } });
    const task = await finished(harness, started.id);
    expect(harness.llm.requestCount()).toBe(4);
    expect(task.status).toBe('failed');
    expect(task.budgetError).toMatchObject({ limit: 'usd', max: 0.0008, spent: 0.0008 });
    expect(task.budget).toMatchObject({ spent: { usd: 0.0008, modelCalls: 4 }, reserved: { usd: 0 } });
    const children = await Promise.all(task.subTasks.map((id) => harness.zap.getTask(id)));
    expect(children.map((child) => child.status)).toEqual(['completed', 'completed', 'completed']);
    for (const child of children) expect(child.budget).toMatchObject({ limits: { maxUsd: 0.0002 }, spent: { usd: 0.0002 } });
  });

  test('shares too small for a call are refused in the children: nothing is overspent and the parent still answers', async () => {
    router.enqueue('Lead agent.', delegateToThree(), scripted.text('Did it myself.', { usage }));
    // $0.00056: $0.00036 left after the first call, $0.00012 a child: room for 60 completion tokens, under the
    // 64-token floor of a call, so no child calls the model.
    const started = await harness.zap.executeTask({ agentName: 'Lead', task: 'Split the work', budget: { maxUsd: 0.00056 } });
    const task = await finished(harness, started.id);
    expect(task.status).toBe('completed');
    expect(task.result).toBe('Did it myself.');
    // Only the parent's two calls reached the model; each child failed on its budget before calling it.
    expect(harness.llm.requestCount()).toBe(2);
    const children = await Promise.all(task.subTasks.map((id) => harness.zap.getTask(id)));
    expect(children.map((child) => child.budgetError?.limit)).toEqual(['usd', 'usd', 'usd']);
    expect(task.budget).toMatchObject({ spent: { usd: 0.0004, modelCalls: 2 }, reserved: { usd: 0 } });
    const delegated = task.getToolCalls().filter((call) => call.name === 'message_agent');
    expect(delegated.every((call) => /budget/i.test(call.result ?? ''))).toBe(true);
  });

  test("a pipeline run's budget: each step's task gets what is left, the run adds what it spent", async () => {
    router.enqueue('Helper agent.', scripted.text('one', { usage }), scripted.text('two', { usage }));
    // $0.0003: the first step spends $0.0002, the second gets $0.0001 (under a call's 64-token floor) and fails on it.
    const started = await harness.zap.startPipeline('two-steps', { topic: 'budgets' }, { budget: { maxUsd: 0.0003 } });
    let run = started;
    for (let attempt = 0; attempt < 300 && !run.isComplete(); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await harness.zap.getPipelineRun(started.id);
    }
    expect(run.status).toBe('error');
    expect(run.failedStep).toBe('second');
    expect(run.error?.message).toMatch(/budget/);
    expect(harness.llm.requestCount()).toBe(1);
    expect(run.budget).toMatchObject({ limits: { maxUsd: 0.0003 }, spent: { usd: 0.0002, modelCalls: 1 }, reserved: { usd: 0 } });
    const second = await harness.zap.getTask(run.step('second')!.taskId!);
    expect(second.budget).toMatchObject({ limits: { maxUsd: 0.0001 } });
  });
});
