import type { ApprovalRequest } from '../core/approval-request';
import { ApprovalNotFoundError, PermissionDeniedError } from '../core/errors';
import type { TaskStatusSnapshot } from '../core/task-snapshot';
import type { TaskScope } from './task-scope';

/** Who decides an approval, as the Zap's `authorize` hook sees them. */
export interface Approver {
  /**
   * Who decides: `approvedBy` / `rejectedBy` / `decidedBy` of an SDK call; on the operations
   * surface (CLI, HTTP, MCP) the principal's user, else its tenant. Undefined when the call names
   * no one.
   */
  id?: string;
  /**
   * What the approver may do, as your application names it. The operations surface passes the
   * principal's roles (`read`, `start`, `approve`).
   * @default undefined
   */
  roles?: readonly string[];
  /** The tenant the approver acts for (the call's scope, or the principal's tenant). @default undefined */
  tenantId?: string;
}

/** One decision the `authorize` hook is asked about. */
export interface ApprovalAuthorizationRequest {
  /** The task the decision is sent to (a pipeline run for a gate). */
  taskId: string;
  decision: 'approve' | 'reject';
  /** The reason that comes with the decision, if any. */
  reason?: string;
  /**
   * The pending approval, as the task reports it: `toolName`, `toolArgs`, `summary`, `agentName`,
   * the `taskId` whose call waits, `kind` (`gate` for a pipeline gate, `stuck` for an escalation).
   */
  approval: ApprovalRequest;
}

/**
 * Decides whether `approver` may make `decision`: anything but `true` refuses it. Runs in the
 * client process before the decision is sent; a hook that throws fails the call with its error.
 */
export type ApprovalAuthorizer = (decision: ApprovalAuthorizationRequest, approver: Approver) => boolean | Promise<boolean>;

/** A decision about to be sent, as the authorization step sees it. */
export interface PendingDecision {
  approvalId: string;
  decision: 'approve' | 'reject';
  reason?: string;
}

/** What {@link authorizeDecisions} needs. */
export interface AuthorizeDecisionsInput {
  authorize: ApprovalAuthorizer;
  taskId: string;
  decisions: readonly PendingDecision[];
  approver: Approver;
  /** One cheap status read of the task (its pending approvals and approval log). */
  readStatus: () => Promise<TaskStatusSnapshot>;
}

/**
 * Asks `authorize` about every decision before any is sent, with the full pending request. An
 * id the task does not know is `ApprovalNotFoundError` (all unknown ids; nothing is sent, so no
 * approval can appear between this check and the decision); one refusal refuses them all with
 * `PermissionDeniedError` naming every refused id. An approval already decided is not asked
 * about: deciding it again changes nothing.
 */
export async function authorizeDecisions(input: AuthorizeDecisionsInput): Promise<void> {
  const { authorize, taskId, decisions, approver } = input;
  const status = await input.readStatus();
  const pending = new Map(status.pendingApprovals.map((approval) => [approval.id, approval]));
  const logged = new Set(status.approvals.map((approval) => approval.id));
  const unknown = decisions.filter(({ approvalId }) => !pending.has(approvalId) && !logged.has(approvalId)).map(({ approvalId }) => approvalId);
  if (unknown.length > 0) throw new ApprovalNotFoundError({ approvalIds: unknown as [string, ...string[]], taskId });

  const verdicts = await Promise.all(
    decisions.flatMap(({ approvalId, decision, reason }) => {
      const approval = pending.get(approvalId);
      if (!approval) return [];
      const request: ApprovalAuthorizationRequest = { taskId, decision, ...(reason !== undefined ? { reason } : {}), approval };
      return [Promise.resolve(authorize(request, approver)).then((allowed) => ({ approvalId, allowed: allowed === true }))];
    }),
  );
  const refused = verdicts.filter((verdict) => !verdict.allowed).map((verdict) => verdict.approvalId);
  if (refused.length === 0) return;
  const who = approver.id !== undefined ? `'${approver.id}'` : 'An approver without an id';
  const which = refused.length === 1 ? `approval '${refused[0]}'` : `approvals ${refused.map((id) => `'${id}'`).join(', ')}`;
  throw new PermissionDeniedError({
    operation: 'decide approvals',
    taskId,
    approvalIds: refused,
    message: `${who} may not decide ${which} of task '${taskId}' (refused by the Zap's authorize hook); no decision was sent.`,
  });
}

/** The approver of an SDK call that names none: who it is recorded as decided by, and its scope's tenant. */
export function defaultApprover(decidedBy: string | undefined, scope: TaskScope): Approver {
  return {
    ...(decidedBy !== undefined ? { id: decidedBy } : {}),
    ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
  };
}
