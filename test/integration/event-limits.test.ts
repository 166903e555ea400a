import { z } from 'zod';
import { ZapAgent, tool, type TaskEvent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { startHarness, waitForCompletion, type Harness } from '../support/harness';

const HUGE_RESULT_BYTES = 700 * 1024;

const readArchive = tool({
  name: 'read_archive',
  description: 'Returns a large document',
  parameters: z.object({ part: z.number() }),
  idempotent: true,
  // Past the default 64 KiB bound: these results are meant to be megabytes in the conversation.
  maxResultBytes: 1024 * 1024,
  execute: ({ part }) => `${part}:`.padEnd(HUGE_RESULT_BYTES, 'x'),
});
const lookup = tool({
  name: 'lookup',
  description: 'Looks up a key',
  parameters: z.object({ key: z.string() }),
  idempotent: true,
  execute: ({ key }) => `value-of-${key}`,
});
const archivist = new ZapAgent({ name: 'Archivist', prompt: 'You read archives.', model: 'scripted-model', tools: [readArchive, lookup] });

async function collect(events: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const collected: TaskEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

describe('event log limits', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [archivist] });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('a stream attached from seq 0 to a task with megabytes of tool output gets every event; events carry previews', async () => {
    const rounds = Array.from({ length: 6 }, (_, part) => scripted.toolCalls([{ name: 'read_archive', arguments: { part } }]));
    harness.llm.enqueue(...rounds, scripted.text('read it all'));
    const task = await harness.zap.executeTask({ agentName: 'Archivist', task: 'Read the archive' });
    const done = await waitForCompletion(harness.zap, task.id, 60_000);
    expect(done.result).toBe('read it all');

    // 6 × 700 KB of results: the whole log as it was (full results in events) is over gRPC's 4 MB.
    const events = await collect(harness.zap.streamTask({ taskId: task.id, includeTokens: false }));
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: events.length }, (_, index) => index + 1));
    expect(events[events.length - 1]?.type).toBe('completed');
    const results = events.filter((event): event is Extract<TaskEvent, { type: 'tool_result' }> => event.type === 'tool_result');
    expect(results).toHaveLength(6);
    for (const result of results) {
      expect(result.truncated).toBe(true);
      expect(Buffer.byteLength(result.result)).toBeLessThanOrEqual(2048);
      expect(result.resultBytes).toBeGreaterThan(2048);
    }
    // The conversation keeps whole results; the events query stays small.
    const page = await harness.zap.client.workflow.getHandle(task.id).query(getEventsQuery, 0, {});
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(64 * 1024);
  }, 90_000);

  test('the events query pages by bytes and says when more are held; a stream reads every page', async () => {
    const rounds = Array.from({ length: 12 }, (_, index) => scripted.toolCalls([{ name: 'lookup', arguments: { key: `k${index}` } }]));
    harness.llm.enqueue(...rounds, scripted.text('looked up twelve'));
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const streamed = await collect(harness.zap.streamTask({ agentName: 'Archivist', task: 'Twelve lookups', includeTokens: false }));
      expect(streamed[streamed.length - 1]).toMatchObject({ type: 'completed', result: 'looked up twelve' });
      const handle = harness.zap.client.workflow.getHandle(streamed[0]?.taskId as string);
      const small = await handle.query(getEventsQuery, 0, { maxBytes: 600 });
      expect(small.hasMore).toBe(true);
      expect(small.events.length).toBeGreaterThan(0);
      expect(small.events.length).toBeLessThan(streamed.length);
      const all = await handle.query(getEventsQuery, 0, {});
      expect(all.hasMore).toBe(false);
      expect(all.events.map((event) => event.seq)).toEqual(streamed.map((event) => event.seq));
    } finally {
      process.off('warning', onWarning);
    }
    // Every long-poll used to add an abort listener to one shared signal.
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  }, 90_000);
});

describe('stream abort', () => {
  test('aborting a stream ends it even while its query waits for a worker that never comes', async () => {
    const harness = await startHarness({ agents: [archivist], worker: false });
    try {
      const task = await harness.zap.executeTask({ agentName: 'Archivist', task: 'Nobody runs me' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 1_000);
      const events = await collect(harness.zap.streamTask({ taskId: task.id, includeTokens: false, signal: controller.signal }));
      expect(events).toEqual([]);
      // Without the signal reaching the query, the query's own timeout ended the stream with an error.
      await harness.zap.client.workflow.getHandle(task.id).terminate('test over');
    } finally {
      await harness.stop();
    }
  }, 60_000);
});
