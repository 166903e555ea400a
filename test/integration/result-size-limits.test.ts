import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import type { StdioMcpClientConfig } from '../../src/mcp/mcp-client-config';
import { scripted } from '../../src/testing/scripted-llm-server';
import { BIG_RESULT_CALL_LOG_VARIABLE, exportedRows } from '../fixtures/mcp/big-result-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Results too large for Temporal (payloads are capped at 2 MB, gRPC messages at 4 MB): a tool's
 * result is cut to the agent's or the tool's bound in the activity, so the call runs once and the
 * model reads a truncation marker; a model answer that cannot be stored fails the task after one
 * request.
 */

const DEFAULT_BOUND = 64 * 1024;
const MARKER = /\[Result truncated: the first [\d,]+ of ([\d,]+) bytes \([\d.]+ [kM]B\) are shown\. Ask for less: a filter, a page, a smaller range\.\]$/;

/** Side effects of the local tools, each with the idempotency key it was applied under. */
const effects: Array<{ tool: string; idempotencyKey: string }> = [];

function exportTool(name: string, bytes: number, options: { idempotent?: boolean; maxResultBytes?: number } = {}) {
  return tool({
    name,
    description: `Exports ${bytes} bytes of rows.`,
    parameters: z.object({}),
    ...options,
    execute: (_args, { idempotencyKey }) => {
      effects.push({ tool: name, idempotencyKey });
      return exportedRows(bytes);
    },
  });
}

/** Fails with a 3 MB message: uncut, such a failure cannot reach Temporal, and the call times out with an unknown outcome. */
const failLoudly = tool({
  name: 'fail_3mb',
  description: 'Fails with a very long message.',
  parameters: z.object({}),
  execute: (_args, { idempotencyKey }) => {
    effects.push({ tool: 'fail_3mb', idempotencyKey });
    throw new Error(exportedRows(3_000_000));
  },
});

const BIG_RESULT_SERVER_FILE = path.join(__dirname, '../fixtures/mcp/big-result-server.ts');

function bigResultServerConfig(name: string, callLog: string): StdioMcpClientConfig {
  return {
    name,
    command: process.execPath,
    args: ['--import', 'tsx', BIG_RESULT_SERVER_FILE],
    cwd: path.resolve(__dirname, '../..'),
    env: { [BIG_RESULT_CALL_LOG_VARIABLE]: callLog },
  };
}

/** Short timeouts and backoffs (the default 10 model attempts kept), so repeated calls show within the test's time. */
const QUICK = {
  timeouts: { tool: '15 seconds', heartbeat: '3 seconds' },
  retry: { llm: { initialInterval: '100 ms', maximumInterval: '200 ms' }, tool: { initialInterval: '100 ms' } },
} as const;

describe('result size limits', () => {
  let harness: Harness;
  let scratch: string;
  let callLog: string;
  let narrowCallLog: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'zap-result-size-'));
    callLog = path.join(scratch, 'mcp-calls.log');
    narrowCallLog = path.join(scratch, 'narrow-mcp-calls.log');
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Exporter',
          prompt: 'Export what is asked.',
          model: 'scripted-model',
          ...QUICK,
          tools: [
            exportTool('export_3mb', 3_000_000),
            exportTool('export_5mb', 5_000_000),
            exportTool('export_5mb_idempotent', 5_000_000, { idempotent: true }),
            exportTool('export_1mb', 1_000_000, { maxResultBytes: 1024 * 1024 }),
            exportTool('export_1mb_default', 1_000_000),
            failLoudly,
          ],
          mcpClients: [bigResultServerConfig('exports', callLog)],
        }),
        new ZapAgent({
          name: 'NarrowExporter',
          prompt: 'Export what is asked.',
          model: 'scripted-model',
          ...QUICK,
          maxToolResultBytes: 8 * 1024,
          mcpClients: [bigResultServerConfig('narrow-exports', narrowCallLog)],
        }),
        new ZapAgent({ name: 'Talker', prompt: 'Answer.', model: 'scripted-model', ...QUICK }),
      ],
    });
  });

  afterAll(async () => {
    await harness?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(() => {
    harness.llm.reset();
    effects.length = 0;
  });

  /** Runs one tool call and an answer; returns the task and the tool result the model read. */
  async function runToolCall(name: string, args: Record<string, unknown> = {}, agentName = 'Exporter') {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_1', name, arguments: args }]), scripted.text('Exported.'));
    const started = await harness.zap.executeTask({ agentName, task: `Run ${name}` });
    const task = await waitForCompletion(harness.zap, started.id, 45_000);
    const lastMessage = harness.llm.requests[1]?.body.messages.at(-1) as { role: string; content: string } | undefined;
    expect(lastMessage?.role).toBe('tool');
    return { taskId: started.id, task, seen: lastMessage?.content ?? '' };
  }

  function expectTruncated(seen: string, originalBytes: number, bound = DEFAULT_BOUND): void {
    expect(Buffer.byteLength(seen)).toBeLessThanOrEqual(bound);
    expect(seen).toMatch(MARKER);
    expect(seen.match(MARKER)?.[1]).toBe(originalBytes.toLocaleString('en-US'));
    expect(exportedRows(originalBytes).startsWith(seen.slice(0, seen.indexOf('\n\n[Result truncated')))).toBe(true);
  }

  test('a non-idempotent local tool returning 3 MB runs once and the model reads the truncation marker', async () => {
    const { taskId, task, seen } = await runToolCall('export_3mb');
    expect(effects).toEqual([{ tool: 'export_3mb', idempotencyKey: `${taskId}/call_1` }]);
    expectTruncated(seen, 3_000_000);
    expect(task.getToolCalls()[0]?.result).toBe(seen);
    expect(task.result).toBe('Exported.');
    expect(harness.llm.requestCount()).toBe(2);
  });

  test.each([
    ['a non-idempotent', 'export_5mb'],
    ['an idempotent', 'export_5mb_idempotent'],
  ])('%s local tool returning 5 MB (over gRPC’s 4 MB) runs once', async (_kind, name) => {
    const { taskId, seen } = await runToolCall(name);
    expect(effects).toEqual([{ tool: name, idempotencyKey: `${taskId}/call_1` }]);
    expectTruncated(seen, 5_000_000);
  });

  test('a 3 MB result of a real MCP server: one tools/call, and the model reads the marker', async () => {
    const { taskId, seen } = await runToolCall('export_rows', { bytes: 3_000_000 });
    expect(readFileSync(callLog, 'utf8')).toBe(`${taskId}/call_1\n`);
    expectTruncated(seen, 3_000_000);
  });

  test('a 1 MB result reaches the model whole under a per-tool bound of 1 MiB, cut to 64 KiB without one', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_wide', name: 'export_1mb', arguments: {} },
        { id: 'call_default', name: 'export_1mb_default', arguments: {} },
      ]),
      scripted.text('Exported.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Exporter', task: 'Export both' });
    await waitForCompletion(harness.zap, started.id, 45_000);
    const [wide, narrow] = (harness.llm.requests[1]?.body.messages ?? []).slice(-2) as Array<{ content: string }>;
    expect(wide?.content).toBe(exportedRows(1_000_000));
    expectTruncated(narrow?.content ?? '', 1_000_000);
    expect(effects).toHaveLength(2);
  });

  test("an MCP tool's result is cut to its agent's maxToolResultBytes", async () => {
    const { taskId, seen } = await runToolCall('export_rows', { bytes: 100_000 }, 'NarrowExporter');
    expect(readFileSync(narrowCallLog, 'utf8')).toBe(`${taskId}/call_1\n`);
    expectTruncated(seen, 100_000, 8 * 1024);
  });

  test('a tool failing with a 3 MB message: the model reads the cut message, not an unknown outcome', async () => {
    const { seen } = await runToolCall('fail_3mb');
    expect(seen).toMatch(/^Error: Tool fail_3mb failed: row,order-123456/);
    expect(seen).toMatch(/\[Message truncated: the first [\d,]+ of 3,000,022 bytes are shown\.\]$/);
    expect(Buffer.byteLength(seen)).toBeLessThanOrEqual(16 * 1024 + 'Error: '.length);
    // A failure the tool reported is retried by the tool policy (3 attempts), each one reported.
    expect(effects).toHaveLength(3);
  });

  test('a model answer too large to store is requested once and fails the task with its size', async () => {
    harness.llm.enqueue(scripted.text('y'.repeat(3_000_000)));
    const started = await harness.zap.executeTask({ agentName: 'Talker', task: 'Say a lot' });
    const task = await waitForTask(harness.zap, started.id, (t) => t.status === 'failed' || t.status === 'completed', 45_000);
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/model answer of 3,000,\d{3} bytes is over the 1,048,576 bytes/);
    expect(harness.llm.requestCount()).toBe(1);
    const description = await harness.zap.client.workflow.getHandle(started.id).describe();
    expect(description.status.name).toBe('FAILED');
  });
});
