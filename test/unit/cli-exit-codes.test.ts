import { ApprovalNotFoundError, NoWorkerError, TaskNotFoundError, ZapValidationError } from '../../src';
import { CliExitCode, describeCliError, exitCodeOfError, exitCodeOfOutcome } from '../../src/cli/cli-exit-codes';
import { ScheduleAlreadyExistsError, ScheduleNotFoundError } from '../../src/core/errors';
import { describeEvent } from '../../src/cli/event-printer';
import { formatDecisions, formatPendingApproval, formatRows } from '../../src/cli/format-task';

describe('zap CLI exit codes', () => {
  test('errors map to their documented codes', () => {
    const code = (error: unknown) => exitCodeOfError(describeCliError(error).code);
    expect(code(new ZapValidationError({ message: 'bad' }))).toBe(CliExitCode.BadUsage);
    expect(code(new TaskNotFoundError({ taskId: 't' }))).toBe(CliExitCode.NotFound);
    expect(code(new ApprovalNotFoundError({ taskId: 't', approvalId: 'a' }))).toBe(CliExitCode.NotFound);
    expect(code(new ScheduleNotFoundError({ scheduleId: 's' }))).toBe(CliExitCode.NotFound);
    expect(code(new ScheduleAlreadyExistsError({ scheduleId: 's' }))).toBe(CliExitCode.BadUsage);
    expect(code(new NoWorkerError({ namespace: 'default', taskQueue: 'q', action: 'read' }))).toBe(CliExitCode.Unavailable);
    expect(code(new Error('boom'))).toBe(CliExitCode.Failed);
    expect(describeCliError(new Error('boom'))).toEqual({ code: 'UNEXPECTED_ERROR', message: 'boom' });
  });

  test('a gRPC UNAVAILABLE anywhere in the cause chain is Temporal unavailable (7)', () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14, details: 'connection refused', metadata: {} });
    const wrapped = new Error('Service unavailable', { cause: grpc });
    expect(describeCliError(wrapped)).toEqual({ code: 'TEMPORAL_UNAVAILABLE', message: 'Temporal is unavailable: connection refused' });
    expect(exitCodeOfError('TEMPORAL_UNAVAILABLE')).toBe(CliExitCode.Unavailable);
  });

  test('wait outcomes', () => {
    expect([exitCodeOfOutcome('completed'), exitCodeOfOutcome('failed'), exitCodeOfOutcome('timed_out'), exitCodeOfOutcome('cancelled')]).toEqual([0, 1, 3, 4]);
  });

  test('summary rows are aligned and skip empty values', () => {
    expect(formatRows([['Task', 't-1'], ['Error', undefined], ['Last event', '3']])).toBe('Task        t-1\nLast event  3');
  });

  test('a pending approval shows its summary before the call, and the command that decides it', () => {
    const approval = {
      approvalId: 'a-1',
      summary: 'Refund 250 EUR to order 42',
      toolName: 'refund',
      arguments: { amount: 250 },
      agentName: 'Support',
      taskId: 't-1',
      requestedAt: '2026-01-01T00:00:00.000Z',
      timeoutAt: '2026-01-08T00:00:00.000Z',
    };
    expect(formatPendingApproval(approval, 't-1')).toBe(
      'a-1: Refund 250 EUR to order 42 — refund({"amount":250}) until 2026-01-08T00:00:00.000Z — zap approve t-1 a-1',
    );
    const { summary: _summary, ...withoutSummary } = approval;
    expect(formatPendingApproval(withoutSummary, 't-1')).toMatch(/^a-1: refund\(/);
    const requested = describeEvent({
      type: 'approval_requested',
      seq: 3,
      taskId: 't-1',
      timestamp: '2026-01-01T00:00:00.000Z',
      approval: { id: 'a-1', summary: approval.summary, toolName: 'refund', toolArgs: { amount: 250 }, agentName: 'Support', taskId: 't-1', requestedAt: approval.requestedAt, timeoutAt: approval.timeoutAt },
    } as Parameters<typeof describeEvent>[0]);
    expect(requested).toBe('refund({"amount":250}) needs approval: Refund 250 EUR to order 42 — zap approve t-1 a-1');
  });

  test('zap decide prints one line per decision', () => {
    expect(
      formatDecisions({
        taskId: 't-1',
        decidedBy: 'ana',
        results: [
          { approvalId: 'a-1', decision: 'approved', alreadyDecided: false },
          { approvalId: 'a-2', decision: 'rejected', alreadyDecided: true },
        ],
      }),
    ).toBe('Approval a-1 of task t-1 approved by ana\nApproval a-2 of task t-1 was already decided: rejected');
  });
});
