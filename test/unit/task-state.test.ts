import { readFileSync } from 'node:fs';
import { loadRecordedHistories } from '../../src/testing/replay-histories';
import {
  TASK_STATE_SCHEMA_VERSION,
  initialTaskState,
  upgradeWorkflowInput,
  type AgentWorkflowInput,
  type CarriedTaskState,
} from '../../src/core/task-state';

interface JsonHistory {
  events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string }; input?: { payloads?: Array<{ data: string }> } } }>;
}

/** The workflow input each recorded run started with, decoded from its first event. */
function recordedInputs(): Array<{ set: string; file: string; input: AgentWorkflowInput }> {
  return loadRecordedHistories(`${__dirname}/../replay/histories`).flatMap((history) => {
    const json = JSON.parse(readFileSync(history.file, 'utf8')) as JsonHistory;
    const started = json.events[0]?.workflowExecutionStartedEventAttributes;
    // Agent tasks only: the sets also hold pipeline runs, runAgent callers and tenant budget workflows.
    if (started?.workflowType?.name !== 'agentWorkflow') return [];
    const payload = started.input?.payloads?.[0];
    if (!payload) throw new Error(`${history.file} has no workflow input`);
    return [{ set: history.set, file: history.file, input: JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) }];
  });
}

/** Every field of the current shape that must never be undefined after the upgrade. */
function expectComplete(input: AgentWorkflowInput): void {
  expect(input.schemaVersion).toBe(TASK_STATE_SCHEMA_VERSION);
  for (const key of ['maxIterations', 'subAgents', 'llmRetry', 'toolRetry', 'llmTimeoutMs', 'toolTimeoutMs', 'heartbeatTimeoutMs', 'toolHeartbeatTimeoutMs', 'toolBackoff', 'retryUnknownOutcomes'] as const) {
    expect(input.agent[key]).toBeDefined();
  }
  expect(typeof input.idleTimeoutMs).toBe('number');
  expect(typeof input.eventLogLimit).toBe('number');
  const carried = input.carried;
  if (!carried) return;
  for (const key of Object.keys(initialTaskState(input)) as Array<keyof CarriedTaskState>) {
    expect(carried[key]).toBeDefined();
  }
  expect(carried.delegation.conversations).toBeDefined();
  expect(carried.delegation.updates).toBeDefined();
}

describe('task state migration', () => {
  const inputs = recordedInputs();

  test('covers every recorded version, with runs that carried state', () => {
    expect(new Set(inputs.map(({ set }) => set))).toContain('0.1.0');
    expect(inputs.filter(({ input }) => input.carried).length).toBeGreaterThan(0);
  });

  test.each(recordedInputs().map(({ set, file, input }) => [`${set}/${file.split('/').pop()}`, input] as const))(
    'upgrades the recorded input of %s to the current shape',
    (_name, input) => {
      const upgraded = upgradeWorkflowInput(input);
      expectComplete(upgraded);
      // Nothing the task had is lost or changed.
      expect(upgraded.taskId).toBe(input.taskId);
      expect(upgraded.agent.systemPrompt).toBe(input.agent.systemPrompt);
      expect(upgraded.message).toEqual(input.message);
      if (input.carried) expect(upgraded.carried?.messages).toEqual(input.carried.messages);
    },
  );

  test('is idempotent: an upgraded input upgrades to itself', () => {
    for (const { input } of inputs) {
      const once = upgradeWorkflowInput(input);
      expect(upgradeWorkflowInput(once)).toEqual(once);
    }
  });

  test('does not modify the input it is given', () => {
    const { input } = inputs.find(({ input: candidate }) => candidate.carried) as { input: AgentWorkflowInput };
    const copy = structuredClone(input);
    upgradeWorkflowInput(input);
    expect(input).toEqual(copy);
  });

  test('defaults fields that pre-release shapes lacked (backoff, counters, approval and delegation records)', () => {
    const upgraded = upgradeWorkflowInput({
      taskId: 'old-task',
      agent: {
        agentName: 'Old',
        systemPrompt: 'You are old.',
        toolRetry: { initialInterval: 500, maximumAttempts: 4 },
      },
      message: 'hello',
      createdAt: '2026-01-01T00:00:00.000Z',
      carried: {
        messages: [{ role: 'system', content: 'You are old.' }],
        status: 'completed',
        modelCallDue: false,
        iteration: 1,
        pendingMessages: [],
        eventLog: { events: [], lastSeq: 3 },
        usage: { promptTokens: 1, completionTokens: 2 },
        updatedAt: '2026-01-01T00:00:01.000Z',
      },
    } as unknown as AgentWorkflowInput);
    expectComplete(upgraded);
    expect(upgraded.agent.toolBackoff).toEqual({ initialMs: 500, coefficient: 2, maximumMs: 50_000, maximumAttempts: 4 });
    expect(upgraded.agent.retryUnknownOutcomes).toBe(false);
    expect(upgraded.carried).toMatchObject({
      previousModelCallCount: 0,
      approvals: [],
      delegation: { conversations: [], updates: {} },
      eventLog: { lastSeq: 3 },
      usage: { promptTokens: 1, completionTokens: 2 },
    });
  });

  test('older tasks keep their heartbeat timeout for local tools too (0.3.0 toolHeartbeatTimeoutMs)', () => {
    for (const { input } of inputs) {
      const upgraded = upgradeWorkflowInput(input);
      expect(upgraded.agent.toolHeartbeatTimeoutMs).toBe(upgraded.agent.heartbeatTimeoutMs);
      expect(upgraded.agent.heartbeatTimeoutMs).toBe(input.agent.heartbeatTimeoutMs ?? 20_000);
    }
    const { input } = inputs[0] as { input: AgentWorkflowInput };
    const withOwn = upgradeWorkflowInput({ ...input, agent: { ...input.agent, heartbeatTimeoutMs: 4_000, toolHeartbeatTimeoutMs: 9_000 } });
    expect(withOwn.agent).toMatchObject({ heartbeatTimeoutMs: 4_000, toolHeartbeatTimeoutMs: 9_000 });
    const { heartbeatTimeoutMs: _dropped, ...withoutHeartbeat } = input.agent;
    expect(upgradeWorkflowInput({ ...input, agent: withoutHeartbeat as AgentWorkflowInput['agent'] }).agent).toMatchObject({
      heartbeatTimeoutMs: 20_000,
      toolHeartbeatTimeoutMs: 20_000,
    });
  });

  test('older tasks get no stuck detection, no hooks and an empty stuck state (0.2.0 fields)', () => {
    for (const { input } of inputs.filter(({ set }) => set === '0.1.0')) {
      const upgraded = upgradeWorkflowInput(input);
      expect(upgraded.agent.stuck).toBeUndefined();
      expect(upgraded.agent.hooks).toEqual([]);
      expect(upgraded.agent.hookRetry).toBeUndefined();
      if (upgraded.carried) expect(upgraded.carried.stuck).toEqual({ calls: [], nudged: false });
    }
    const fresh = initialTaskState(upgradeWorkflowInput((inputs[0] as { input: AgentWorkflowInput }).input));
    expect(fresh.stuck).toEqual({ calls: [], nudged: false });
  });

  test('keeps the stuck settings, hooks and stuck state a newer task carries', () => {
    const { input } = inputs.find(({ input: candidate }) => candidate.carried) as { input: AgentWorkflowInput };
    const stuck = { calls: [{ fingerprint: 'abc.3', toolName: 'lookup', streak: 2 }], results: { fingerprint: 'def.9', streak: 1 }, nudged: true };
    const upgraded = upgradeWorkflowInput({
      ...input,
      agent: { ...input.agent, stuck: { threshold: 4, policy: 'retry', escalationTimeoutMs: 1000 }, hooks: ['onComplete'] },
      carried: { ...(input.carried as CarriedTaskState), stuck },
    });
    expect(upgraded.agent.stuck).toEqual({ threshold: 4, policy: 'retry', escalationTimeoutMs: 1000 });
    expect(upgraded.agent.hooks).toEqual(['onComplete']);
    expect(upgraded.carried?.stuck).toEqual(stuck);
  });

  test('tasks of older code run without search-attribute upserts and without an owner', () => {
    for (const { input } of inputs) {
      const upgraded = upgradeWorkflowInput(input);
      expect(upgraded.searchAttributes).toBe(input.searchAttributes ?? false);
      expect(upgraded.tenantId).toBe(input.tenantId);
      expect(upgraded.userId).toBe(input.userId);
    }
    const { input } = inputs[0] as { input: AgentWorkflowInput };
    const { searchAttributes: _flag, tenantId: _tenant, userId: _user, ...withoutThem } = input;
    const upgraded = upgradeWorkflowInput(withoutThem as AgentWorkflowInput);
    expect(upgraded.searchAttributes).toBe(false);
    expect('tenantId' in upgraded).toBe(false);
    expect('userId' in upgraded).toBe(false);
    expect(upgradeWorkflowInput({ ...input, searchAttributes: true, tenantId: 'acme', userId: 'ann' })).toMatchObject({
      searchAttributes: true,
      tenantId: 'acme',
      userId: 'ann',
    });
  });

  test('refuses state written by a newer version, so the task waits for an upgraded worker', () => {
    const { input } = inputs[0] as { input: AgentWorkflowInput };
    expect(() => upgradeWorkflowInput({ ...input, schemaVersion: TASK_STATE_SCHEMA_VERSION + 1 })).toThrow(/newer zap-agents/);
  });
});
