/**
 * Heartbeat settings: the worker's throttle default (half the shortest heartbeat timeout of its
 * agents, at most 2 s; the user's value wins), a tool's own `heartbeat`, and which heartbeat
 * timeout the workflow gives a tool call (recorded hints of older results keep the old one).
 */
import { z } from 'zod';
import { tool } from '../../src/agent/tool';
import { ZapAgent } from '../../src/agent/zap-agent';
import type { AgentTaskSettings } from '../../src/core/agent-settings';
import { ZapConfigurationError } from '../../src/core/errors';
import { defaultHeartbeatThrottleIntervalMs, shortestHeartbeatTimeoutMs, withDefaultHeartbeatThrottle } from '../../src/worker/heartbeat-options';
import { toolHeartbeatTimeoutMs } from '../../src/workflows/activity-proxies';

const lookup = { name: 'lookup', description: 'Looks up', parameters: z.object({}), execute: () => 'found' };

describe('heartbeat throttle default', () => {
  test('is half the shortest heartbeat timeout of the agents, at most 2 s', () => {
    const plain = new ZapAgent({ name: 'Plain', prompt: 'p' });
    expect(shortestHeartbeatTimeoutMs([plain])).toBe(4_000);
    expect(defaultHeartbeatThrottleIntervalMs(4_000)).toBe(2_000);
    expect(withDefaultHeartbeatThrottle({}, [plain])).toEqual({ maxHeartbeatThrottleInterval: 2_000 });

    const quick = new ZapAgent({ name: 'Quick', prompt: 'p', timeouts: { toolHeartbeat: '1 second' } });
    expect(shortestHeartbeatTimeoutMs([plain, quick])).toBe(1_000);
    expect(withDefaultHeartbeatThrottle({}, [plain, quick])).toEqual({ maxHeartbeatThrottleInterval: 500 });

    const slow = new ZapAgent({ name: 'Slow', prompt: 'p', timeouts: { heartbeat: '1 minute', toolHeartbeat: '1 minute' } });
    expect(withDefaultHeartbeatThrottle({}, [slow])).toEqual({ maxHeartbeatThrottleInterval: 2_000 });
  });

  test("the user's maxHeartbeatThrottleInterval wins", () => {
    const plain = new ZapAgent({ name: 'Plain', prompt: 'p' });
    const options = { maxHeartbeatThrottleInterval: '30 seconds', maxCachedWorkflows: 5 };
    expect(withDefaultHeartbeatThrottle(options, [plain])).toBe(options);
  });
});

describe('tool heartbeat timeouts', () => {
  test('a tool may set its own heartbeat, not with localActivity', () => {
    expect(tool(lookup).heartbeatMs).toBeUndefined();
    expect(tool({ ...lookup, heartbeat: '30 seconds' }).heartbeatMs).toBe(30_000);
    expect(() => tool({ ...lookup, heartbeat: 'soon' })).toThrow(/tool 'lookup': heartbeat/);
    expect(() => tool({ ...lookup, heartbeat: 0 })).toThrow(ZapConfigurationError);
    expect(() => tool({ ...lookup, idempotent: true, localActivity: true, heartbeat: '30 seconds' })).toThrow(/no effect with localActivity/);
  });

  test("the workflow gives local tools the agent's toolHeartbeat or their own, MCP tools and older hints the model's", () => {
    const agent = { heartbeatTimeoutMs: 4_000, toolHeartbeatTimeoutMs: 9_000 } as AgentTaskSettings;
    expect(toolHeartbeatTimeoutMs(agent, { idempotent: true, local: true })).toBe(9_000);
    expect(toolHeartbeatTimeoutMs(agent, { idempotent: false, local: true, heartbeatTimeoutMs: 30_000 })).toBe(30_000);
    // An MCP tool, a result recorded before 0.3.0 (no `local`), no hint at all.
    expect(toolHeartbeatTimeoutMs(agent, { idempotent: true })).toBe(4_000);
    expect(toolHeartbeatTimeoutMs(agent, undefined)).toBe(4_000);
    expect(toolHeartbeatTimeoutMs({ heartbeatTimeoutMs: 20_000 } as AgentTaskSettings, { idempotent: true, local: true })).toBe(20_000);
  });

  test("an agent's task settings carry toolHeartbeat", () => {
    const agent = new ZapAgent({ name: 'Tools', prompt: 'p', timeouts: { toolHeartbeat: '12 seconds' } });
    expect(agent.taskSettings(undefined)).toMatchObject({ heartbeatTimeoutMs: 4_000, toolHeartbeatTimeoutMs: 12_000 });
  });
});
