import { temporal } from '@temporalio/proto';
import { ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../support/harness';

const MESSAGE_BYTES = 4 * 1024;
const TEMPORAL_HISTORY_LIMIT_BYTES = 50 * 1024 * 1024;

function filler(label: string): string {
  return `${label} `.padEnd(MESSAGE_BYTES, 'x');
}

/** Sends `turns` follow-ups one after another, each answered before the next. */
async function converse(harness: Harness, taskId: string, turns: number, firstTurn = 1): Promise<void> {
  for (let turn = firstTurn; turn <= turns; turn++) {
    await harness.zap.executeTask({ followUpOnTask: taskId, task: filler(`question ${turn}`) });
    await waitForTask(harness.zap, taskId, (task) => task.status === 'completed' && task.result?.startsWith(`answer ${turn} `) === true);
  }
}

/** A harness whose scripted model answers every request with a numbered 4 KB answer. */
async function startChattyHarness(zap: Parameters<typeof startHarness>[0]['zap'] = {}): Promise<Harness> {
  let answers = 0;
  return startHarness({
    agents: [new ZapAgent({ name: 'Chatty', prompt: 'You chat.', model: 'scripted-model' })],
    llm: { handler: () => scripted.text(filler(`answer ${++answers}`)) },
    zap,
  });
}

/** Starts a task, waits for its first answer, then converses up to `turns`; returns the task id. */
async function startConversation(harness: Harness, turns: number): Promise<string> {
  const started = await harness.zap.executeTask({ agentName: 'Chatty', task: filler('question 1') });
  await waitForTask(harness.zap, started.id, (task) => task.result?.startsWith('answer 1 ') === true);
  await converse(harness, started.id, turns, 2);
  return started.id;
}

async function historyOf(harness: Harness, workflowId: string, runId?: string) {
  return harness.zap.client.workflow.getHandle(workflowId, runId).fetchHistory();
}

describe('long conversations', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startChattyHarness();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('a 120-turn conversation with 4 KB messages keeps history linear and far below the limit', async () => {
    const started = { id: await startConversation(harness, 120) };

    const task = await harness.zap.getTask(started.id);
    expect(task.history).toHaveLength(1 + 2 * 120);
    expect(task.turnCount()).toBe(120);

    const history = await historyOf(harness, started.id);
    const historyBytes = temporal.api.history.v1.History.encode(history).finish().length;
    const conversationBytes = 240 * MESSAGE_BYTES;
    // Every activity input is small: the conversation is never passed to the model activity, only
    // the newest messages when they fit the 4 KB inline budget (these 4 KB turns do not).
    const scheduled = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes);
    const largestInput = Math.max(
      ...scheduled.map((event) =>
        (event.activityTaskScheduledEventAttributes?.input?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0),
      ),
    );
    console.log(
      `120 turns × 4 KB: history ${historyBytes} bytes in ${history.events?.length} events; ` +
        `conversation ${conversationBytes} bytes; ratio ${(historyBytes / conversationBytes).toFixed(2)}; ` +
        `largest activity input ${largestInput} bytes`,
    );
    expect(scheduled).toHaveLength(120);
    expect(largestInput).toBeLessThan(4096 + 1024);
    // Each message is stored about once: history is conversation plus a small constant per turn.
    expect(historyBytes).toBeLessThan(conversationBytes * 1.5);
    expect(historyBytes).toBeLessThan(TEMPORAL_HISTORY_LIMIT_BYTES / 10);
  }, 180_000);
});

describe('continue-as-new', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startChattyHarness({ continueAsNewAfterEvents: 40 });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('carries the whole task into new runs: same id, queries and follow-ups unaffected', async () => {
    const started = { id: await startConversation(harness, 15) };

    const runs = [];
    for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
    const continued = runs.filter((run) => run.status.name === 'CONTINUED_AS_NEW');
    expect(continued.length).toBeGreaterThanOrEqual(1);
    const firstRun = await historyOf(harness, started.id, continued.at(-1)?.runId);
    expect(firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

    const task = await harness.zap.getTask(started.id);
    expect(task.id).toBe(started.id);
    expect(task.status).toBe('completed');
    expect(task.history).toHaveLength(1 + 2 * 15);
    expect(task.history.filter((message) => message.role === 'user').map((m) => String(m.content).split(' ').slice(0, 2).join(' ')))
      .toEqual(Array.from({ length: 15 }, (_, index) => `question ${index + 1}`));
    // Every model call saw the full conversation, across runs.
    expect(harness.llm.requests.at(-1)?.body.messages).toHaveLength(1 + 2 * 15 - 1);
  }, 120_000);
});
