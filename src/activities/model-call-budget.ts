import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type ModelCallBudget } from '../core/activity-contracts';
import { MIN_BUDGET_COMPLETION_TOKENS, toUsd, type ModelPrice } from '../core/budget';
import { utf8ByteLength } from '../core/message-pages';
import type { ChatMessage } from '../core/messages';
import type { FunctionToolDefinition } from '../core/tool-definition';

/**
 * Tokens allowed per message on top of its text, for the chat format's role and separators (a
 * few tokens in every tokenizer in use; generous, so the bound holds).
 */
const MESSAGE_OVERHEAD_TOKENS = 16;
/** Tokens allowed per image part (a high-detail image is at most about 1,600 tokens with current models). */
const IMAGE_TOKEN_ALLOWANCE = 2_500;

/** What a budgeted model call may do: its `max_tokens`, and the worst case it is charged at if its outcome is lost. */
export interface BudgetedCallPlan {
  maxTokens: number;
  promptTokensUpperBound: number;
  /** The call's worst case: what it is charged when its usage is never reported. */
  charge: { nanoUsd: number; tokens: number };
}

/**
 * Checks one model call of a budgeted task before it is sent: a bound on its prompt tokens (the
 * previous call's reported prompt plus the bytes of what was added since, or for a first call the
 * bytes of the whole request: a token is at least one byte of UTF-8 text), plus its completion
 * tokens, must fit what is left. When the agent's `maxTokens` does not fit, the call's
 * `max_tokens` is lowered to what does (at least {@link MIN_BUDGET_COMPLETION_TOKENS}); below that,
 * the call is refused (`BUDGET_WOULD_EXCEED`, never retried) and the workflow applies the task's
 * policy. Nothing is sent to the provider before this passes, so a cap is never exceeded.
 */
export function planBudgetedCall(options: {
  budget: ModelCallBudget;
  messages: readonly ChatMessage[];
  tools: readonly FunctionToolDefinition[];
  maxTokens: number;
  price: ModelPrice | undefined;
  model: string;
}): BudgetedCallPlan {
  const { budget, messages, tools, maxTokens, price, model } = options;
  if (budget.remainingNanoUsd !== undefined && !price) {
    throw ApplicationFailure.create({
      type: FailureType.ModelPriceUnknown,
      message: `The task has a USD budget but the price of model '${model}' is unknown: add it to the Zap's \`prices\` ({ '${model}': { input, output } } per million tokens).`,
      details: [{ model }],
      nonRetryable: true,
    });
  }
  const prompt = promptTokensUpperBound(messages, tools, budget.previous);
  const inputNano = (price?.input ?? 0) * 1000;
  const outputNano = (price?.output ?? 0) * 1000;
  const byUsd =
    budget.remainingNanoUsd === undefined || outputNano === 0
      ? Number.POSITIVE_INFINITY
      : Math.floor((budget.remainingNanoUsd - Math.ceil(prompt * inputNano)) / outputNano);
  const byTokens = budget.remainingTokens === undefined ? Number.POSITIVE_INFINITY : budget.remainingTokens - prompt;
  const promptFitsUsd = budget.remainingNanoUsd === undefined || Math.ceil(prompt * inputNano) <= budget.remainingNanoUsd;
  const allowed = Math.min(maxTokens, byUsd, byTokens);
  const floor = Math.min(MIN_BUDGET_COMPLETION_TOKENS, maxTokens);
  if (allowed < floor || !promptFitsUsd) {
    const usdBinds = !promptFitsUsd || byUsd < floor;
    const neededNano = Math.ceil(prompt * inputNano + floor * outputNano);
    const details = usdBinds
      ? { limit: 'usd', needed: neededNano, remaining: budget.remainingNanoUsd ?? 0, promptTokensUpperBound: prompt }
      : { limit: 'tokens', needed: prompt + floor, remaining: budget.remainingTokens ?? 0, promptTokensUpperBound: prompt };
    throw ApplicationFailure.create({
      type: FailureType.BudgetWouldExceed,
      message: usdBinds
        ? `The next model call could cost up to $${toUsd(neededNano)} (prompt of at most ${prompt} tokens, at least ${floor} completion tokens); $${toUsd(budget.remainingNanoUsd ?? 0)} is left.`
        : `The next model call could use up to ${prompt + floor} tokens (prompt of at most ${prompt}, at least ${floor} completion); ${budget.remainingTokens ?? 0} are left.`,
      details: [details],
      nonRetryable: true,
    });
  }
  return {
    maxTokens: allowed,
    promptTokensUpperBound: prompt,
    charge: { nanoUsd: Math.ceil(prompt * inputNano + allowed * outputNano), tokens: prompt + allowed },
  };
}

/** An upper bound on the prompt tokens of a request (see {@link planBudgetedCall}). */
export function promptTokensUpperBound(
  messages: readonly ChatMessage[],
  tools: readonly FunctionToolDefinition[],
  previous: ModelCallBudget['previous'],
): number {
  if (previous && previous.promptTokens > 0 && previous.messageCount <= messages.length) {
    return previous.promptTokens + boundOf(messages.slice(previous.messageCount));
  }
  return boundOf(messages) + utf8ByteLength(JSON.stringify(tools));
}

function boundOf(messages: readonly ChatMessage[]): number {
  let tokens = 0;
  for (const message of messages) {
    tokens += utf8ByteLength(JSON.stringify(message)) + MESSAGE_OVERHEAD_TOKENS;
    const content = (message as { content?: unknown }).content;
    if (Array.isArray(content)) tokens += content.filter((part) => (part as { type?: string })?.type === 'image_url').length * IMAGE_TOKEN_ALLOWANCE;
  }
  return tokens;
}
