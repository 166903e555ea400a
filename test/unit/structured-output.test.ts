import { readFileSync } from 'node:fs';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { ConversationReader } from '../../src/activities/conversation-reader';
import { createOutputValidator } from '../../src/activities/output-validation';
import { compileOutputSchema, outputSettings } from '../../src/agent/agent-output';
import { ZapAgent } from '../../src/agent/zap-agent';
import { errorFromFailure } from '../../src/client/error-from-failure';
import { Task, type TaskOperations } from '../../src/client/task';
import { validateTaskRequest } from '../../src/client/task-request';
import type { InvokeModelInput } from '../../src/core/activity-contracts';
import { OutputValidationError, ZapConfigurationError, ZapValidationError } from '../../src/core/errors';
import type { ChatMessage } from '../../src/core/messages';
import {
  boundIssues,
  extractJsonAnswer,
  fitsStrictMode,
  outputInstructions,
  repairRequest,
  type OutputSettings,
} from '../../src/core/structured-output';
import type { TaskSnapshot } from '../../src/core/task-snapshot';
import { initialTaskState, upgradeWorkflowInput, type AgentWorkflowInput } from '../../src/core/task-state';
import { TaskStatus } from '../../src/core/task-status';
import { OpenAiChatModel } from '../../src/llm/openai-chat-model';
import { ModelRegistry } from '../../src/llm/model-registry';
import { modelSupportsStructuredOutput } from '../../src/llm/model-capabilities';
import { parseChatCompletionRequest } from '../../src/local-model/chat-completion-request';
import { toGrammarSchema } from '../../src/local-model/tool-call-grammar';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { loadRecordedHistories } from '../../src/testing/replay-histories';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import { createActivityEnvironment, createTestActivities, runActivity } from '../support/activity-test-kit';

const Verdict = z.object({ approved: z.boolean(), reason: z.string() });

function settingsOf(schema: z.ZodType, overrides: Partial<OutputSettings> = {}): OutputSettings {
  const compiled = compileOutputSchema(schema, 'test', 'configuration');
  return {
    ...outputSettings({ compiled, model: 'gpt-4o', supportsStructuredOutput: undefined, maxRepairTurns: 2, source: 'task' }),
    ...overrides,
  };
}

describe('extracting the JSON of an answer', () => {
  test.each([
    ['a bare object', '{"a":1}', { a: 1 }],
    ['whitespace around it', '  \n{"a":1}\n ', { a: 1 }],
    ['a ```json fence', '```json\n{"a":1}\n```', { a: 1 }],
    ['a bare ``` fence', '```\n[1,2]\n```', [1, 2]],
    ['a fence on one line', '```json {"a":1}```', { a: 1 }],
    ['a scalar', '42', 42],
  ])('accepts %s', (_name, text, value) => {
    expect(extractJsonAnswer(text)).toEqual({ ok: true, value });
  });

  test.each([
    ['prose around the JSON', 'Here it is: {"a":1}'],
    ['two values', '{"a":1}{"b":2}'],
    ['a cut-off object', '{"a":'],
  ])('refuses %s with an invalid_json issue', (_name, text) => {
    const result = extractJsonAnswer(text);
    expect(result).toMatchObject({ ok: false, issue: { code: 'invalid_json', path: [] } });
    if (!result.ok) expect(result.issue.message).toMatch(/^The answer is not valid JSON/);
  });

  test('an empty answer is its own issue', () => {
    expect(extractJsonAnswer('  ')).toEqual({
      ok: false,
      issue: { code: 'invalid_json', path: [], message: 'The answer is empty; it must be one JSON value.' },
    });
  });

  test('issues are bounded in number and length', () => {
    const many = Array.from({ length: 30 }, (_, index) => ({ code: 'custom', path: ['items', index], message: 'x'.repeat(2000) }));
    const bounded = boundIssues(many);
    expect(bounded).toHaveLength(21);
    expect(bounded[0]?.message.length).toBe(501);
    expect(bounded[20]).toEqual({ code: 'custom', path: [], message: '…and 10 more issue(s).' });
  });
});

describe('output schemas', () => {
  test('convert to draft-7 JSON Schema of the output side, without $schema', () => {
    const compiled = compileOutputSchema(Verdict, 'test', 'configuration');
    expect(compiled.jsonSchema).toEqual({
      type: 'object',
      properties: { approved: { type: 'boolean' }, reason: { type: 'string' } },
      required: ['approved', 'reason'],
      additionalProperties: false,
    });
    expect(compiled).toMatchObject({ name: 'output', strict: true });
  });

  test('take their name from a title the API accepts', () => {
    expect(compileOutputSchema(Verdict.meta({ title: 'review_verdict' }), 'test', 'configuration').name).toBe('review_verdict');
    expect(compileOutputSchema(Verdict.meta({ title: 'A verdict!' }), 'test', 'configuration').name).toBe('output');
  });

  test('fit strict mode only when every object is closed and fully required, with supported keywords', () => {
    const strict = (schema: z.ZodType) => compileOutputSchema(schema, 'test', 'configuration').strict;
    expect(strict(z.object({ items: z.array(z.object({ id: z.string(), qty: z.number().int() })), note: z.string().nullable() }))).toBe(true);
    expect(strict(z.object({ note: z.string().optional() }))).toBe(false);
    expect(strict(z.object({ note: z.string().default('none') }))).toBe(false);
    expect(strict(z.object({ name: z.string().min(2) }))).toBe(false);
    expect(strict(z.object({ tags: z.record(z.string(), z.number()) }))).toBe(false);
    expect(strict(z.array(z.string()))).toBe(false);
    expect(fitsStrictMode({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBe(false);
  });

  test('that JSON Schema cannot express are refused where they are given', () => {
    expect(() => compileOutputSchema(z.object({ n: z.string().transform(Number) }), "ZapAgent 'A' output", 'configuration')).toThrow(
      ZapConfigurationError,
    );
    expect(() => compileOutputSchema(z.object({ when: z.date() }), 'executeTask outputSchema', 'validation')).toThrow(
      /executeTask outputSchema: the schema cannot be converted to JSON Schema \(Date cannot be represented/,
    );
    expect(() => compileOutputSchema({ type: 'object' }, 'x', 'validation')).toThrow(ZapValidationError);
  });

  test('an agent validates its output option and repair turns at construction', () => {
    expect(() => new ZapAgent({ name: 'A', prompt: 'p', output: z.object({ at: z.date() }) })).toThrow(ZapConfigurationError);
    expect(() => new ZapAgent({ name: 'A', prompt: 'p', output: Verdict, maxOutputRepairTurns: 11 })).toThrow(/maxOutputRepairTurns/);
    const agent = new ZapAgent({ name: 'A', prompt: 'p', output: Verdict });
    expect(agent.maxOutputRepairTurns).toBe(2);
    expect(agent.taskSettings(undefined).output).toEqual({
      name: 'output',
      jsonSchema: compileOutputSchema(Verdict, 'x', 'configuration').jsonSchema,
      mode: 'json_schema',
      strict: true,
      maxRepairTurns: 2,
      source: 'agent',
    });
    expect(new ZapAgent({ name: 'B', prompt: 'p' }).taskSettings(undefined)).not.toHaveProperty('output');
  });

  test("a task's outputSchema wins over the agent's output, and the mode follows the model", () => {
    const agent = new ZapAgent({ name: 'A', prompt: 'p', model: 'llama-3-8b', output: Verdict });
    const Other = z.object({ score: z.number() });
    const request = validateTaskRequest({ agentName: 'A', task: 'Go', outputSchema: Other }, new Map([['A', agent]]));
    expect(request.kind).toBe('new');
    if (request.kind !== 'new') return;
    const settings = agent.taskSettings(undefined, request.outputSchema).output;
    expect(settings).toMatchObject({ mode: 'instructions', source: 'task', jsonSchema: { properties: { score: { type: 'number' } } } });
    const overridden = new ZapAgent({ name: 'C', prompt: 'p', model: 'llama-3-8b', output: Verdict, supportsStructuredOutput: true });
    expect(overridden.taskSettings(undefined).output?.mode).toBe('json_schema');
  });

  test('a follow-up takes no outputSchema', () => {
    expect(() =>
      validateTaskRequest({ followUpOnTask: 't-1', task: 'More', outputSchema: Verdict } as never, new Map()),
    ).toThrow(/outputSchema is for new tasks/);
  });
});

describe('the structured-output capability table', () => {
  test.each(['gpt-4o', 'gpt-4o-mini', 'openai/gpt-4o-2024-08-06', 'gpt-4.1-mini', 'gpt-5', 'o1', 'o3-mini', 'gemini-2.0-flash', 'mistral-large-latest'])(
    'knows %s honours json_schema',
    (model) => expect(modelSupportsStructuredOutput(model)).toBe(true),
  );

  test.each(['gpt-4o-2024-05-13', 'gpt-3.5-turbo', 'o1-mini', 'o1-preview', 'llama-3-8b', 'scripted-model', ''])('knows %j does not', (model) =>
    expect(modelSupportsStructuredOutput(model)).toBe(false),
  );

  test('lets the override win in both directions', () => {
    expect(modelSupportsStructuredOutput('scripted-model', true)).toBe(true);
    expect(modelSupportsStructuredOutput('gpt-4o', false)).toBe(false);
  });
});

describe('the prompt texts', () => {
  test('instruction mode gives the schema and asks for one JSON object only', () => {
    const text = outputInstructions(settingsOf(Verdict, { mode: 'instructions' }));
    expect(text).toMatch(/^Answer with one JSON object only/);
    expect(text).toContain(JSON.stringify(compileOutputSchema(Verdict, 'x', 'configuration').jsonSchema));
    expect(outputInstructions(settingsOf(z.array(z.string())))).toMatch(/^Answer with one JSON value only/);
  });

  test('a repair request lists the issues with their paths', () => {
    const text = repairRequest(settingsOf(Verdict), [
      { code: 'invalid_type', path: ['approved'], message: 'Invalid input: expected boolean, received string' },
      { code: 'invalid_json', path: [], message: 'The answer is empty; it must be one JSON value.' },
    ]);
    expect(text).toBe(
      [
        'Your previous answer does not match the required output schema:',
        '- approved: Invalid input: expected boolean, received string',
        '- The answer is empty; it must be one JSON value.',
        'Answer again with one JSON object only that matches the schema: no prose, no code fence.',
      ].join('\n'),
    );
  });
});

describe('validating an answer on the worker', () => {
  const validate = createOutputValidator();
  const Refined = z.object({ code: z.string().refine((value) => value.startsWith('INV-'), 'must start with INV-') });
  const agent = new ZapAgent({ name: 'Billing', prompt: 'p', output: Refined });

  test("uses the agent's own schema (refinements included) when the task's schema is the agent's", () => {
    const output = agent.taskSettings(undefined).output!;
    expect(validate('{"code":"INV-7"}', output, agent)).toEqual({ valid: true, value: { code: 'INV-7' } });
    expect(validate('{"code":"7"}', output, agent)).toEqual({
      valid: false,
      issues: [{ code: 'custom', path: ['code'], message: 'must start with INV-' }],
    });
  });

  test("rebuilds a task's schema from its JSON Schema: types are checked, refinements are the client's", () => {
    const output = settingsOf(Refined);
    expect(validate('{"code":"7"}', output, agent)).toEqual({ valid: true, value: { code: '7' } });
    expect(validate('{"code":7}', output, agent)).toMatchObject({ valid: false, issues: [{ code: 'invalid_type', path: ['code'] }] });
  });

  test('an agent schema changed since the task started is rebuilt from the task’s JSON Schema', () => {
    const stale = { ...agent.taskSettings(undefined).output!, jsonSchema: settingsOf(Verdict).jsonSchema };
    expect(validate('{"approved":true,"reason":"ok"}', stale, agent)).toEqual({ valid: true, value: { approved: true, reason: 'ok' } });
  });

  test('draft-7 tuples and nested objects are rebuilt', () => {
    const output = settingsOf(z.object({ pair: z.tuple([z.string(), z.number()]), inner: z.object({ ok: z.boolean() }) }));
    expect(validate('```json\n{"pair":["a",1],"inner":{"ok":true}}\n```', output, agent)).toMatchObject({ valid: true });
    expect(validate('{"pair":[1,"a"],"inner":{"ok":true}}', output, agent)).toMatchObject({ valid: false });
  });

  test('shared definitions ($ref) are rebuilt', () => {
    const Address = z.object({ city: z.string() }).meta({ id: 'Address' });
    const output = settingsOf(z.object({ from: Address, to: Address }));
    expect(output.jsonSchema).toHaveProperty('definitions.Address');
    expect(validate('{"from":{"city":"Oslo"},"to":{"city":"Rome"}}', output, agent)).toMatchObject({ valid: true });
    expect(validate('{"from":{"city":"Oslo"},"to":{}}', output, agent)).toMatchObject({ valid: false, issues: [{ path: ['to', 'city'] }] });
  });
});

describe('OutputValidationError across the boundary', () => {
  test('is mapped back from the workflow failure with its raw answer and issues', () => {
    const issues = [{ code: 'invalid_type', path: ['approved'], message: 'expected boolean' }];
    const failure = ApplicationFailure.create({
      type: 'OUTPUT_VALIDATION',
      message: "Agent 'Reviewer' gave no answer matching its output schema",
      details: [{ rawAnswer: '{"approved":"yes"}', issues }],
      nonRetryable: true,
    });
    const mapped = errorFromFailure(new WorkflowFailedError('failed', failure, RetryState.NON_RETRYABLE_FAILURE), { taskId: 't-1' });
    expect(OutputValidationError.isInstance(mapped)).toBe(true);
    expect(mapped).toMatchObject({ rawAnswer: '{"approved":"yes"}', issues, taskId: 't-1', code: 'OUTPUT_VALIDATION' });
    expect(errorFromFailure(ApplicationFailure.create({ type: 'OUTPUT_VALIDATION', message: 'x' }))).toBeUndefined();
  });

  test('has a default message naming the first issue', () => {
    const error = new OutputValidationError({ taskId: 't-1', rawAnswer: '{}', issues: [{ code: 'invalid_type', path: ['a', 0], message: 'expected string' }] });
    expect(error.message).toBe("The answer of task 't-1' does not match its output schema: a.0: expected string");
  });
});

describe('a Task read with an output schema', () => {
  const operations = {} as TaskOperations;
  const snapshot = (overrides: Partial<TaskSnapshot>): TaskSnapshot => ({
    taskId: 't-1',
    agentName: 'A',
    status: TaskStatus.Completed,
    history: [],
    messageCount: 0,
    subTasks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    pendingApprovals: [],
    approvals: [],
    lastEventSeq: 0,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...overrides,
  });

  test('parses the output with it, defaults filled', () => {
    const task = new Task<{ n: number; unit: string }>(snapshot({ output: { n: 3 } }), operations, z.object({ n: z.number(), unit: z.string().default('kg') }));
    expect(task.output).toEqual({ n: 3, unit: 'kg' });
    expect(task.outputError).toBeUndefined();
  });

  test('leaves an output that fails a refinement undefined, with the reason in outputError', () => {
    const schema = z.object({ n: z.number().refine((value) => value > 10, 'too small') });
    const task = new Task(snapshot({ output: { n: 3 }, result: '{"n":3}' }), operations, schema);
    expect(task.output).toBeUndefined();
    expect(task.outputError).toMatchObject({ rawAnswer: '{"n":3}', issues: [{ path: ['n'], message: 'too small' }] });
  });

  test('turns the failure of a task into an OutputValidationError', () => {
    const task = new Task(
      snapshot({ status: TaskStatus.Failed, error: 'gave up', outputFailure: { rawAnswer: 'nope', issues: [{ code: 'invalid_json', path: [], message: 'not JSON' }] } }),
      operations,
    );
    expect(task.outputError).toBeInstanceOf(OutputValidationError);
    expect(task.outputError).toMatchObject({ message: 'gave up', rawAnswer: 'nope', taskId: 't-1' });
  });
});

describe('the model activity with an output schema', () => {
  const CONVERSATION: ChatMessage[] = [
    { role: 'system', content: 'You review.' },
    { role: 'user', content: 'Review PR 12' },
  ];
  const reviewer = new ZapAgent({ name: 'Reviewer', prompt: 'You review.', model: 'gpt-4o', output: Verdict });
  let server: ScriptedLlmServer;
  const mcpPool = new McpConnectionPool();

  beforeAll(async () => {
    server = await ScriptedLlmServer.start();
  });
  afterAll(async () => {
    await server.close();
    await mcpPool.close();
  });
  beforeEach(() => server.reset());

  function activities() {
    return createTestActivities({
      agents: [reviewer],
      mcpPool,
      models: new ModelRegistry({ baseURL: server.baseURL, apiKey: 'test-key' }),
      conversations: { read: async () => CONVERSATION, remember: () => undefined } as unknown as ConversationReader,
    });
  }
  const input = (output: OutputSettings): InvokeModelInput => ({
    taskId: 'task-1',
    agentName: 'Reviewer',
    messageCount: 2,
    iteration: 1,
    callIndex: 1,
    output,
  });

  test('json_schema mode sends response_format and returns the parsed output', async () => {
    server.enqueue(scripted.json({ approved: true, reason: 'fine' }));
    const output = reviewer.taskSettings(undefined).output!;
    const result = await runActivity(createActivityEnvironment(), activities().invokeModel, input(output));
    expect(result.output).toEqual({ valid: true, value: { approved: true, reason: 'fine' } });
    expect(server.requests[0]?.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema: output.jsonSchema, strict: true },
    });
    expect(server.requests[0]?.body.messages).toEqual(CONVERSATION);
  });

  test('instruction mode adds the schema to the system prompt and sends no response_format', async () => {
    server.enqueue(scripted.text('{"approved":"maybe"}'));
    const output = { ...reviewer.taskSettings(undefined).output!, mode: 'instructions' as const };
    const result = await runActivity(createActivityEnvironment(), activities().invokeModel, input(output));
    expect(result.output).toMatchObject({ valid: false, issues: [{ path: ['approved'] }, { path: ['reason'] }] });
    const request = server.requests[0]!;
    expect(request.responseFormat).toBeUndefined();
    expect(request.body).not.toHaveProperty('response_format');
    expect(request.body.messages[0].content).toBe(`You review.\n\n${outputInstructions(output)}`);
    expect(request.body.messages[1]).toEqual(CONVERSATION[1]);
  });

  test('a streamed answer that is not JSON comes back as text, to be repaired (the client parses nothing)', async () => {
    server.enqueue(scripted.text('I approve it.'));
    const model = new OpenAiChatModel({ baseURL: server.baseURL, apiKey: 'test-key', headers: {} });
    const deltas: string[] = [];
    const result = await model.complete({
      model: 'gpt-4o',
      messages: CONVERSATION,
      tools: [],
      timeoutMs: 10_000,
      onDelta: (delta) => deltas.push(delta),
      responseFormat: { name: 'output', schema: settingsOf(Verdict).jsonSchema, strict: true },
    });
    expect(result.message).toEqual({ role: 'assistant', content: 'I approve it.' });
    expect(deltas.join('')).toBe('I approve it.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(server.requests[0]?.body.stream).toBe(true);
  });
});

describe('the local model server with response_format', () => {
  test('reads a json_schema format, and a json_object one', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const messages = [{ role: 'user', content: 'Hi' }];
    const parsed = parseChatCompletionRequest({ messages, response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } });
    expect(parsed).toMatchObject({ ok: true, request: { responseFormat: { type: 'json_schema', name: 'place', schema } } });
    expect(parseChatCompletionRequest({ messages, response_format: { type: 'json_object' } })).toMatchObject({
      ok: true,
      request: { responseFormat: { type: 'json_object' } },
    });
    expect(parseChatCompletionRequest({ messages, response_format: { type: 'text' } })).toMatchObject({ ok: true, request: { responseFormat: undefined } });
    expect(parseChatCompletionRequest({ messages, response_format: { type: 'xml' } })).toMatchObject({ ok: false });
    expect(toGrammarSchema(schema)).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
  });
});

describe('the task state of structured output', () => {
  test('tasks of 0.1.0 upgrade to no output schema, no output and no repairs taken (0.2.0 fields)', () => {
    const histories = loadRecordedHistories(`${__dirname}/../replay/histories`).filter((history) => history.set === '0.1.0');
    expect(histories.length).toBeGreaterThan(0);
    for (const history of histories) {
      const json = JSON.parse(readFileSync(history.file, 'utf8')) as {
        events: Array<{ workflowExecutionStartedEventAttributes?: { input?: { payloads?: Array<{ data: string }> } } }>;
      };
      const data = json.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const input = JSON.parse(Buffer.from(data ?? '', 'base64').toString('utf8')) as AgentWorkflowInput;
      const upgraded = upgradeWorkflowInput(input);
      expect(upgraded.agent.output).toBeUndefined();
      if (!upgraded.carried) continue;
      expect(upgraded.carried.output).toBeUndefined();
      expect(upgraded.carried.outputFailure).toBeUndefined();
      expect(upgraded.carried.outputRepairs).toBe(0);
    }
  });

  test('a new task starts with no repairs taken, and a carried count and output are kept', () => {
    const input = { taskId: 't', agent: { agentName: 'A', systemPrompt: 'p' }, message: 'hi', createdAt: new Date(0).toISOString() } as unknown as AgentWorkflowInput;
    expect(initialTaskState(upgradeWorkflowInput(input)).outputRepairs).toBe(0);
    const carried = { ...initialTaskState(upgradeWorkflowInput(input)), outputRepairs: 1, output: { a: 1 } };
    expect(upgradeWorkflowInput({ ...input, carried }).carried).toMatchObject({ outputRepairs: 1, output: { a: 1 } });
  });
});
