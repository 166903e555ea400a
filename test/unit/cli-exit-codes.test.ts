import { ApprovalNotFoundError, NoWorkerError, TaskNotFoundError, ZapValidationError } from '../../src';
import { CliExitCode, describeCliError, exitCodeOfError, exitCodeOfOutcome } from '../../src/cli/cli-exit-codes';
import { formatRows } from '../../src/cli/format-task';

describe('zap CLI exit codes', () => {
  test('errors map to their documented codes', () => {
    const code = (error: unknown) => exitCodeOfError(describeCliError(error).code);
    expect(code(new ZapValidationError({ message: 'bad' }))).toBe(CliExitCode.BadUsage);
    expect(code(new TaskNotFoundError({ taskId: 't' }))).toBe(CliExitCode.NotFound);
    expect(code(new ApprovalNotFoundError({ taskId: 't', approvalId: 'a' }))).toBe(CliExitCode.NotFound);
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
});
