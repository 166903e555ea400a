import { authorizeDecisions, defaultApprover, type ApprovalAuthorizationRequest, type Approver } from '../../src/client/approval-authorization';
import { compileZapOptions } from '../../src/client/zap-options';
import type { ApprovalRequest } from '../../src/core/approval-request';
import { ApprovalNotFoundError, PermissionDeniedError, ZapConfigurationError } from '../../src/core/errors';
import type { TaskStatusSnapshot } from '../../src/core/task-snapshot';
import { TaskStatus } from '../../src/core/task-status';
import { ZapAgent } from '../../src';
import { approverOf } from '../../src/operations';

function request(id: string, toolName: string, toolArgs: Record<string, unknown>): ApprovalRequest {
  return {
    id,
    toolName,
    toolArgs,
    summary: `Calling ${toolName}`,
    agentName: 'Finance',
    taskId: 'task-1',
    requestedAt: '2026-01-01T00:00:00.000Z',
    timeoutAt: '2026-01-08T00:00:00.000Z',
  };
}

const refund = request('a-refund', 'refund', { amount: 250 });
const email = request('a-email', 'send_email', { to: 'x@example.com' });
const decided = request('a-old', 'refund', { amount: 5 });

function status(): TaskStatusSnapshot {
  return {
    taskId: 'task-1',
    agentName: 'Finance',
    status: TaskStatus.AwaitingApproval,
    messageCount: 3,
    subTasks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    pendingApprovals: [refund, email],
    approvals: [refund, email, { ...decided, decision: 'approved', decidedBy: 'ana' }],
    lastEventSeq: 4,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  } as TaskStatusSnapshot;
}

describe('authorizeDecisions', () => {
  const ana: Approver = { id: 'ana', roles: ['approve'] };

  test('asks the hook about every pending decision with the full request and the approver', async () => {
    const asked: Array<[ApprovalAuthorizationRequest, Approver]> = [];
    let reads = 0;
    await authorizeDecisions({
      authorize: (decision, approver) => {
        asked.push([decision, approver]);
        return true;
      },
      taskId: 'task-1',
      decisions: [
        { approvalId: 'a-refund', decision: 'approve' },
        { approvalId: 'a-email', decision: 'reject', reason: 'wrong address' },
        // Already decided: deciding it again changes nothing, so the hook is not asked.
        { approvalId: 'a-old', decision: 'reject' },
      ],
      approver: ana,
      readStatus: async () => {
        reads += 1;
        return status();
      },
    });
    expect(reads).toBe(1);
    expect(asked).toEqual([
      [{ taskId: 'task-1', decision: 'approve', approval: refund }, ana],
      [{ taskId: 'task-1', decision: 'reject', reason: 'wrong address', approval: email }, ana],
    ]);
  });

  test('one refusal refuses the batch, naming every refused id; only `true` allows', async () => {
    const attempt = authorizeDecisions({
      authorize: async ({ approval }) => (approval.toolName === 'refund' ? (false as boolean) : ('yes' as unknown as boolean)),
      taskId: 'task-1',
      decisions: [
        { approvalId: 'a-refund', decision: 'approve' },
        { approvalId: 'a-email', decision: 'approve' },
      ],
      approver: ana,
      readStatus: async () => status(),
    });
    await expect(attempt).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(attempt).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      taskId: 'task-1',
      approvalIds: ['a-refund', 'a-email'],
      message: "'ana' may not decide approvals 'a-refund', 'a-email' of task 'task-1' (refused by the Zap's authorize hook); no decision was sent.",
    });
  });

  test('unknown ids are ApprovalNotFoundError listing them all, before the hook is asked', async () => {
    const authorize = jest.fn(() => true);
    const attempt = authorizeDecisions({
      authorize,
      taskId: 'task-1',
      decisions: [
        { approvalId: 'a-refund', decision: 'approve' },
        { approvalId: 'nope-1', decision: 'approve' },
        { approvalId: 'nope-2', decision: 'reject' },
      ],
      approver: {},
      readStatus: async () => status(),
    });
    await expect(attempt).rejects.toBeInstanceOf(ApprovalNotFoundError);
    await expect(attempt).rejects.toMatchObject({ approvalId: 'nope-1', approvalIds: ['nope-1', 'nope-2'], taskId: 'task-1' });
    expect(authorize).not.toHaveBeenCalled();
  });

  test('a hook that throws fails the call with its error', async () => {
    const failure = new Error('directory unavailable');
    await expect(
      authorizeDecisions({
        authorize: () => {
          throw failure;
        },
        taskId: 'task-1',
        decisions: [{ approvalId: 'a-refund', decision: 'approve' }],
        approver: {},
        readStatus: async () => status(),
      }),
    ).rejects.toBe(failure);
  });

  test('approvers: the SDK call names its decider and scope; a principal gives its user, roles and tenant', () => {
    expect(defaultApprover('ana', { tenantId: 'acme' })).toEqual({ id: 'ana', tenantId: 'acme' });
    expect(defaultApprover(undefined, {})).toEqual({});
    expect(approverOf({ tenantId: 'acme', userId: 'ana', roles: ['read', 'approve'] })).toEqual({ id: 'ana', roles: ['read', 'approve'], tenantId: 'acme' });
    expect(approverOf({ roles: ['approve'] })).toEqual({ roles: ['approve'] });
  });

  test('authorize must be a function', () => {
    const agents = [new ZapAgent({ name: 'Finance', prompt: 'Finance.' })];
    expect(compileZapOptions({ agents }).authorize).toBeUndefined();
    const hook = () => true;
    expect(compileZapOptions({ agents, authorize: hook }).authorize).toBe(hook);
    expect(() => compileZapOptions({ agents, authorize: 'admins' as never })).toThrow(ZapConfigurationError);
  });
});
