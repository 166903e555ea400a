import {
  AgentNotFoundError,
  AgentStuckError,
  ApprovalNotFoundError,
  EventBufferFullError,
  EventValidationError,
  LlmProviderError,
  NoWorkerError,
  OutputValidationError,
  PayloadEncryptionError,
  PermissionDeniedError,
  PipelineDefinitionError,
  PipelineNotFoundError,
  PipelineStepError,
  SearchAttributesUnavailableError,
  TaskClosedError,
  TaskNotFoundError,
  ToolExecutionError,
  UnknownEventError,
  UnknownStepError,
  VisionNotSupportedError,
  ZapConfigurationError,
  ZapConnectionError,
  ZapError,
  ZapNotStartedError,
  ZapValidationError,
} from '../../src/core/errors';
import { FailureType } from '../../src/core/failure-types';
import { PayloadStoreError } from '../../src/payload-store';

describe('zap-agents errors', () => {
  const cause = new Error('underlying');
  const errors: ZapError[] = [
    new ZapConfigurationError({ message: 'bad config', cause }),
    new ZapNotStartedError(),
    new ZapConnectionError({ message: 'no server' }),
    new ZapValidationError({ message: 'bad input' }),
    new AgentNotFoundError({ agentName: 'Sales', knownAgents: ['Support'] }),
    new TaskNotFoundError({ taskId: 't-1' }),
    new TaskClosedError({ taskId: 't-1', reason: 'it is failed' }),
    new ApprovalNotFoundError({ approvalId: 'a-1', taskId: 't-1' }),
    new VisionNotSupportedError({ agentName: 'Sales', model: 'gpt-3.5-turbo' }),
    new LlmProviderError({ message: 'answered 500', status: 500, retryable: true }),
    new ToolExecutionError({ toolName: 'lookup', cause }),
    new PayloadEncryptionError({ message: 'wrong key', keyId: 'k1' }),
    new PayloadStoreError({ message: 'gone', failure: 'missing', key: 'sha256/ab' }),
    new NoWorkerError({ namespace: 'default', taskQueue: 'zap' }),
    new PermissionDeniedError({ operation: 'approve' }),
    new SearchAttributesUnavailableError({ namespace: 'default', missing: ['ZapStatus'] }),
    new UnknownEventError({ taskId: 't-1', eventName: 'paid', declaredEvents: ['email-verified'] }),
    new EventValidationError({ taskId: 't-1', eventName: 'email-verified' }),
    new EventBufferFullError({ taskId: 't-1', eventName: 'email-verified', limit: '100 events' }),
    new OutputValidationError({ rawAnswer: 'not json', issues: [{ code: 'invalid_json', path: [], message: 'not JSON' }] }),
    new AgentStuckError({ reason: 'repeated_call', toolName: 'lookup', repeats: 3, agentName: 'Looper' }),
    new PipelineDefinitionError({ pipelineName: 'publish-post', stepName: 'write', problem: 'needs `agent`' }),
    new PipelineNotFoundError({ pipelineName: 'publish-post', knownPipelines: ['triage'] }),
    new UnknownStepError({ pipelineName: 'publish-post', stepName: 'wirte', knownSteps: ['research', 'write'] }),
    new PipelineStepError({ runId: 'run-1', pipelineName: 'publish-post', stepName: 'write', status: 'max-iterations' }),
  ];

  it('each has a code of the failure type registry, and no two share one', () => {
    const registry: readonly string[] = Object.values(FailureType);
    for (const error of errors) expect(registry).toContain(error.code);
    expect(new Set(errors.map((error) => error.code)).size).toBe(errors.length);
    expect(new Set(registry).size).toBe(registry.length);
  });

  it('each is recognised by its own isInstance and by ZapError.isInstance only', () => {
    for (const error of errors) {
      const own = error.constructor as unknown as { isInstance(value: unknown): boolean };
      expect(own.isInstance(error)).toBe(true);
      expect(ZapError.isInstance(error)).toBe(true);
      expect(error.name).toBe(error.constructor.name);
      for (const other of errors) if (other !== error) expect(own.isInstance(other)).toBe(false);
    }
  });

  it('says what a stuck agent repeated', () => {
    expect(new AgentStuckError({ reason: 'repeated_call', toolName: 'lookup', repeats: 3, agentName: 'Looper' }).message).toBe(
      "Agent 'Looper' is stuck: it called lookup with the same arguments 3 times in a row.",
    );
    expect(new AgentStuckError({ reason: 'no_progress', toolName: 'search', repeats: 4 }).message).toBe(
      'The agent is stuck: its last 4 iterations of tool calls (search) returned the same results.',
    );
  });

  it('builds default messages from typed fields', () => {
    expect(new ZapNotStartedError().message).toBe('Call zap.start() first.');
    expect(new AgentNotFoundError({ agentName: 'Sales', knownAgents: ['Support'] }).message).toBe(
      "Agent 'Sales' is not registered. Known agents: Support.",
    );
    expect(new TaskNotFoundError({ taskId: 't-1' }).message).toBe("Task 't-1' was not found.");
    expect(new TaskClosedError({ taskId: 't-1', reason: 'it is failed' })).toMatchObject({
      message: "Task 't-1' is closed: it is failed",
      reason: 'it is failed',
    });
    expect(new ApprovalNotFoundError({ approvalId: 'a-1', taskId: 't-1' })).toMatchObject({
      message: "Approval 'a-1' is not pending on task 't-1'.",
      approvalId: 'a-1',
      approvalIds: ['a-1'],
      taskId: 't-1',
    });
    expect(new ApprovalNotFoundError({ approvalIds: ['a-2', 'a-3'], taskId: 't-1' })).toMatchObject({
      message: "Approvals 'a-2', 'a-3' are not known to task 't-1'; no decision of the batch was applied.",
      approvalId: 'a-2',
      approvalIds: ['a-2', 'a-3'],
    });
    expect(new PermissionDeniedError({ operation: 'approve' })).toMatchObject({ message: 'Not allowed to approve.', taskId: undefined, approvalIds: [] });
    expect(new PermissionDeniedError({ operation: 'decide approvals', taskId: 't-1', approvalIds: ['a-1'] })).toMatchObject({
      code: 'PERMISSION_DENIED',
      taskId: 't-1',
      approvalIds: ['a-1'],
    });
    const toolError = new ToolExecutionError({ toolName: 'lookup', toolCallId: 'call_1', cause });
    expect(toolError).toMatchObject({ message: 'Tool lookup failed: underlying', toolName: 'lookup', toolCallId: 'call_1' });
    expect(toolError.outcomeUnknown).toBe(false);
    expect(toolError.cause).toBe(cause);
  });

  it('names the pipeline and the step in pipeline errors', () => {
    expect(new PipelineDefinitionError({ pipelineName: 'publish-post', stepName: 'write', problem: 'needs `agent`.' }).message).toBe(
      "Pipeline 'publish-post', step 'write': needs `agent`.",
    );
    expect(new PipelineNotFoundError({ pipelineName: 'publish', knownPipelines: ['publish-post'] }).message).toBe(
      "Pipeline 'publish' is not registered. Known pipelines: publish-post.",
    );
    expect(new UnknownStepError({ pipelineName: 'publish-post', stepName: 'wirte', knownSteps: ['research', 'write'] })).toMatchObject({
      message: "Pipeline 'publish-post' has no step 'wirte'. Its steps: research, write.",
      knownSteps: ['research', 'write'],
    });
    expect(new PipelineStepError({ runId: 'run-1', pipelineName: 'publish-post', stepName: 'write', status: 'stuck' })).toMatchObject({
      message: "Step 'write' of pipeline run 'run-1' ended stuck.",
      issues: [],
      response: undefined,
    });
  });

  it('keeps a given message and has no own cause when none is given', () => {
    expect(new TaskNotFoundError({ taskId: 't', message: 'custom' }).message).toBe('custom');
    expect('cause' in new ZapValidationError({ message: 'x' })).toBe(false);
    expect(new ZapConfigurationError({ message: 'x', cause }).cause).toBe(cause);
  });
});
