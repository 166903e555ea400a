import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { ApprovalRules, Zap, ZapAgent, tool, type TaskSummary } from '../../src';
import { DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS } from '../../src/core/defaults';
import { ZAP_STATUS_ATTRIBUTE } from '../../src/core/search-attributes';
import { scripted } from '../../src/testing/scripted-llm-server';
import { Patch, RUN_PATCHES } from '../../src/workflows/patches';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * `Patch.CoarseStatusAttribute` against the real dev server: the `thinking` ⇄ `awaiting_tool`
 * flips of every step are published at most once per `DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS` of
 * workflow time, every other status at once, and the run records one patch marker as before.
 * Counts come from the task's history (the commands the workflow issued).
 */

const router = new AgentRouter();
const lookUp = tool({
  name: 'look_up',
  description: 'Looks something up',
  parameters: z.object({ what: z.string() }),
  execute: ({ what }) => `found ${what}`,
});
const transfer = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number() }),
  execute: ({ amount }) => `moved ${amount}`,
});
const agent = new ZapAgent({ name: 'Coarse', prompt: 'Coarse.', model: 'scripted-model', tools: [lookUp, transfer] });

const WORKING = new Set(['thinking', 'awaiting_tool']);

interface StatusUpsert {
  status: string;
  /** Workflow time of the activation that issued it (its workflow task's start). */
  at: number;
}

interface UpsertCounts {
  /** Every `UpsertWorkflowSearchAttributes` event (`ZapStatus` and Core's `TemporalChangeVersion`). */
  all: number;
  status: StatusUpsert[];
  patchMarkers: string[];
}

async function upsertsOf(zap: Zap<any>, taskId: string): Promise<UpsertCounts> {
  const history = await zap.client.workflow.getHandle(taskId).fetchHistory();
  const counts: UpsertCounts = { all: 0, status: [], patchMarkers: [] };
  let activationTime = 0;
  for (const event of history.events ?? []) {
    if (event.workflowTaskStartedEventAttributes) activationTime = timeOf(event);
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      const id = marker.details?.['patch-data']?.payloads?.[0]?.data;
      if (id) counts.patchMarkers.push(JSON.parse(Buffer.from(id).toString('utf8')).id);
    }
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    counts.all += 1;
    const payload = fields[ZAP_STATUS_ATTRIBUTE.name];
    if (payload?.data) counts.status.push({ status: JSON.parse(Buffer.from(payload.data).toString('utf8')), at: activationTime });
  }
  return counts;
}

function timeOf(event: temporal.api.history.v1.IHistoryEvent): number {
  const { seconds, nanos } = event.eventTime ?? {};
  return Number(seconds ?? 0) * 1000 + Math.floor((nanos ?? 0) / 1e6);
}

/** Each upsert changes the value, and two that only flip between working statuses are an interval apart. */
function expectFlipsSpaced(upserts: StatusUpsert[]): void {
  for (let index = 1; index < upserts.length; index += 1) {
    const [previous, current] = [upserts[index - 1]!, upserts[index]!];
    expect(current.status).not.toBe(previous.status);
    if (WORKING.has(previous.status) && WORKING.has(current.status)) {
      expect(current.at - previous.at).toBeGreaterThanOrEqual(DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS);
    }
  }
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`Not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const idsOf = (page: { tasks: TaskSummary[] }): string[] => page.tasks.map((task) => task.taskId);

describe('coarse ZapStatus upserts', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [agent], llm: { handler: router.handler } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => router.reset());

  test('a 3-round task upserts fewer times than it changes status, and lists exactly by its final status', async () => {
    const { zap } = harness;
    const round = (id: string) => scripted.toolCalls([{ id, name: 'look_up', arguments: { what: id } }]);
    router.enqueue('Coarse.', round('a'), round('b'), round('c'), scripted.text('All found.'));
    const task = await zap.executeTask({ agentName: 'Coarse', task: 'Three rounds', tenantId: 'coarse-rounds' });
    await waitForCompletion(zap, task.id);

    const counts = await upsertsOf(zap, task.id);
    // 3 rounds change the status 8 times (thinking, then awaiting_tool and thinking per round,
    // then completed); 0.2.0 upserted each of them, plus one TemporalChangeVersion upsert.
    expect(counts.status.length).toBeLessThan(8);
    expect(counts.all).toBeLessThan(9);
    // Core upserts TemporalChangeVersion once per patch marker: a new run records one, its run
    // patch, which covers this change and the at-most-once activity of its (non-idempotent) tools.
    expect(counts.patchMarkers).toEqual([RUN_PATCHES[0]!.id]);
    expect(RUN_PATCHES[0]!.covers).toEqual(expect.arrayContaining([Patch.CoarseStatusAttribute, Patch.AtMostOnceToolActivity]));
    expect(counts.all).toBe(counts.status.length + counts.patchMarkers.length);
    expect(counts.status[0]?.status).toBe('thinking');
    expect(counts.status.at(-1)?.status).toBe('completed');
    expectFlipsSpaced(counts.status);

    // Final statuses are published at once: the workflow's attribute, and listing (eventually consistent).
    const description = await zap.client.workflow.getHandle(task.id).describe();
    expect(description.typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE)).toBe('completed');
    await eventually(
      () => zap.listTasks({ tenantId: 'coarse-rounds', status: 'completed' }),
      (page) => idsOf(page).includes(task.id),
    );
    expect(idsOf(await zap.listTasks({ tenantId: 'coarse-rounds', status: ['thinking', 'awaiting_tool'] }))).toEqual([]);

    // A follow-up moves it to thinking at once (from completed), then completed again.
    router.enqueue('Coarse.', scripted.text('Again.'));
    await zap.executeTask({ followUpOnTask: task.id, task: 'Once more' });
    await waitForTask(zap, task.id, (current) => current.result === 'Again.');
    const after = await eventually(() => upsertsOf(zap, task.id), (value) => value.status.length === counts.status.length + 2);
    expect(after.status.slice(-2).map(({ status }) => status)).toEqual(['thinking', 'completed']);
  }, 60_000);

  test('a flip is published at the first workflow task after the interval, and only when it still holds', async () => {
    const { zap } = harness;
    // Each model call outlasts the interval, so the workflow task that sees its tool calls publishes
    // awaiting_tool. The thinking in between (deferred) is over by then: awaiting_tool again is not
    // upserted twice.
    const slowRound = (id: string) =>
      scripted.toolCalls([{ id, name: 'look_up', arguments: { what: id } }], { delayMs: DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS + 500 });
    router.enqueue('Coarse.', slowRound('slow_1'), slowRound('slow_2'), scripted.text('Found.'));
    const task = await zap.executeTask({ agentName: 'Coarse', task: 'Two slow rounds' });
    await waitForCompletion(zap, task.id);
    const { status } = await upsertsOf(zap, task.id);
    expect(status.slice(0, 2).map(({ status: value }) => value)).toEqual(['thinking', 'awaiting_tool']);
    expect(status.at(-1)?.status).toBe('completed');
    expectFlipsSpaced(status);
  }, 60_000);

  test('awaiting_approval is published at once, and so is the status after the decision', async () => {
    const { zap } = harness;
    router.enqueue(
      'Coarse.',
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 5 } }]),
      scripted.text('Moved.'),
    );
    const task = await zap.executeTask({
      agentName: 'Coarse',
      task: 'Transfer',
      tenantId: 'coarse-approval',
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
    });
    const waitingTask = await waitForTask(zap, task.id, (current) => current.status === 'awaiting_approval');
    const waiting = await upsertsOf(zap, task.id);
    expect(waiting.status.map(({ status }) => status)).toEqual(['thinking', 'awaiting_approval']);
    await eventually(
      () => zap.listTasks({ tenantId: 'coarse-approval', status: 'awaiting_approval' }),
      (page) => idsOf(page).includes(task.id),
    );

    const [pending] = await waitingTask.getPendingApprovals();
    await zap.approve(task.id, pending!.id);
    await waitForCompletion(zap, task.id);
    const done = await upsertsOf(zap, task.id);
    // After the decision: awaiting_tool (from awaiting_approval, at once), then completed.
    expect(done.status.slice(2).map(({ status }) => status).at(-1)).toBe('completed');
    expect(done.status[2]?.status).toBe('awaiting_tool');
    expectFlipsSpaced(done.status);
  }, 60_000);
});
