import { ApplicationFailure, condition, setHandler, uuid4 } from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import type { ApprovalRequest, ApprovalTimeoutPolicy } from '../core/approval-request';
import { compileBudget, NANO_USD_PER_USD, type TaskBudget } from '../core/budget';
import { formatDuration } from '../core/format-duration';
import type { ApprovalDecision, ApprovalRecord } from '../core/task-state';
import {
  decideApprovalsUpdate,
  decideApprovalUpdate,
  type DecideApprovalInput,
  type DecideApprovalResult,
  type DecideApprovalsInput,
  type DecideApprovalsResult,
} from './definitions';
import { Patch } from './patches';
import type { RunPatches } from './run-patches';

/** Who an automatic approval by the timeout policy is recorded as (`decidedBy`). */
export const TIMEOUT_POLICY_DECIDER = 'zap:timeout-policy';

/** What a wait does at its timeout (from the task's approval rules). */
export interface ApprovalTimeoutHandling {
  /** @default 'reject' */
  onTimeout?: ApprovalTimeoutPolicy;
  /** With `escalate`: the second wait and what follows it. @default the first timeout again, then `reject` */
  escalation?: { timeoutMs: number; then: Exclude<ApprovalTimeoutPolicy, 'escalate'> };
  /** Called when the approval is escalated (emit the event, which runs the hook). */
  onEscalated?: (request: ApprovalRequest) => void;
}

/**
 * Human approvals of one task. Any number may be pending at once (one model turn can call several
 * gated tools); each waits on its own durable timer. Decisions arrive as updates.
 */
export class ApprovalGate {
  private readonly records: ApprovalRecord[];

  constructor(
    private readonly patches: RunPatches,
    records: ApprovalRecord[] = [],
  ) {
    this.records = records;
  }

  /** Requests still waiting for a decision. */
  pending(): ApprovalRequest[] {
    return this.records.filter((record) => !record.decision).map((record) => record.request);
  }

  /** Every approval of the task with its decision (the approval log). */
  all(): ApprovalRecord[] {
    return this.records;
  }

  /**
   * Creates a request and waits for its decision or its timeout; then `timeout.onTimeout` applies
   * (absent: `reject`, recorded as `timed_out`). `approve` records an automatic approval, `fail`
   * records `timed_out` and throws `APPROVAL_TIMED_OUT`, `escalate` calls `onEscalated` with the
   * request (now carrying `escalatedAt` and its new `timeoutAt`) and waits once more, then applies
   * `escalation.then`. Policies other than `reject` are behind `Patch.ApprovalTimeoutPolicies`.
   */
  async waitForDecision(
    request: Omit<ApprovalRequest, 'id' | 'requestedAt' | 'timeoutAt'>,
    timeoutMs: number,
    onRequested: (request: ApprovalRequest) => void,
    timeout: ApprovalTimeoutHandling = {},
  ): Promise<{ request: ApprovalRequest; decision: ApprovalDecision }> {
    const now = Date.now();
    const onTimeout = timeout.onTimeout ?? 'reject';
    const full: ApprovalRequest = {
      ...request,
      ...(onTimeout !== 'reject' ? { onTimeout } : {}),
      id: uuid4(),
      requestedAt: new Date(now).toISOString(),
      timeoutAt: new Date(now + timeoutMs).toISOString(),
    };
    const record: ApprovalRecord = { request: full };
    this.records.push(record);
    onRequested(full);
    if (await condition(() => record.decision !== undefined, timeoutMs)) {
      return { request: full, decision: record.decision as ApprovalDecision };
    }
    let waitedMs = timeoutMs;
    let policy: ApprovalTimeoutPolicy = onTimeout !== 'reject' && this.patches.has(Patch.ApprovalTimeoutPolicies) ? onTimeout : 'reject';
    if (policy === 'escalate') {
      const escalation = timeout.escalation ?? { timeoutMs, then: 'reject' as const };
      const escalatedAt = Date.now();
      full.escalatedAt = new Date(escalatedAt).toISOString();
      full.timeoutAt = new Date(escalatedAt + escalation.timeoutMs).toISOString();
      timeout.onEscalated?.(full);
      if (await condition(() => record.decision !== undefined, escalation.timeoutMs)) {
        return { request: full, decision: record.decision as ApprovalDecision };
      }
      waitedMs += escalation.timeoutMs;
      policy = escalation.then;
    }
    const within = `no decision within ${formatDuration(waitedMs)}${full.escalatedAt ? ' (escalated once)' : ''}`;
    if (policy === 'approve') {
      record.decision = { decision: 'approved', reason: `${within}; approved by the timeout policy`, decidedBy: TIMEOUT_POLICY_DECIDER, decidedAt: new Date().toISOString() };
      return { request: full, decision: record.decision };
    }
    record.decision = { decision: 'timed_out', reason: within, decidedAt: new Date().toISOString() };
    if (policy === 'fail') {
      throw ApplicationFailure.create({
        type: FailureType.ApprovalTimedOut,
        message: `Approval '${full.id}' of ${full.toolName} got ${within}; its rules say the task fails then (onTimeout: 'fail').`,
        details: [{ approvalId: full.id, toolName: full.toolName, waitedMs, taskId: full.taskId, escalated: full.escalatedAt !== undefined }],
        nonRetryable: true,
      });
    }
    return { request: full, decision: record.decision };
  }

  /** Update validator: refuses unknown ids before the update is recorded. */
  validate(input: DecideApprovalInput): void {
    if (!input || typeof input.approvalId !== 'string' || typeof input.approved !== 'boolean') {
      throw ApplicationFailure.create({ type: FailureType.InvalidDecision, message: 'A decision needs approvalId and approved.', nonRetryable: true });
    }
    const record = this.find(input.approvalId);
    if (!record) {
      throw ApplicationFailure.create({
        type: FailureType.ApprovalNotFound,
        message: `Approval '${input.approvalId}' is not known to this task.`,
        nonRetryable: true,
      });
    }
    if (record.request.kind === 'budget' && input.approved && !record.decision) validateBudgetRaise(input.budget, record.request);
  }

  /** Records a decision; a second decision on the same approval changes nothing. */
  decide(input: DecideApprovalInput): DecideApprovalResult {
    const record = this.find(input.approvalId) as ApprovalRecord;
    if (record.decision) {
      return { approvalId: input.approvalId, decision: record.decision.decision, alreadyDecided: true };
    }
    record.decision = {
      decision: input.approved ? 'approved' : 'rejected',
      reason: input.reason,
      decidedBy: input.decidedBy,
      decidedAt: new Date().toISOString(),
      ...(input.approved && input.budget ? { raisedBudget: input.budget } : {}),
    };
    return { approvalId: input.approvalId, decision: record.decision.decision, alreadyDecided: false };
  }

  /**
   * Batch validator: every decision must be well formed and every id known, or the whole batch is
   * refused (`APPROVAL_NOT_FOUND` lists the unknown ids in its details) before anything is applied.
   */
  validateBatch(input: DecideApprovalsInput): void {
    const decisions = input?.decisions;
    const ids = decisions && typeof decisions === 'object' && !Array.isArray(decisions) ? Object.keys(decisions) : [];
    if (ids.length === 0) {
      throw ApplicationFailure.create({ type: FailureType.InvalidDecision, message: 'A batch needs at least one decision.', nonRetryable: true });
    }
    const malformed = ids.filter((id) => {
      const entry = (decisions as Record<string, unknown>)[id] as { decision?: unknown; reason?: unknown } | null;
      return !entry || (entry.decision !== 'approve' && entry.decision !== 'reject') || (entry.reason !== undefined && typeof entry.reason !== 'string');
    });
    if (malformed.length > 0) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidDecision,
        message: `Decisions for ${malformed.map((id) => `'${id}'`).join(', ')} need decision 'approve' or 'reject' (and a string reason, if any).`,
        details: [{ approvalIds: malformed }],
        nonRetryable: true,
      });
    }
    const unknown = ids.filter((id) => !this.find(id));
    if (unknown.length > 0) {
      throw ApplicationFailure.create({
        type: FailureType.ApprovalNotFound,
        message: `Approval${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `'${id}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not known to this task; no decision of the batch was applied.`,
        details: [{ approvalIds: unknown }],
        nonRetryable: true,
      });
    }
  }

  /** Applies a validated batch; already-decided approvals keep their decision. */
  decideBatch(input: DecideApprovalsInput): DecideApprovalsResult {
    return {
      results: Object.entries(input.decisions).map(([approvalId, entry]) =>
        this.decide({ approvalId, approved: entry.decision === 'approve', reason: entry.reason, decidedBy: input.decidedBy }),
      ),
    };
  }

  private find(approvalId: string): ApprovalRecord | undefined {
    return this.records.find((record) => record.request.id === approvalId);
  }
}

/**
 * Answers `decideApprovalUpdate` and the batch `decideApprovalsUpdate` from `approvals` (its validator refuses unknown ids and malformed
 * decisions before anything is recorded); `markUpdated` runs when a decision changed something.
 * Tasks and pipeline runs register it alike.
 */
export function registerApprovalDecisions(approvals: ApprovalGate, markUpdated: () => void): void {
  setHandler(
    decideApprovalUpdate,
    (decision) => {
      const result = approvals.decide(decision);
      if (!result.alreadyDecided) markUpdated();
      return result;
    },
    { validator: (decision) => approvals.validate(decision) },
  );
  setHandler(
    decideApprovalsUpdate,
    (batch) => {
      const result = approvals.decideBatch(batch);
      if (result.results.some((entry) => !entry.alreadyDecided)) markUpdated();
      return result;
    },
    { validator: (batch) => approvals.validateBatch(batch) },
  );
}

/**
 * The approval of a budget request must carry new limits, valid and above what is spent of the
 * limit that was reached; refused by the update's validator before anything is recorded.
 */
function validateBudgetRaise(raise: DecideApprovalInput['budget'], request: ApprovalRequest): void {
  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ type: FailureType.InvalidDecision, message, nonRetryable: true });
  };
  if (!raise || typeof raise !== 'object') refuse('Approving a budget request needs new limits: approve(id, { budget: { maxUsd: 2 } }).');
  let compiled;
  try {
    compiled = compileBudget(raise as TaskBudget, 'budget');
  } catch (error) {
    return refuse(error instanceof Error ? error.message : String(error));
  }
  const info = request.budget;
  if (!info) return;
  const checks: Array<[boolean, string]> = [
    [info.limit === 'usd' && (compiled.limits.nanoUsd === undefined || compiled.limits.nanoUsd <= Math.round(info.spentUsd * NANO_USD_PER_USD)), `maxUsd above the $${info.spentUsd} spent`],
    [info.limit === 'tokens' && (compiled.limits.tokens === undefined || compiled.limits.tokens <= info.spentTokens), `maxTokens above the ${info.spentTokens} spent`],
    [info.limit === 'modelCalls' && (compiled.limits.modelCalls === undefined || compiled.limits.modelCalls <= info.modelCalls), `maxModelCalls above the ${info.modelCalls} made`],
  ];
  for (const [failed, what] of checks) if (failed) refuse(`Approving this budget request needs ${what}.`);
}
