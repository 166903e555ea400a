/**
 * A real stdio MCP server that crashes mid-call, or hangs past the agent's tool timeout. The call
 * ends as an outcome-unknown result the model sees, the task goes on to its next model call, and
 * the same server answers later calls (restarted after the crash).
 */
import { ScriptedLlmServer, scripted } from '../../../src/testing/scripted-llm-server';
import { Zap, ZapAgent } from '../../../src';
import { captureActivityFailures, type ActivityFailureLog } from '../../fixtures/faults/activity-failure-log';
import { activityExecutions } from '../../fixtures/faults/activity-history';
import { runInProcessWorker, type InProcessWorker } from '../../fixtures/faults/in-process-worker';
import { stdioServerConfig } from '../../fixtures/mcp/stdio-server-command';
import { temporalAddress, uniqueTaskQueue, waitForCompletion } from '../../support/harness';

jest.setTimeout(120_000);

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('MCP server faults', () => {
  let llm: ScriptedLlmServer;
  let zap: Zap;
  let worker: InProcessWorker | undefined;
  let failures: ActivityFailureLog;

  beforeEach(async () => {
    failures = captureActivityFailures();
    llm = await ScriptedLlmServer.start();
    zap = new Zap({
      agents: [
        new ZapAgent({
          name: 'McpFaults',
          prompt: 'You use MCP tools that fail.',
          model: 'scripted-model',
          mcpClients: [stdioServerConfig('tools')],
          timeouts: { tool: '3 seconds', heartbeat: '2 seconds' },
        }),
      ],
      taskQueue: uniqueTaskQueue('mcp-faults'),
      temporal: { address: temporalAddress() },
      llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
    });
    await zap.start();
    worker = await runInProcessWorker(zap);
  });

  afterEach(async () => {
    await (worker ? worker.stop() : zap?.stop());
    worker = undefined;
    await llm?.close();
    failures.restore();
  });

  test('a server that crashes mid-call: outcome unknown, then the next call reaches a restarted server', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_pid_before', name: 'get_pid', arguments: {} }]),
      scripted.toolCalls([{ id: 'call_crash', name: 'crash_server', arguments: {} }]),
      scripted.toolCalls([
        { id: 'call_pid_after', name: 'get_pid', arguments: {} },
        { id: 'call_add', name: 'add', arguments: { a: 2, b: 3 } },
      ]),
      scripted.text('The server came back.'),
    );
    const started = await zap.executeTask({ agentName: 'McpFaults', task: 'Crash the server, then add 2 and 3' });
    const task = await waitForCompletion(zap, started.id, 60_000);

    expect(task.result).toBe('The server came back.');
    const results = Object.fromEntries(task.getToolCalls().map((call) => [call.toolCallId, call.result]));
    const pidBefore = Number(results.call_pid_before);
    const pidAfter = Number(results.call_pid_after);
    expect(pidBefore).toBeGreaterThan(0);
    expect(results.call_crash).toMatch(/^\[Tool call outcome unknown:/);
    expect(results.call_crash).toContain("MCP server 'tools'");
    expect(results.call_crash).toContain('disconnected while tool \'crash_server\' was running');
    // A new server process answered the later calls; the crashed one is gone.
    expect(pidAfter).toBeGreaterThan(0);
    expect(pidAfter).not.toBe(pidBefore);
    expect(isProcessAlive(pidBefore)).toBe(false);
    expect(results.call_add).toBe('5');
    // The model saw the unknown outcome, and was called once per turn: nothing was lost or repeated.
    expect(llm.requests).toHaveLength(4);
    expect(llm.requests[2]!.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_crash', content: results.call_crash });
    const activities = await activityExecutions(zap.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      // Not retried: crash_server is not idempotent and may have acted before the crash.
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'failed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
    ]);
    expect(failures.counts).toEqual({ callToolAtMostOnce: 1 });
  });

  test('a server that hangs past the tool timeout: outcome unknown within the timeout, and the server still answers', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_pid_before', name: 'get_pid', arguments: {} }]),
      scripted.toolCalls([{ id: 'call_slow', name: 'slow_tool', arguments: { ms: 120_000 } }]),
      scripted.toolCalls([
        { id: 'call_pid_after', name: 'get_pid', arguments: {} },
        { id: 'call_add', name: 'add', arguments: { a: 4, b: 5 } },
      ]),
      scripted.text('The slow call timed out; the rest worked.'),
    );
    const started = await zap.executeTask({ agentName: 'McpFaults', task: 'Run the slow tool, then add 4 and 5' });
    const task = await waitForCompletion(zap, started.id, 60_000);

    expect(task.result).toBe('The slow call timed out; the rest worked.');
    const results = Object.fromEntries(task.getToolCalls().map((call) => [call.toolCallId, call.result]));
    expect(results.call_slow).toMatch(/^\[Tool call outcome unknown:/);
    // Our own MCP request timeout (a little under the 3 s activity timeout) ended the call, so the
    // model got a clear reason rather than a bare activity timeout.
    expect(results.call_slow).toContain("MCP tool 'slow_tool' on server 'tools' timed out after 2700 ms");
    expect(results.call_pid_after).toBe(results.call_pid_before);
    expect(results.call_add).toBe('9');
    expect(llm.requests).toHaveLength(4);
    const activities = await activityExecutions(zap.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'failed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
    ]);
    expect(failures.counts).toEqual({ callToolAtMostOnce: 1 });
  });
});
