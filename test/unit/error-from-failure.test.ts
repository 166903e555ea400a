import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { toApplicationFailure } from '../../src/activities/to-application-failure';
import { errorFromFailure } from '../../src/client/error-from-failure';
import {
  AgentNotFoundError,
  AgentStuckError,
  ApprovalNotFoundError,
  LlmProviderError,
  ToolExecutionError,
  ZapConfigurationError,
  ZapError,
  ZapValidationError,
} from '../../src/core/errors';
import { FailureType } from '../../src/core/failure-types';
import { PayloadStoreError } from '../../src/payload-store';

function activityFailure(cause: ApplicationFailure): ActivityFailure {
  return new ActivityFailure('Activity task failed', 'invokeModel', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
}

describe('errorFromFailure', () => {
  it('maps an update validator refusal to ApprovalNotFoundError, with the ids the caller knows', () => {
    const refusal = ApplicationFailure.create({
      type: FailureType.ApprovalNotFound,
      message: "Approval 'a-1' is not known to this task.",
      nonRetryable: true,
    });
    const error = new WorkflowUpdateFailedError('Workflow Update failed', refusal);
    const mapped = errorFromFailure(error, { taskId: 'task-1', approvalId: 'a-1' });
    expect(mapped).toBeInstanceOf(ApprovalNotFoundError);
    expect(mapped).toMatchObject({ approvalId: 'a-1', taskId: 'task-1', code: 'APPROVAL_NOT_FOUND', cause: error });
    expect(mapped?.message).toBe("Approval 'a-1' is not pending on task 'task-1'.");
  });

  it('maps a refused batch to ApprovalNotFoundError listing every unknown id from the details', () => {
    const refusal = ApplicationFailure.create({
      type: FailureType.ApprovalNotFound,
      message: "Approvals 'x-1', 'x-2' are not known to this task; no decision of the batch was applied.",
      details: [{ approvalIds: ['x-1', 'x-2'] }],
      nonRetryable: true,
    });
    const error = new WorkflowUpdateFailedError('Workflow Update failed', refusal);
    const mapped = errorFromFailure(error, { taskId: 'task-1' });
    expect(ApprovalNotFoundError.isInstance(mapped)).toBe(true);
    expect(mapped).toMatchObject({ approvalId: 'x-1', approvalIds: ['x-1', 'x-2'], taskId: 'task-1', cause: error });
    expect(mapped?.message).toBe("Approvals 'x-1', 'x-2' are not known to task 'task-1'; no decision of the batch was applied.");

    // One unknown id in a batch reads like a single decision; without a task id nothing is recovered.
    const single = ApplicationFailure.create({ type: FailureType.ApprovalNotFound, message: 'unknown', details: [{ approvalIds: ['x-3'] }] });
    expect(errorFromFailure(single, { taskId: 'task-1' })).toMatchObject({ approvalId: 'x-3', approvalIds: ['x-3'] });
    expect(errorFromFailure(single)).toBeUndefined();
    // Details that are not a list of ids fall back on the id the caller knows.
    const odd = ApplicationFailure.create({ type: FailureType.ApprovalNotFound, message: 'unknown', details: [{ approvalIds: 'x-4' }] });
    expect(errorFromFailure(odd, { taskId: 'task-1', approvalId: 'a-9' })).toMatchObject({ approvalId: 'a-9', approvalIds: ['a-9'] });
  });

  it('maps a malformed batch to ZapValidationError naming the task', () => {
    const refusal = ApplicationFailure.create({
      type: FailureType.InvalidDecision,
      message: "Decisions for 'x-1' need decision 'approve' or 'reject' (and a string reason, if any).",
      details: [{ approvalIds: ['x-1'] }],
    });
    const mapped = errorFromFailure(new WorkflowUpdateFailedError('Workflow Update failed', refusal), { taskId: 't' });
    expect(mapped).toBeInstanceOf(ZapValidationError);
    expect(mapped?.message).toBe("Invalid decisions for task 't': Decisions for 'x-1' need decision 'approve' or 'reject' (and a string reason, if any).");
  });

  it('maps an invalid decision to ZapValidationError naming the approval and task', () => {
    const refusal = ApplicationFailure.create({ type: FailureType.InvalidDecision, message: 'A decision needs approvalId and approved.' });
    const mapped = errorFromFailure(new WorkflowUpdateFailedError('Workflow Update failed', refusal), { taskId: 't', approvalId: 'a' });
    expect(mapped).toBeInstanceOf(ZapValidationError);
    expect(mapped?.message).toBe("Invalid decision for approval 'a' of task 't': A decision needs approvalId and approved.");
    expect(errorFromFailure(refusal)?.message).toBe('A decision needs approvalId and approved.');
  });

  it('recovers the provider verdict from the activity failure nested in a failed task', () => {
    const original = toApplicationFailure(
      new LlmProviderError({ message: 'endpoint answered 503: busy', status: 503, retryable: true, retryAfterMs: 2000 }),
    );
    const wrapper = ApplicationFailure.create({
      type: FailureType.LlmProvider,
      message: 'Model call failed: endpoint answered 503: busy',
      nonRetryable: true,
      cause: activityFailure(original),
    });
    const error = new WorkflowFailedError('Workflow execution failed', wrapper, RetryState.NON_RETRYABLE_FAILURE);
    const mapped = errorFromFailure(error);
    expect(LlmProviderError.isInstance(mapped)).toBe(true);
    expect(mapped).toMatchObject({
      message: 'Model call failed: endpoint answered 503: busy',
      status: 503,
      retryable: true,
      retryAfterMs: 2000,
      cause: error,
    });
  });

  it('reads a non-retryable provider failure without a status', () => {
    const failure = toApplicationFailure(new LlmProviderError({ message: 'answered 400: bad', retryable: false }));
    expect(errorFromFailure(activityFailure(failure))).toMatchObject({ retryable: false, status: undefined, retryAfterMs: undefined });
  });

  it('keeps the message of errors that carry only a message', () => {
    const failure = toApplicationFailure(new ZapConfigurationError({ message: "Agent 'Sales' has two tools named 'x'." }));
    const mapped = errorFromFailure(activityFailure(failure));
    expect(mapped).toBeInstanceOf(ZapConfigurationError);
    expect(mapped?.message).toBe("Agent 'Sales' has two tools named 'x'.");
  });

  it('builds tool errors when the tool is known, outcome unknown included', () => {
    const failure = ApplicationFailure.create({ type: FailureType.ToolOutcomeUnknown, message: 'MCP server went away' });
    const mapped = errorFromFailure(failure, { toolName: 'charge_card', toolCallId: 'call_7' });
    expect(mapped).toBeInstanceOf(ToolExecutionError);
    expect(mapped).toMatchObject({ toolName: 'charge_card', toolCallId: 'call_7', outcomeUnknown: true, message: 'MCP server went away' });
    expect(errorFromFailure(failure)).toBeUndefined();
  });

  it('reads typed fields from the first details object', () => {
    const failure = ApplicationFailure.create({
      type: FailureType.PayloadStore,
      message: "Payload 'sha256/ab' is missing",
      details: [{ failure: 'missing', key: 'sha256/ab', location: 's3://bucket' }],
    });
    expect(errorFromFailure(failure)).toMatchObject({ failure: 'missing', key: 'sha256/ab', location: 's3://bucket' });
    expect(PayloadStoreError.isInstance(errorFromFailure(failure))).toBe(true);
    const agent = ApplicationFailure.create({ type: FailureType.AgentNotFound, message: 'x', details: [{ agentName: 'Sales' }] });
    expect(errorFromFailure(agent)).toBeInstanceOf(AgentNotFoundError);
  });

  it('is undefined for failures without a zap-agents class, untyped failures and other errors', () => {
    const maxIterations = ApplicationFailure.create({ type: FailureType.MaxIterationsExceeded, message: 'too many' });
    expect(errorFromFailure(new WorkflowFailedError('failed', maxIterations, RetryState.NON_RETRYABLE_FAILURE))).toBeUndefined();
    expect(errorFromFailure(ApplicationFailure.create({ type: 'MY_OWN', message: 'x' }))).toBeUndefined();
    expect(errorFromFailure(ApplicationFailure.create({ message: 'untyped' }))).toBeUndefined();
    expect(errorFromFailure(new Error('plain'))).toBeUndefined();
    expect(errorFromFailure('a string')).toBeUndefined();
    // A class whose identifying field cannot be recovered is not guessed.
    expect(errorFromFailure(ApplicationFailure.create({ type: FailureType.ApprovalNotFound, message: 'x' }))).toBeUndefined();
  });

  it('decides by the outermost typed failure', () => {
    const inner = ApplicationFailure.create({ type: FailureType.ZapValidation, message: 'inner' });
    const outer = ApplicationFailure.create({ type: FailureType.TaskStateTooLarge, message: 'outer', cause: inner });
    expect(errorFromFailure(outer)).toBeUndefined();
    const untypedOuter = ApplicationFailure.create({ message: 'outer', cause: inner });
    expect(errorFromFailure(untypedOuter)).toBeInstanceOf(ZapValidationError);
  });

  it('maps a stuck task failure to AgentStuckError with its reason, tool, repeats and escalation', () => {
    const failure = ApplicationFailure.create({
      type: FailureType.AgentStuck,
      message: "Agent 'Looper' is stuck: it called lookup with the same arguments 3 times in a row.",
      nonRetryable: true,
      details: [
        { reason: 'repeated_call', toolName: 'lookup', repeats: 3, taskId: 't-1', agentName: 'Looper', escalation: { decision: 'rejected', decidedBy: 'bob' } },
      ],
    });
    const mapped = errorFromFailure(new WorkflowFailedError('failed', failure, RetryState.NON_RETRYABLE_FAILURE));
    expect(mapped).toBeInstanceOf(AgentStuckError);
    expect(mapped).toMatchObject({
      reason: 'repeated_call',
      toolName: 'lookup',
      repeats: 3,
      taskId: 't-1',
      agentName: 'Looper',
      escalation: { decision: 'rejected', decidedBy: 'bob' },
      message: failure.message,
    });
    expect(errorFromFailure(ApplicationFailure.create({ type: FailureType.AgentStuck, message: 'x', details: [{ reason: 'bored' }] }))).toBeUndefined();
  });

  it('returns ZapErrors for every code a class of its own has', () => {
    const mapped = errorFromFailure(ApplicationFailure.create({ type: FailureType.ZapNotStarted, message: 'Call zap.start() first.' }));
    expect(ZapError.isInstance(mapped)).toBe(true);
  });
});
