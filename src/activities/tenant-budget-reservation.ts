import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type InvokeModelInput } from '../core/activity-contracts';
import { toUsd, type ModelPrice } from '../core/budget';
import {
  DEFAULT_TENANT_BUDGET_ABSENCE_CACHE_MS,
  DEFAULT_TENANT_RESERVATION_MARGIN_MS,
  MAX_TENANT_BUDGET_ABSENCE_CACHE_ENTRIES,
} from '../core/defaults';
import { formatDuration } from '../core/format-duration';
import {
  MAX_TENANT_BUDGET_BATCH,
  type TenantBudgetOperation,
  type TenantBudgetOperationResult,
  type TenantReservationResult,
} from '../core/tenant-budget';
import { applyTenantBudgetOperationsUpdate, tenantBudgetWorkflowId } from '../workflows/tenant-budget-definitions';
import type { TenantBudgetRefusalDetails } from '../workflows/tenant-budget-refusal';
import type { ChatMessage, TokenUsage } from '../core/messages';
import type { FunctionToolDefinition } from '../core/tool-definition';
import { planBudgetedCall, type BudgetedCallPlan } from './model-call-budget';

/** Options of {@link TenantBudgetReservations}. */
export interface TenantBudgetReservationsOptions {
  /** The worker's Temporal client (the budget workflows are in its namespace). */
  client: Client;
  /**
   * How long a tenant seen without a budget is not asked again.
   * @default DEFAULT_TENANT_BUDGET_ABSENCE_CACHE_MS (5 seconds)
   */
  absenceCacheMs?: number;
  /**
   * Added to the call's start-to-close timeout for its reservation's time to live.
   * @default DEFAULT_TENANT_RESERVATION_MARGIN_MS (1 minute)
   */
  marginMs?: number;
}

/** One model call's reservation: settle it once with what the call cost. */
export interface TenantBudgetHold {
  /** Settles with the actual cost (0 when the call reported no usage); never throws (an unsettled reservation expires and counts at its worst case). */
  settle(nanoUsd: number): Promise<void>;
}

/** An operation waiting for its tenant's next update. */
interface PendingOperation {
  operation: TenantBudgetOperation;
  resolve(result: TenantBudgetOperationResult): void;
  reject(error: unknown): void;
}

/** What a model call reserves. */
export interface TenantReservationInput {
  tenantId: string;
  /** `<taskId>/<callIndex>/<activityId>.<attempt>`: one per attempt of a model call. */
  key: string;
  /** The call's worst case, computed only when the tenant may have a budget. */
  worstCase: () => { nanoUsd: number; promptTokensUpperBound: number };
  /** The call's start-to-close timeout. */
  callTimeoutMs: number;
  /** Reports a settle that failed (the reservation then expires and counts at its worst case). @default undefined (not reported) */
  onSettleFailed?: (error: unknown) => void;
}

/**
 * The model activity's side of tenant budgets (one per worker): before a call of a task with a
 * tenant is sent, its worst case is reserved from the tenant's budget workflow; after it, the
 * reservation is settled with what the call cost. Which tenants have a budget is not configured
 * on workers: the reservation is tried, and "workflow not found" means no budget, remembered for
 * `absenceCacheMs` (a budget set meanwhile is enforced on this worker at most that much later).
 * Tenants with a budget are never cached: every call of theirs is reserved and settled.
 *
 * A worker keeps at most one update in flight per tenant: reservations and settlements that come
 * while one is in flight go together in the next (`applyTenantBudgetOperations`), so a tenant
 * with many calls at once stays under Temporal's limit on concurrent updates of one workflow (10
 * by default; past it the server refuses and the client backs off for a second or more), and
 * one workflow task answers many calls.
 */
export class TenantBudgetReservations {
  private readonly client: Client;
  private readonly absenceCacheMs: number;
  private readonly marginMs: number;
  /** Tenants without a budget workflow, until when that answer holds. */
  private readonly absent = new Map<string, number>();
  /** Per tenant: the operations waiting for the next update, and whether one is in flight. */
  private readonly channels = new Map<string, { waiting: PendingOperation[]; sending: boolean }>();

  constructor(options: TenantBudgetReservationsOptions) {
    this.client = options.client;
    this.absenceCacheMs = options.absenceCacheMs ?? DEFAULT_TENANT_BUDGET_ABSENCE_CACHE_MS;
    this.marginMs = options.marginMs ?? DEFAULT_TENANT_RESERVATION_MARGIN_MS;
  }

  /**
   * Reserves a call's worst case. Undefined when the tenant has no budget; a refusal throws the
   * non-retryable `BUDGET_WOULD_EXCEED` failure (limit `tenantUsd`) the workflow turns into the
   * task's `BUDGET_EXCEEDED` failure.
   */
  async reserve(input: TenantReservationInput): Promise<TenantBudgetHold | undefined> {
    const { tenantId, key } = input;
    if (this.knownAbsent(tenantId)) return undefined;
    const { nanoUsd, promptTokensUpperBound } = input.worstCase();
    let answer: TenantReservationResult;
    try {
      const result = await this.apply(tenantId, { reserve: { key, nanoUsd, ttlMs: Math.ceil(input.callTimeoutMs + this.marginMs) } });
      answer = (result as { reserved: TenantReservationResult }).reserved;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        this.rememberAbsent(tenantId);
        return undefined;
      }
      throw error;
    }
    if (!answer.granted) {
      const held = answer.spentNanoUsd + answer.reservedNanoUsd;
      const details: TenantBudgetRefusalDetails = {
        limit: 'tenantUsd',
        needed: nanoUsd,
        remaining: answer.remainingNanoUsd,
        promptTokensUpperBound,
        tenantId,
        tenantMax: answer.limitNanoUsd,
        tenantHeld: held,
        windowMs: answer.windowMs,
      };
      throw ApplicationFailure.create({
        type: FailureType.BudgetWouldExceed,
        message:
          `The budget of tenant '${tenantId}' ($${toUsd(answer.limitNanoUsd)} per ${formatDuration(answer.windowMs)}) cannot hold the next model call: ` +
          `it could cost up to $${toUsd(nanoUsd)} and $${toUsd(answer.remainingNanoUsd)} is left ($${toUsd(held)} spent or held).`,
        details: [details],
        nonRetryable: true,
      });
    }
    let settled = false;
    return {
      settle: async (cost: number): Promise<void> => {
        if (settled) return;
        settled = true;
        try {
          await this.apply(tenantId, { settle: { key, nanoUsd: Math.max(0, Math.ceil(cost)) } });
        } catch (error) {
          // A budget removed meanwhile has nothing left to settle.
          if (!(error instanceof WorkflowNotFoundError)) input.onSettleFailed?.(error);
        }
      },
    };
  }

  /**
   * Whether the tenant has a budget (for a call whose price is unknown, which cannot be
   * reserved): its workflow is running. Cached like a reservation's "not found".
   */
  async hasBudget(tenantId: string): Promise<boolean> {
    if (this.knownAbsent(tenantId)) return false;
    try {
      const description = await this.client.workflow.getHandle(tenantBudgetWorkflowId(tenantId)).describe();
      if (description.status.name === 'RUNNING') return true;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    this.rememberAbsent(tenantId);
    return false;
  }

  /** Queues an operation for the tenant's next update, and sends one unless one is in flight. */
  private apply(tenantId: string, operation: TenantBudgetOperation): Promise<TenantBudgetOperationResult> {
    let channel = this.channels.get(tenantId);
    if (!channel) {
      channel = { waiting: [], sending: false };
      this.channels.set(tenantId, channel);
    }
    const result = new Promise<TenantBudgetOperationResult>((resolve, reject) => channel.waiting.push({ operation, resolve, reject }));
    if (!channel.sending) void this.send(tenantId, channel);
    return result;
  }

  private async send(tenantId: string, channel: { waiting: PendingOperation[]; sending: boolean }): Promise<void> {
    channel.sending = true;
    const handle = this.client.workflow.getHandle(tenantBudgetWorkflowId(tenantId));
    try {
      while (channel.waiting.length > 0) {
        const batch = channel.waiting.splice(0, MAX_TENANT_BUDGET_BATCH);
        try {
          const results = await handle.executeUpdate(applyTenantBudgetOperationsUpdate, { args: [batch.map((entry) => entry.operation)] });
          batch.forEach((entry, index) => {
            const answer = results[index];
            if (answer) entry.resolve(answer);
            else entry.reject(new Error(`The budget of tenant '${tenantId}' answered ${results.length} of ${batch.length} operations.`));
          });
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      channel.sending = false;
      if (channel.waiting.length === 0) this.channels.delete(tenantId);
    }
  }

  private knownAbsent(tenantId: string): boolean {
    const until = this.absent.get(tenantId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.absent.delete(tenantId);
    return false;
  }

  private rememberAbsent(tenantId: string): void {
    this.absent.delete(tenantId);
    if (this.absent.size >= MAX_TENANT_BUDGET_ABSENCE_CACHE_ENTRIES) {
      const oldest = this.absent.keys().next().value;
      if (oldest !== undefined) this.absent.delete(oldest);
    }
    this.absent.set(tenantId, Date.now() + this.absenceCacheMs);
  }
}

/** What {@link reserveForModelCall} needs to know of the call. */
export interface ModelCallReservationOptions {
  input: Pick<InvokeModelInput, 'taskId' | 'callIndex' | 'tenantId'>;
  /** The plan of a task with a budget of its own (its charge is the call's worst case); undefined otherwise. */
  plan: BudgetedCallPlan | undefined;
  messages: readonly ChatMessage[];
  tools: readonly FunctionToolDefinition[];
  maxTokens: number;
  model: string;
  price: ModelPrice | undefined;
  /** The activity attempt: its id (a budgeted task retries with a new activity), attempt number and start-to-close timeout. */
  attempt: { activityId: string; attempt: number; startToCloseTimeoutMs: number };
  /** See {@link TenantReservationInput.onSettleFailed}. @default undefined (not reported) */
  onSettleFailed?: (error: unknown) => void;
}

/**
 * Before a model call of a task with a tenant: reserves the call's worst case (the charge of
 * `planBudgetedCall`, with the task's own budget or without one) under the key
 * `<taskId>/<callIndex>/<activityId>.<attempt>`, for the call's start-to-close timeout plus a
 * margin. Undefined for a task without a tenant or a tenant without a budget. A model whose price
 * is unknown cannot be reserved for: under a tenant budget it fails the call (`MODEL_PRICE_UNKNOWN`).
 */
export async function reserveForModelCall(reservations: TenantBudgetReservations, options: ModelCallReservationOptions): Promise<TenantBudgetHold | undefined> {
  const { input, model, price } = options;
  const tenantId = input.tenantId;
  if (tenantId === undefined) return undefined;
  if (!price) {
    if (!(await reservations.hasBudget(tenantId))) return undefined;
    throw ApplicationFailure.create({
      type: FailureType.ModelPriceUnknown,
      message: `Tenant '${tenantId}' has a USD budget but the price of model '${model}' is unknown: add it to the Zap's \`prices\` ({ '${model}': { input, output } } per million tokens).`,
      details: [{ model, tenantId }],
      nonRetryable: true,
    });
  }
  return reservations.reserve({
    tenantId,
    key: `${input.taskId}/${input.callIndex}/${options.attempt.activityId}.${options.attempt.attempt}`,
    worstCase: () => {
      // Without a budget of its own the call is planned against an empty one: its whole max_tokens.
      const plan = options.plan ?? planBudgetedCall({ budget: {}, messages: options.messages, tools: options.tools, maxTokens: options.maxTokens, price, model });
      return { nanoUsd: plan.charge.nanoUsd, promptTokensUpperBound: plan.promptTokensUpperBound };
    },
    callTimeoutMs: options.attempt.startToCloseTimeoutMs,
    ...(options.onSettleFailed ? { onSettleFailed: options.onSettleFailed } : {}),
  });
}

/**
 * Awaits a model call and settles its reservation (when there is one) with what the call cost:
 * its reported usage at the model's price, or 0 when it failed without reporting any.
 */
export async function settleAfterCall<T extends { usage: TokenUsage }>(
  hold: TenantBudgetHold | undefined,
  call: Promise<T>,
  costOf: (usage: TokenUsage) => number,
): Promise<T> {
  if (!hold) return call;
  let result: T;
  try {
    result = await call;
  } catch (error) {
    await hold.settle(0);
    throw error;
  }
  await hold.settle(costOf(result.usage));
  return result;
}
