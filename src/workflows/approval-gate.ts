import { ApplicationFailure, condition, setHandler, uuid4 } from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import type { ApprovalRequest } from '../core/approval-request';
import { formatDuration } from '../core/format-duration';
import type { ApprovalDecision, ApprovalRecord } from '../core/task-state';
import { decideApprovalUpdate, type DecideApprovalInput, type DecideApprovalResult } from './definitions';

/**
 * Human approvals of one task. Any number may be pending at once (one model turn can call several
 * gated tools); each waits on its own durable timer. Decisions arrive as updates.
 */
export class ApprovalGate {
  private readonly records: ApprovalRecord[];

  constructor(records: ApprovalRecord[] = []) {
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

  /** Creates a request and waits for its decision or its timeout. */
  async waitForDecision(
    request: Omit<ApprovalRequest, 'id' | 'requestedAt' | 'timeoutAt'>,
    timeoutMs: number,
    onRequested: (request: ApprovalRequest) => void,
  ): Promise<{ request: ApprovalRequest; decision: ApprovalDecision }> {
    const now = Date.now();
    const full: ApprovalRequest = {
      ...request,
      id: uuid4(),
      requestedAt: new Date(now).toISOString(),
      timeoutAt: new Date(now + timeoutMs).toISOString(),
    };
    const record: ApprovalRecord = { request: full };
    this.records.push(record);
    onRequested(full);
    const decided = await condition(() => record.decision !== undefined, timeoutMs);
    if (!decided) {
      record.decision = {
        decision: 'timed_out',
        reason: `no decision within ${formatDuration(timeoutMs)}`,
        decidedAt: new Date().toISOString(),
      };
    }
    return { request: full, decision: record.decision as ApprovalDecision };
  }

  /** Update validator: refuses unknown ids before the update is recorded. */
  validate(input: DecideApprovalInput): void {
    if (!input || typeof input.approvalId !== 'string' || typeof input.approved !== 'boolean') {
      throw ApplicationFailure.create({ type: FailureType.InvalidDecision, message: 'A decision needs approvalId and approved.', nonRetryable: true });
    }
    if (!this.find(input.approvalId)) {
      throw ApplicationFailure.create({
        type: FailureType.ApprovalNotFound,
        message: `Approval '${input.approvalId}' is not known to this task.`,
        nonRetryable: true,
      });
    }
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
    };
    return { approvalId: input.approvalId, decision: record.decision.decision, alreadyDecided: false };
  }

  private find(approvalId: string): ApprovalRecord | undefined {
    return this.records.find((record) => record.request.id === approvalId);
  }
}

/**
 * Answers `decideApprovalUpdate` from `approvals` (its validator refuses unknown ids and malformed
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
}
