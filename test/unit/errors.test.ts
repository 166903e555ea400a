import {
  AgentNotFoundError,
  ApprovalNotFoundError,
  LlmProviderError,
  NoWorkerError,
  PayloadEncryptionError,
  TaskClosedError,
  TaskNotFoundError,
  ToolExecutionError,
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
      taskId: 't-1',
    });
    const toolError = new ToolExecutionError({ toolName: 'lookup', toolCallId: 'call_1', cause });
    expect(toolError).toMatchObject({ message: 'Tool lookup failed: underlying', toolName: 'lookup', toolCallId: 'call_1' });
    expect(toolError.outcomeUnknown).toBe(false);
    expect(toolError.cause).toBe(cause);
  });

  it('keeps a given message and has no own cause when none is given', () => {
    expect(new TaskNotFoundError({ taskId: 't', message: 'custom' }).message).toBe('custom');
    expect('cause' in new ZapValidationError({ message: 'x' })).toBe(false);
    expect(new ZapConfigurationError({ message: 'x', cause }).cause).toBe(cause);
  });
});
