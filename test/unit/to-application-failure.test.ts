import { ApplicationFailure } from '@temporalio/common';
import {
  AgentNotFoundError,
  LlmProviderError,
  TaskNotFoundError,
  ToolExecutionError,
  ZapConfigurationError,
  ZapValidationError,
} from '../../src/core/errors';
import { permanentFailure, toApplicationFailure } from '../../src/activities/to-application-failure';

describe('toApplicationFailure', () => {
  it('makes a retryable provider error a retryable LLM_PROVIDER failure with the provider delay', () => {
    const failure = toApplicationFailure(
      new LlmProviderError({
        message: 'endpoint answered 429: slow down',
        status: 429,
        retryable: true,
        retryAfterMs: 2000,
      }),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('LLM_PROVIDER');
    expect(failure.message).toBe('endpoint answered 429: slow down');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(failure.details).toEqual([{ status: 429 }]);
  });

  it('makes a non-retryable provider error a non-retryable failure without a delay', () => {
    const failure = toApplicationFailure(new LlmProviderError({
      message: 'answered 400: bad',
      status: 400,
      retryable: false,
    }));
    expect(failure.type).toBe('LLM_PROVIDER');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('records a null status for network errors', () => {
    const failure = toApplicationFailure(new LlmProviderError({ message: 'unreachable', retryable: true }));
    expect(failure.details).toEqual([{ status: null }]);
  });

  it('caps the provider delay at five minutes', () => {
    const failure = toApplicationFailure(
      new LlmProviderError({ message: 'busy', status: 503, retryable: true, retryAfterMs: 60 * 60 * 1000 }),
    );
    expect(failure.nextRetryDelay).toBe(5 * 60 * 1000);
  });

  it('uses the code of other zap-agents errors as the type', () => {
    expect(toApplicationFailure(new ZapValidationError({ message: 'bad input' })).type).toBe('ZAP_VALIDATION');
    const notFound = toApplicationFailure(new AgentNotFoundError({ agentName: 'Sales', knownAgents: ['Support'] }));
    expect(notFound.type).toBe('AGENT_NOT_FOUND');
    expect(notFound.message).toBe("Agent 'Sales' is not registered. Known agents: Support.");
    expect(toApplicationFailure(new ToolExecutionError({ toolName: 'lookup', message: 'tool broke' })).type).toBe('TOOL_EXECUTION');
  });

  it('makes a plain Error a retryable TOOL_EXECUTION failure with the error as cause', () => {
    const error = new Error('disk full');
    const failure = toApplicationFailure(error);
    expect(failure.type).toBe('TOOL_EXECUTION');
    expect(failure.message).toBe('disk full');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.cause).toBe(error);
  });

  it('converts thrown non-errors to text', () => {
    const failure = toApplicationFailure('just a string');
    expect(failure.type).toBe('TOOL_EXECUTION');
    expect(failure.message).toBe('just a string');
  });

  it('cuts a very long message and leaves out the cause, which would repeat it', () => {
    const failure = toApplicationFailure(new Error('x'.repeat(100_000)));
    expect(failure.type).toBe('TOOL_EXECUTION');
    expect(Buffer.byteLength(failure.message)).toBeLessThanOrEqual(16 * 1024);
    expect(failure.message).toMatch(/\[Message truncated: the first [\d,]+ of 100,000 bytes are shown\.\]$/);
    expect(failure.cause).toBeUndefined();
  });

  it('cuts very long provider and zap-agents messages, keeping their verdict', () => {
    const provider = toApplicationFailure(new LlmProviderError({
      message: '<html>'.repeat(50_000),
      status: 502,
      retryable: true,
    }));
    expect(provider).toMatchObject({ type: 'LLM_PROVIDER', nonRetryable: false, details: [{ status: 502 }] });
    expect(Buffer.byteLength(provider.message)).toBeLessThanOrEqual(16 * 1024);
    expect(Buffer.byteLength(toApplicationFailure(new ToolExecutionError({ toolName: 'lookup', message: 'y'.repeat(50_000) })).message)).toBeLessThanOrEqual(16 * 1024);
    expect(Buffer.byteLength(permanentFailure('TOOL_ARGUMENTS_INVALID', 'z'.repeat(50_000)).message)).toBeLessThanOrEqual(16 * 1024);
  });

  it('rebuilds an ApplicationFailure whose message is too long, keeping its type and verdict', () => {
    const original = ApplicationFailure.create({ type: 'CUSTOM', message: 'm'.repeat(50_000), nonRetryable: true, details: ['d'] });
    const failure = toApplicationFailure(original);
    expect(failure).not.toBe(original);
    expect(failure).toMatchObject({ type: 'CUSTOM', nonRetryable: true, details: ['d'] });
    expect(Buffer.byteLength(failure.message)).toBeLessThanOrEqual(16 * 1024);
  });

  it('returns ApplicationFailures unchanged', () => {
    const original = ApplicationFailure.create({ type: 'CUSTOM', message: 'mine', nonRetryable: true });
    expect(toApplicationFailure(original)).toBe(original);
  });
});

describe('permanentFailure', () => {
  it('is non-retryable with the given type and message', () => {
    const failure = permanentFailure('TOOL_NOT_FOUND', 'no such tool');
    expect(failure).toMatchObject({ type: 'TOOL_NOT_FOUND', message: 'no such tool', nonRetryable: true });
  });
});

describe('configuration errors inside activities', () => {
  it('are never retried: they fail the same way on every attempt', () => {
    expect(toApplicationFailure(new ZapConfigurationError({ message: 'no API key' }))).toMatchObject({ type: 'ZAP_CONFIGURATION', nonRetryable: true });
    expect(toApplicationFailure(new ZapValidationError({ message: 'bad' }))).toMatchObject({ nonRetryable: true });
    expect(toApplicationFailure(new TaskNotFoundError({ taskId: 't' }))).toMatchObject({ type: 'TASK_NOT_FOUND', nonRetryable: false });
  });
});
