import { ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Cheap questions cost a cheap read: pending approvals, a follow-up and a follow-up stream ask the
 * workflow for its status only (one small query), never for its whole state or its conversation,
 * however long the conversation is. Counted at the client's gRPC service.
 */
describe('cheap reads', () => {
  let harness: Harness;
  const queries: string[] = [];

  beforeAll(async () => {
    harness = await startHarness({
      agents: [new ZapAgent({ name: 'Chatty', prompt: 'Chat.', model: 'scripted-model' })],
    });
    const service = harness.zap.client.workflowService;
    const queryWorkflow = service.queryWorkflow.bind(service);
    service.queryWorkflow = ((request: Parameters<typeof queryWorkflow>[0]) => {
      queries.push(request.query?.queryType ?? '?');
      return queryWorkflow(request);
    }) as typeof service.queryWorkflow;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('approvals, follow-ups and follow-up streams read the status only, on a long conversation', async () => {
    harness.llm.setHandler((request) => scripted.text(`answer ${request.body.messages.length} ${'a'.repeat(2000)}`));
    const started = await harness.zap.executeTask({ agentName: 'Chatty', task: 'Turn 0' });
    await waitForCompletion(harness.zap, started.id);
    for (let turn = 1; turn < 20; turn++) {
      await harness.zap.executeTask({ followUpOnTask: started.id, task: `Turn ${turn}` });
      await waitForTask(harness.zap, started.id, (task) => task.status === 'completed' && task.history.length === 2 + 2 * turn + 1);
    }

    queries.length = 0;
    expect(await harness.zap.getPendingApprovals(started.id)).toEqual([]);
    expect(queries).toEqual(['zap.getTaskStatus']);

    queries.length = 0;
    const followed = await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Turn 20' });
    expect(followed.status).toBe('thinking');
    expect(queries).toEqual(['zap.getTaskStatus']);
    await waitForTask(harness.zap, started.id, (task) => task.status === 'completed' && task.history.length === 43);

    queries.length = 0;
    const events = [];
    for await (const event of harness.zap.streamTask({ followUpOnTask: started.id, task: 'Turn 21', includeTokens: false })) {
      events.push(event.type);
    }
    expect(events.at(-1)).toBe('completed');
    expect(queries).not.toContain('zap.getTaskState');
    expect(queries).not.toContain('zap.getMessages');
    expect(queries.filter((query) => query === 'zap.getTaskStatus').length).toBeLessThanOrEqual(2);
  });
});
