import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { tool } from '../../src/agent/tool';
import { ZapAgent, type ZapAgentOptions } from '../../src/agent/zap-agent';
import { errorFromFailure } from '../../src/client/error-from-failure';
import { DEFAULT_EVENT_WAIT_TIMEOUT_MS, MAX_EVENT_WAIT_TIMEOUT_MS } from '../../src/core/defaults';
import {
  EventBufferFullError,
  EventValidationError,
  UnknownEventError,
  ZapConfigurationError,
} from '../../src/core/errors';
import { FailureType } from '../../src/core/failure-types';
import { initialTaskState, upgradeWorkflowInput, type AgentWorkflowInput } from '../../src/core/task-state';
import type { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { AgentToolbox } from '../../src/tools/agent-toolbox';

const emailVerified = {
  description: 'The user clicked the link in the verification email',
  schema: z.object({ email: z.string() }),
};

function agentWith(overrides: Partial<ZapAgentOptions<any>>): ZapAgent<any> {
  return new ZapAgent({ name: 'Onboarding', prompt: 'You onboard users.', ...overrides });
}

function configurationMessage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ZapConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ZapConfigurationError');
}

describe('the events option of ZapAgent', () => {
  test('declared events reach the task settings as descriptions and JSON Schemas', () => {
    const agent = agentWith({ events: { 'email-verified': emailVerified, 'payment-received2': { description: 'Paid', schema: z.object({ amount: z.number() }) } } });
    expect([...agent.events.keys()]).toEqual(['email-verified', 'payment-received2']);
    expect(agent.taskSettings(undefined).events).toEqual({
      'email-verified': {
        description: 'The user clicked the link in the verification email',
        schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'], additionalProperties: false },
      },
      'payment-received2': {
        description: 'Paid',
        schema: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'], additionalProperties: false },
      },
    });
  });

  test('an agent without events has none in its settings', () => {
    const agent = agentWith({});
    expect(agent.events.size).toBe(0);
    expect(agent.taskSettings(undefined)).not.toHaveProperty('events');
  });

  test.each(['Email-verified', '1-event', 'email_verified', 'email verified', '', 'a'.repeat(65), '-start'])(
    'refuses the event name %j',
    (name) => {
      expect(configurationMessage(() => agentWith({ events: { [name]: emailVerified } }))).toMatch(/event name .* is invalid/);
    },
  );

  test('accepts a 64-character name', () => {
    expect(agentWith({ events: { ['a'.repeat(64)]: emailVerified } }).events.size).toBe(1);
  });

  test('refuses an empty description, a missing or non-zod schema, and a schema JSON Schema cannot express', () => {
    expect(configurationMessage(() => agentWith({ events: { paid: { description: ' ', schema: z.object({}) } } }))).toMatch(
      /event 'paid' needs a non-empty description/,
    );
    expect(configurationMessage(() => agentWith({ events: { paid: { description: 'Paid' } as never } }))).toMatch(
      /event 'paid' needs a zod schema/,
    );
    expect(configurationMessage(() => agentWith({ events: { paid: { description: 'Paid', schema: { type: 'object' } as never } } }))).toMatch(
      /event 'paid' needs a zod schema/,
    );
    expect(configurationMessage(() => agentWith({ events: { paid: { description: 'Paid', schema: z.object({ at: z.date() }) } } }))).toMatch(
      /schema of event 'paid' cannot be converted to JSON Schema/,
    );
    expect(
      configurationMessage(() =>
        agentWith({ events: { paid: { description: 'Paid', schema: z.object({ n: z.string().transform((text) => text.length) }) } } }),
      ),
    ).toMatch(/cannot be converted to JSON Schema/);
  });

  test('refuses events that are not an object of definitions', () => {
    expect(configurationMessage(() => agentWith({ events: [emailVerified] as never }))).toMatch(/events must be an object/);
  });
});

describe('the wait_for_event tool', () => {
  const noMcp = {} as McpConnectionPool;

  test('is offered only to agents that declare events, with an enum of their names and each schema described', async () => {
    const waiting = agentWith({ events: { 'email-verified': emailVerified } });
    const plain = agentWith({ name: 'Plain' });
    const toolbox = new AgentToolbox(new Map([['Onboarding', waiting], ['Plain', plain]]), noMcp);
    expect(await toolbox.toolNames('Plain')).toEqual([]);
    const [definition] = await toolbox.definitions('Onboarding');
    expect(definition).toMatchObject({
      name: 'wait_for_event',
      parameters: {
        type: 'object',
        properties: {
          event: { type: 'string', enum: ['email-verified'] },
          timeoutSeconds: { type: 'number', maximum: MAX_EVENT_WAIT_TIMEOUT_MS / 1000 },
        },
        required: ['event'],
      },
    });
    expect(definition?.description).toContain('- email-verified: The user clicked the link in the verification email');
    expect(definition?.description).toContain('"email":{"type":"string"}');
    expect((definition?.parameters as any).properties.timeoutSeconds.description).toContain(`default ${DEFAULT_EVENT_WAIT_TIMEOUT_MS / 1000}`);
    expect((await toolbox.resolve('Onboarding', 'wait_for_event'))?.kind).toBe('wait_for_event');
  });

  test('a local tool of the same name is a configuration error', async () => {
    const clash = tool({ name: 'wait_for_event', description: 'Mine', parameters: z.object({}), execute: () => 'x' });
    const agent = agentWith({ events: { 'email-verified': emailVerified }, tools: [clash] });
    await expect(new AgentToolbox(new Map([['Onboarding', agent]]), noMcp).definitions('Onboarding')).rejects.toThrow(
      /two tools named 'wait_for_event'/,
    );
  });
});

describe('the state migration of named events', () => {
  const oldInput = {
    schemaVersion: 2,
    taskId: 'old-task',
    agent: { agentName: 'Old', systemPrompt: 'You are old.' },
    message: 'hello',
    idleTimeoutMs: 1000,
    eventLogLimit: 10,
    createdAt: '2026-01-01T00:00:00.000Z',
  } as unknown as AgentWorkflowInput;

  test('an input without events gets {} and carried state without kept events gets []', () => {
    const fresh = upgradeWorkflowInput(oldInput);
    expect(fresh.agent.events).toEqual({});
    const carried = { ...initialTaskState(fresh) } as Partial<ReturnType<typeof initialTaskState>>;
    delete carried.receivedEvents;
    const continued = upgradeWorkflowInput({ ...oldInput, carried: carried as ReturnType<typeof initialTaskState> });
    expect(continued.carried?.receivedEvents).toEqual([]);
    expect(initialTaskState(fresh).receivedEvents).toEqual([]);
  });

  test('declared events and kept events are preserved', () => {
    const events = { paid: { description: 'Paid', schema: { type: 'object' } } };
    const receivedEvents = [{ name: 'paid', data: { amount: 3 }, receivedAt: '2026-01-01T00:00:02.000Z' }];
    const base = upgradeWorkflowInput({ ...oldInput, agent: { ...oldInput.agent, events } });
    const upgraded = upgradeWorkflowInput({ ...base, carried: { ...initialTaskState(base), receivedEvents } });
    expect(upgraded.agent.events).toEqual(events);
    expect(upgraded.carried?.receivedEvents).toEqual(receivedEvents);
  });
});

describe('refusals of the deliverEvent update validator', () => {
  function refused(type: string, message: string, details: Record<string, unknown>) {
    const failure = ApplicationFailure.create({ type, message, details: [details], nonRetryable: true });
    return errorFromFailure(new WorkflowUpdateFailedError('Workflow Update failed', failure), { taskId: 'task-1', eventName: 'paid' });
  }

  test('become UnknownEventError (with the declared names), EventValidationError and EventBufferFullError', () => {
    const unknown = refused(FailureType.UnknownEvent, 'no such event', { eventName: 'paid', declaredEvents: ['email-verified'] });
    expect(unknown).toBeInstanceOf(UnknownEventError);
    expect(unknown).toMatchObject({ taskId: 'task-1', eventName: 'paid', declaredEvents: ['email-verified'] });
    expect(unknown?.message).toBe("Task 'task-1' does not wait for events named 'paid'. Declared events: email-verified.");

    const invalid = refused(FailureType.EventValidation, 'The data of event is 70000 bytes', { eventName: 'paid' });
    expect(invalid).toBeInstanceOf(EventValidationError);
    expect(invalid?.message).toContain('70000 bytes');

    const full = refused(FailureType.EventBufferFull, 'keeps 100', { eventName: 'paid', limit: "100 events named 'paid'" });
    expect(full).toBeInstanceOf(EventBufferFullError);
    expect(full).toMatchObject({ limit: "100 events named 'paid'" });
  });
});
