import { ApplicationFailure } from '@temporalio/common';
import { planBudgetedCall, promptTokensUpperBound } from '../../src/activities/model-call-budget';
import {
  compileBudget,
  costOfUsage,
  initialBudgetState,
  mergeBudgetSpecs,
  reconcileChild,
  remainingOf,
  reserveForChild,
} from '../../src/core/budget';
import { ZapValidationError } from '../../src/core/errors';
import type { ChatMessage } from '../../src/core/messages';
import { initialTaskState, upgradeWorkflowInput, type AgentWorkflowInput } from '../../src/core/task-state';
import { ModelPrices } from '../../src/llm/model-prices';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You research.' },
  { role: 'user', content: 'Compare vendors.' },
];

describe('budget options', () => {
  test('compile to integer nano-dollars and counts; bad values are typed errors naming the option', () => {
    expect(compileBudget({ maxUsd: 0.5, maxTokens: 1000, onExceeded: 'ask', askTimeout: '2 days' }, 'budget')).toEqual({
      limits: { nanoUsd: 500_000_000, tokens: 1000 },
      onExceeded: 'ask',
      askTimeoutMs: 172_800_000,
    });
    expect(() => compileBudget({ maxUsd: Number.NaN }, 'budget')).toThrow(ZapValidationError);
    expect(() => compileBudget({ maxModelCalls: 1.5 }, 'budget')).toThrow(/budget\.maxModelCalls must be a non-negative integer/);
    expect(() => compileBudget({ onExceeded: 'pray' as never }, 'budget')).toThrow(/'fail' or 'ask'/);
    expect(() => compileBudget({ askTimeout: 'soon' }, 'budget')).toThrow(/askTimeout/);
    expect(() => compileBudget([] as never, 'budget')).toThrow(/must be an object/);
  });

  test("a task's limits replace the agent's one by one", () => {
    const agent = compileBudget({ maxUsd: 1, maxToolCalls: 10 }, 'agent');
    const task = compileBudget({ maxUsd: 0.2 }, 'task');
    expect(mergeBudgetSpecs(agent, task)?.limits).toEqual({ nanoUsd: 200_000_000, toolCalls: 10 });
    expect(mergeBudgetSpecs(undefined, task)).toBe(task);
  });

  test('cost is rounded up to the nano-dollar, cached prompt tokens at their own price', () => {
    expect(costOfUsage({ promptTokens: 1000, completionTokens: 100 }, { input: 2.5, output: 10 })).toBe(3_500_000);
    expect(costOfUsage({ promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 800 }, { input: 2.5, output: 10, cachedInput: 1.25 })).toBe(1_500_000);
    expect(costOfUsage({ promptTokens: 1, completionTokens: 0 }, { input: 0.0001, output: 0 })).toBe(1);
  });
});

describe('reservations', () => {
  test('siblings of one turn share what is left equally; reconciling adds what each spent and releases the rest', () => {
    const ledger = initialBudgetState(compileBudget({ maxUsd: 0.009 }, 'budget'));
    const limits = [1, 2, 3].map((n, index) => reserveForChild(ledger, `child-${n}`, 3 - index, undefined));
    expect(limits.map((limit) => limit.nanoUsd)).toEqual([3_000_000, 3_000_000, 3_000_000]);
    expect(remainingOf(ledger).nanoUsd).toBe(0);
    const spent = { nanoUsd: 1_000_000, tokens: 10, modelCalls: 1, toolCalls: 0 };
    reconcileChild(ledger, 'child-1', spent, undefined);
    // A child that never reported counts its whole reservation.
    reconcileChild(ledger, 'child-2', undefined, undefined);
    expect(ledger.spent.nanoUsd).toBe(4_000_000);
    expect(remainingOf(ledger).nanoUsd).toBe(2_000_000);
    // A later report of child-1 adds only what it spent since.
    reconcileChild(ledger, 'child-1', { ...spent, nanoUsd: 1_500_000 }, spent);
    expect(ledger.spent.nanoUsd).toBe(4_500_000);
  });
});

describe('planBudgetedCall', () => {
  const price = { input: 1, output: 2 };

  test('bounds the prompt by the previous call plus the bytes added since, else by the whole request', () => {
    const previous = { promptTokens: 500, completionTokens: 50, messageCount: 2 };
    const grown: ChatMessage[] = [...CONVERSATION, { role: 'assistant', content: 'Done.' }];
    const added = Buffer.byteLength(JSON.stringify(grown[2])) + 16;
    expect(promptTokensUpperBound(grown, [], previous)).toBe(500 + added);
    expect(promptTokensUpperBound(CONVERSATION, [], undefined)).toBeGreaterThan(Buffer.byteLength(JSON.stringify(CONVERSATION)));
  });

  test("lowers max_tokens to what is left, refuses below the floor, and refuses a USD budget without a price", () => {
    const plan = planBudgetedCall({ budget: { remainingNanoUsd: 1_000_000 }, messages: CONVERSATION, tools: [], maxTokens: 4096, price, model: 'm' });
    const prompt = plan.promptTokensUpperBound;
    expect(plan.maxTokens).toBe(Math.floor((1_000_000 - prompt * 1000) / 2000));
    expect(plan.charge.nanoUsd).toBeLessThanOrEqual(1_000_000);
    expect(plan.charge.tokens).toBe(prompt + plan.maxTokens);

    const refusal = (() => {
      try {
        planBudgetedCall({ budget: { remainingNanoUsd: prompt * 1000 + 10 * 2000 }, messages: CONVERSATION, tools: [], maxTokens: 4096, price, model: 'm' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    expect(refusal).toMatchObject({ type: 'BUDGET_WOULD_EXCEED', nonRetryable: true });
    expect((refusal as ApplicationFailure).details?.[0]).toMatchObject({ limit: 'usd', promptTokensUpperBound: prompt });

    expect(() => planBudgetedCall({ budget: { remainingTokens: prompt + 10 }, messages: CONVERSATION, tools: [], maxTokens: 4096, price: undefined, model: 'm' })).toThrow(
      /could use up to/,
    );
    expect(() => planBudgetedCall({ budget: { remainingNanoUsd: 1 }, messages: CONVERSATION, tools: [], maxTokens: 4096, price: undefined, model: 'm' })).toThrow(
      /price of model 'm' is unknown/,
    );
  });
});

describe('ModelPrices', () => {
  test('overrides first, then the bundled price data (provider prefixes stripped); unknown models have none', () => {
    const prices = new ModelPrices({ 'my-model': { input: 0.5, output: 1.5 } });
    expect(prices.resolve('my-model')).toEqual({ model: 'my-model', input: 0.5, output: 1.5, source: 'override' });
    expect(prices.resolve('gpt-4o')).toMatchObject({ input: 2.5, output: 10, cachedInput: 1.25, source: 'genai-prices' });
    expect(prices.resolve('openai/gpt-4o')).toMatchObject({ model: 'openai/gpt-4o', input: 2.5, output: 10 });
    // Tiered prices count at their highest tier.
    expect(prices.resolve('gemini-2.5-pro')).toMatchObject({ input: 2.5, output: 15 });
    expect(prices.resolve('model-nobody-prices')).toBeUndefined();
    expect(prices.costNanoUsd('model-nobody-prices', { promptTokens: 1, completionTokens: 1 })).toBeUndefined();
    expect(() => new ModelPrices({ bad: { input: -1, output: 1 } })).toThrow(/prices\['bad'\]\.input/);
  });
});

describe('budget state upgrade', () => {
  test('a budgeted task continued from a run without a ledger gets a fresh one; unbudgeted tasks get none', () => {
    const base = { taskId: 't', message: 'hi', agent: { agentName: 'A', systemPrompt: 's' }, createdAt: new Date(0).toISOString() } as unknown as AgentWorkflowInput;
    const carried = initialTaskState(upgradeWorkflowInput(base));
    delete (carried as { budget?: unknown }).budget;
    delete (carried as { costNanoUsd?: unknown }).costNanoUsd;
    const budgeted = upgradeWorkflowInput({ ...base, budget: compileBudget({ maxUsd: 1 }, 'budget'), carried });
    expect(budgeted.carried?.budget).toEqual(initialBudgetState(compileBudget({ maxUsd: 1 }, 'budget')));
    expect(budgeted.carried?.costNanoUsd).toBe(0);
    const plain = upgradeWorkflowInput({ ...base, carried });
    expect(plain.carried?.budget).toBeUndefined();
  });
});
