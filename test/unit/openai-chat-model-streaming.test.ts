import type OpenAI from 'openai';
import { LlmProviderError } from '../../src/core/errors';
import type { ChatMessage } from '../../src/core/messages';
import { collectCompletionStream } from '../../src/llm/collect-completion-stream';
import { OpenAiChatModel, type ChatCompletionRequest } from '../../src/llm/openai-chat-model';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import type { ScriptedResponse } from '../../src/testing/scripted-llm/scripted-response';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You help.' },
  { role: 'user', content: 'Weather?' },
];
const TOOLS = [{ name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
const LONG_ANSWER = Array.from({ length: 200 }, (_, index) => `word${index}`).join(' ');

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

function chunk(delta: Record<string, unknown>, finishReason: string | null = null, usage?: Chunk['usage']): Chunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(usage ? { usage } : {}),
  } as Chunk;
}

async function* chunksOf(chunks: Chunk[]): AsyncGenerator<Chunk> {
  for (const item of chunks) yield item;
}

describe('OpenAiChatModel: a streamed call answers exactly what a plain call does', () => {
  let server: ScriptedLlmServer;
  let model: OpenAiChatModel;

  beforeAll(async () => {
    server = await ScriptedLlmServer.start({ chunkDelayMs: 0 });
    model = new OpenAiChatModel({ baseURL: server.baseURL, apiKey: 'test-key', headers: {} });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  const request = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'gpt-4o',
    messages: CONVERSATION,
    tools: TOOLS,
    timeoutMs: 10_000,
    ...extra,
  });

  test.each<[string, ScriptedResponse]>([
    ['a long text answer, one chunk per word', scripted.text(LONG_ANSWER, { usage: { promptTokens: 12, completionTokens: 200 } })],
    [
      'parallel tool calls with text, arguments in fragments',
      scripted.toolCalls(
        [
          { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris', note: 'a long argument that spans several fragments' } },
          { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
        { content: 'Checking both.' },
      ),
    ],
    ['tool calls only', scripted.toolCalls([{ id: 'call_c', name: 'get_weather', arguments: '{}' }])],
  ])('%s', async (_name, response) => {
    server.enqueue(response, response);
    const plain = await model.complete(request());
    const deltas: string[] = [];
    const streamed = await model.complete(request({ onDelta: (delta) => deltas.push(delta) }));
    expect(streamed).toEqual(plain);
    expect(deltas.join('')).toBe(typeof plain.message.content === 'string' ? plain.message.content : '');
    expect(server.requests.map((entry) => entry.body.stream === true)).toEqual([false, true]);
  });

  test('a stream cut half-way fails with a retryable provider error', async () => {
    server.enqueue(scripted.text(LONG_ANSWER, { disconnectAfterChunks: 5 }));
    const deltas: string[] = [];
    const failure = await model.complete(request({ onDelta: (delta) => deltas.push(delta) })).catch((error: unknown) => error);
    expect(LlmProviderError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ retryable: true });
    expect(deltas.length).toBeGreaterThan(0);
  });

  test('an HTTP error of a streamed call keeps its status and retry-after', async () => {
    server.enqueue(scripted.error(429, 'slow down', { retryAfterSeconds: 2 }));
    const failure = await model.complete(request({ onDelta: () => undefined })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 429, retryable: true, retryAfterMs: 2000 });
  });

  test('a stream aborted mid-answer fails as aborted', async () => {
    server.enqueue(scripted.text(LONG_ANSWER, { chunkDelayMs: 5 }));
    const controller = new AbortController();
    let seen = 0;
    const failure = await model
      .complete(request({ signal: controller.signal, onDelta: () => (++seen === 3 ? controller.abort() : undefined) }))
      .catch((error: unknown) => error);
    expect(LlmProviderError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toContain('was aborted');
  });
});

describe('collectCompletionStream', () => {
  test('keeps a refusal, the usage and the finish reason', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const completion = await collectCompletionStream(
      chunksOf([chunk({ role: 'assistant', content: null }), chunk({ refusal: "I can't " }), chunk({ refusal: 'help.' }), chunk({}, 'stop'), { ...chunk({}), choices: [], usage }]),
      () => undefined,
    );
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: null, refusal: "I can't help." } });
    expect(completion.usage).toEqual(usage);
  });

  test('a tool name repeated in later deltas is taken once', async () => {
    const completion = await collectCompletionStream(
      chunksOf([
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"ci' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: 'ty":"Oslo"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
      () => undefined,
    );
    expect(completion.choices[0]?.message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
  });

  test('a stream without a finish_reason (cut off, or empty) throws', async () => {
    await expect(collectCompletionStream(chunksOf([chunk({ content: 'Half an ans' })]), () => undefined)).rejects.toThrow('finish_reason');
    await expect(collectCompletionStream(chunksOf([]), () => undefined)).rejects.toThrow('finish_reason');
  });
});
