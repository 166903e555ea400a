import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import { errorFromFailure } from '../../src/client/error-from-failure';
import { OutputValidationError } from '../../src/core/errors';
import type { TaskEvent } from '../../src/core/events';
import { outputInstructions } from '../../src/core/structured-output';
import { scripted, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import { AgentRouter, lastMessage } from '../support/agent-router';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * Structured output against the real dev server and the scripted model over HTTP: the request
 * asks for JSON (response_format where the model supports it, else the schema in the system
 * prompt), the worker validates each final answer, an invalid one gets repair turns, and a task
 * that cannot answer in its schema fails with OutputValidationError.
 */
const Verdict = z.object({ approved: z.boolean(), reason: z.string() });
const Summary = z.object({ title: z.string(), points: z.array(z.string()) });
const Score = z.object({ score: z.number().int() });

const lookupPullRequest = tool({
  name: 'lookup_pull_request',
  description: 'The diff of a pull request',
  parameters: z.object({ number: z.number() }),
  execute: ({ number }) => `PR ${number}: renames a variable`,
});

const agents = [
  // A model the capability table does not know, declared able: json_schema mode.
  new ZapAgent({
    name: 'Reviewer',
    prompt: 'You review pull requests.',
    model: 'scripted-model',
    supportsStructuredOutput: true,
    output: Verdict,
    tools: [lookupPullRequest],
  }),
  // Unknown to the table and not declared: instruction mode.
  new ZapAgent({ name: 'Summarizer', prompt: 'You summarize.', model: 'scripted-model', output: Summary }),
  new ZapAgent({ name: 'Strict', prompt: 'You grade strictly.', model: 'scripted-model', output: Score, maxOutputRepairTurns: 1 }),
  new ZapAgent({ name: 'Plain', prompt: 'You answer plainly.', model: 'scripted-model', supportsStructuredOutput: true }),
];

describe('structured output', () => {
  let harness: Harness;
  const router = new AgentRouter();

  beforeAll(async () => {
    harness = await startHarness({ agents });
    harness.llm.setHandler(router.handler);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  /** The model requests made while `run` ran. */
  async function requestsDuring(run: () => Promise<void>): Promise<ScriptedRequest[]> {
    const before = harness.llm.requestCount();
    await run();
    return harness.llm.requests.slice(before);
  }

  async function eventsOf(taskId: string): Promise<TaskEvent[]> {
    const events: TaskEvent[] = [];
    for await (const event of harness.zap.streamTask({ taskId, since: 0, includeTokens: false, includeThinking: true })) events.push(event);
    return events;
  }

  const settled = (taskId: string) => waitForTask(harness.zap, taskId, (task) => task.status === 'completed' || task.status === 'failed');

  test('json_schema mode: every model call carries response_format with the schema; the output is parsed and typed', async () => {
    router.enqueue(
      'You review pull requests.',
      scripted.toolCalls([{ name: 'lookup_pull_request', arguments: { number: 12 } }]),
      scripted.json({ approved: true, reason: 'A harmless rename.' }),
    );
    let taskId = '';
    const requests = await requestsDuring(async () => {
      const started = await harness.zap.executeTask({ agentName: 'Reviewer', task: 'Review PR 12' });
      taskId = started.id;
      expect((await settled(taskId)).status).toBe('completed');
    });

    expect(requests).toHaveLength(2);
    const expectedSchema = z.toJSONSchema(Verdict, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
    delete expectedSchema.$schema;
    for (const request of requests) {
      expect(request.responseFormat).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: expectedSchema, strict: true } });
      // No addendum in json_schema mode: the system prompt is the agent's.
      expect(request.body.messages[0]).toEqual({ role: 'system', content: 'You review pull requests.' });
    }

    const task = await harness.zap.getTask(taskId, { outputSchema: Verdict });
    expect(task.output).toEqual({ approved: true, reason: 'A harmless rename.' });
    const approved: boolean | undefined = task.output?.approved;
    expect(approved).toBe(true);
    expect(task.result).toBe('{"approved":true,"reason":"A harmless rename."}');
    expect(task.getToolCalls()).toMatchObject([{ name: 'lookup_pull_request', result: 'PR 12: renames a variable' }]);
    // Without a schema the output is the JSON the worker validated (unknown).
    expect((await harness.zap.getTask(taskId)).output).toEqual({ approved: true, reason: 'A harmless rename.' });
    expect((await harness.zap.getTaskStatus(taskId)).output).toEqual({ approved: true, reason: 'A harmless rename.' });
  });

  test('instruction mode: the schema is in the system prompt, no response_format; a ```json fence is tolerated', async () => {
    router.enqueue('You summarize.', scripted.text('```json\n{"title":"Q3","points":["revenue up","costs flat"]}\n```'));
    let taskId = '';
    const requests = await requestsDuring(async () => {
      taskId = (await harness.zap.executeTask({ agentName: 'Summarizer', task: 'Summarize the Q3 report' })).id;
      expect((await settled(taskId)).status).toBe('completed');
    });

    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.responseFormat).toBeUndefined();
    expect(request.body).not.toHaveProperty('response_format');
    const settings = agents[1]!.taskSettings(undefined).output!;
    expect(settings.mode).toBe('instructions');
    expect(request.body.messages[0].content).toBe(`You summarize.\n\n${outputInstructions(settings)}`);
    expect(request.body.messages[0].content).toContain('Answer with one JSON object only');
    expect(request.body.messages[0].content).toContain('"points":{"type":"array","items":{"type":"string"}}');

    const task = await harness.zap.getTask(taskId, { outputSchema: Summary });
    expect(task.output).toEqual({ title: 'Q3', points: ['revenue up', 'costs flat'] });
    // The stored conversation keeps the agent's own prompt: the addendum is added per model call.
    expect(task.history[0]).toEqual({ role: 'system', content: 'You summarize.' });
  });

  test('an invalid answer is repaired: the model is shown the validation error and asked again', async () => {
    router.enqueue('You review pull requests.', scripted.json({ approved: 'yes' }), scripted.json({ approved: false, reason: 'Missing tests.' }));
    let taskId = '';
    const requests = await requestsDuring(async () => {
      taskId = (await harness.zap.executeTask({ agentName: 'Reviewer', task: 'Review PR 13' })).id;
      expect((await settled(taskId)).status).toBe('completed');
    });

    expect(requests).toHaveLength(2);
    const repair = lastMessage(requests[1]!);
    expect(repair.role).toBe('user');
    expect(repair.content).toMatch(/^Your previous answer does not match the required output schema:/);
    expect(repair.content).toContain('- approved: Invalid input: expected boolean, received string');
    expect(repair.content).toContain('- reason: Invalid input: expected string, received undefined');
    expect(requests[1]!.responseFormat?.type).toBe('json_schema');

    const task = await harness.zap.getTask(taskId, { outputSchema: Verdict });
    expect(task.output).toEqual({ approved: false, reason: 'Missing tests.' });
    expect(task.outputError).toBeUndefined();
    expect(task.history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    // The repair was a model call of its own: two iterations of the one request.
    const thinking = (await eventsOf(taskId)).filter((event) => event.type === 'thinking');
    expect(thinking).toMatchObject([{ iteration: 1 }, { iteration: 2 }]);
  });

  test('a task that still answers outside its schema after its repairs fails with OutputValidationError', async () => {
    router.enqueue('You grade strictly.', scripted.text('Seven out of ten.'), scripted.json({ score: 7.5 }));
    let taskId = '';
    const requests = await requestsDuring(async () => {
      taskId = (await harness.zap.executeTask({ agentName: 'Strict', task: 'Grade this essay' })).id;
      expect((await settled(taskId)).status).toBe('failed');
    });
    // One answer and one repair (maxOutputRepairTurns: 1), counted at the model server.
    expect(requests).toHaveLength(2);
    expect(lastMessage(requests[1]!).content).toContain('The answer is not valid JSON');

    const task = await harness.zap.getTask(taskId, { outputSchema: Score });
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/^Agent 'Strict' gave no answer matching its output schema \(2 attempt\(s\), 1 repair turn\(s\)\)/);
    expect(task.outputError).toBeInstanceOf(OutputValidationError);
    expect(task.outputError).toMatchObject({
      code: 'OUTPUT_VALIDATION',
      taskId,
      rawAnswer: '{"score":7.5}',
      issues: [{ code: 'invalid_type', path: ['score'] }],
    });
    expect(task.output).toBeUndefined();

    // The same error from the workflow's failure, and an error event last.
    const failure = await harness.zap.client.workflow.getHandle(taskId).result().catch((error: unknown) => error);
    const mapped = errorFromFailure(failure, { taskId });
    expect(OutputValidationError.isInstance(mapped)).toBe(true);
    expect(mapped).toMatchObject({ rawAnswer: '{"score":7.5}', issues: [{ path: ['score'] }] });
    expect((await eventsOf(taskId)).at(-1)).toMatchObject({ type: 'error', error: task.error });
  });

  test('a task that failed its schema can be retried: the failed call is made again, with repairs afresh', async () => {
    router.enqueue('You grade strictly.', scripted.text('B+'), scripted.text('A-'));
    const { id } = await harness.zap.executeTask({ agentName: 'Strict', task: 'Grade this poem' });
    expect((await settled(id)).status).toBe('failed');

    router.enqueue('You grade strictly.', scripted.json({ score: 8 }));
    const requests = await requestsDuring(async () => {
      await harness.zap.retryTask(id);
      await waitForTask(harness.zap, id, (task) => task.status === 'completed');
    });
    expect(requests).toHaveLength(1);
    const task = await harness.zap.getTask(id, { outputSchema: Score });
    expect(task.output).toEqual({ score: 8 });
    expect(task.outputError).toBeUndefined();
  });

  test("a task's outputSchema wins over the agent's output, and types the task", async () => {
    router.enqueue('You review pull requests.', scripted.json({ score: 4 }));
    let taskId = '';
    const requests = await requestsDuring(async () => {
      const started = await harness.zap.executeTask({ agentName: 'Reviewer', task: 'Score PR 14', outputSchema: Score });
      taskId = started.id;
      expect(started.output).toBeUndefined();
      expect((await settled(taskId)).status).toBe('completed');
    });
    const schema = requests[0]!.responseFormat?.json_schema?.schema;
    expect(schema).toMatchObject({ properties: { score: { type: 'integer' } }, required: ['score'] });
    const task = await harness.zap.getTask(taskId, { outputSchema: Score });
    const score: number | undefined = task.output?.score;
    expect(score).toBe(4);
  });

  test('a per-task schema on an agent without one; refinements are checked by the client that holds the schema', async () => {
    const Even = z.object({ n: z.number().refine((value) => value % 2 === 0, 'must be even') });
    router.enqueue('You answer plainly.', scripted.json({ n: 3 }));
    const { id } = await harness.zap.executeTask({ agentName: 'Plain', task: 'Pick a number', outputSchema: Even });
    // The worker checks the JSON Schema (a number): the answer stands.
    expect((await settled(id)).status).toBe('completed');
    const task = await harness.zap.getTask(id, { outputSchema: Even });
    expect(task.output).toBeUndefined();
    expect(task.outputError).toMatchObject({ rawAnswer: '{"n":3}', issues: [{ path: ['n'], message: 'must be even' }] });
    expect((await harness.zap.getTask(id)).output).toEqual({ n: 3 });
  });

  test('a follow-up on a task with an output schema answers in the schema too', async () => {
    router.enqueue('You review pull requests.', scripted.json({ approved: true, reason: 'Fine.' }));
    const { id } = await harness.zap.executeTask({ agentName: 'Reviewer', task: 'Review PR 15' });
    await waitForTask(harness.zap, id, (task) => task.status === 'completed');

    router.enqueue('You review pull requests.', scripted.text('Not any more.'), scripted.json({ approved: false, reason: 'The CI is red.' }));
    const requests = await requestsDuring(async () => {
      await harness.zap.executeTask({ followUpOnTask: id, task: 'The CI just failed. Still approved?' });
      await waitForTask(harness.zap, id, (task) => task.status === 'completed' && task.result !== '{"approved":true,"reason":"Fine."}');
    });
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request.responseFormat?.type).toBe('json_schema');
    const task = await harness.zap.getTask(id, { outputSchema: Verdict });
    expect(task.output).toEqual({ approved: false, reason: 'The CI is red.' });
  });
});
