import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

import { ScriptedLlmServer, scripted, type ScriptedRequest } from '../../src/testing/scripted-llm-server';

const MODEL = 'gpt-test';

let server: ScriptedLlmServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startServer(...args: Parameters<typeof ScriptedLlmServer.start>): Promise<ScriptedLlmServer> {
  server = await ScriptedLlmServer.start(...args);
  return server;
}

function clientFor(target: ScriptedLlmServer, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ baseURL: target.baseURL, apiKey: 'test', maxRetries: 0, ...options });
}

function userMessages(text: string): ChatCompletionMessageParam[] {
  return [{ role: 'user', content: text }];
}

async function collectChunks(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function postChat(target: ScriptedLlmServer, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${target.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('ScriptedLlmServer', () => {
  describe('non-streaming completions', () => {
    it('answers a scripted text reply in the OpenAI format', async () => {
      const target = await startServer({ script: [scripted.text('Hello from the script!')] });
      expect(target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(target.baseURL).toBe(`${target.url}/v1`);

      const completion = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('Hello there!'), // 12 characters -> 3 tokens
      });

      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.object).toBe('chat.completion');
      expect(completion.model).toBe(MODEL);
      expect(typeof completion.created).toBe('number');
      expect(completion.choices).toHaveLength(1);
      expect(completion.choices[0]).toEqual({
        index: 0,
        message: { role: 'assistant', content: 'Hello from the script!', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      });
      // 22 characters of output -> 6 tokens
      expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    });

    it('reports scripted usage instead of the estimate', async () => {
      const target = await startServer({
        script: [scripted.text('ok', { usage: { promptTokens: 120, completionTokens: 7 } })],
      });
      const completion = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('x'),
      });
      expect(completion.usage).toEqual({ prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 });
    });

    it('returns tool calls with JSON arguments and finish_reason tool_calls', async () => {
      const target = await startServer({
        script: [
          scripted.toolCalls([
            { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
            { id: 'call_custom', name: 'search', arguments: '{"query":"zap"}' },
          ]),
          scripted.toolCalls([{ name: 'noop', arguments: {} }], { content: 'Let me check.' }),
        ],
      });
      const client = clientFor(target);

      const first = await client.chat.completions.create({ model: MODEL, messages: userMessages('weather?') });
      const choice = first.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      expect(choice?.message.content).toBeNull();
      const toolCalls = choice?.message.tool_calls ?? [];
      expect(toolCalls).toHaveLength(2);
      expect(toolCalls[0]).toEqual({
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: JSON.stringify({ city: 'Paris', unit: 'celsius' }) },
      });
      expect(toolCalls[1]).toEqual({
        id: 'call_custom',
        type: 'function',
        function: { name: 'search', arguments: '{"query":"zap"}' },
      });

      const second = await client.chat.completions.create({ model: MODEL, messages: userMessages('again') });
      expect(second.choices[0]?.message.content).toBe('Let me check.');
      // generated ids stay unique across requests of the same server
      expect(second.choices[0]?.message.tool_calls?.[0]?.id).toBe('call_2');

      // the recorded response carries the ids that were sent
      const recorded = target.requests[0]?.response;
      expect(recorded).toMatchObject({
        toolCalls: [{ id: 'call_1', name: 'get_weather' }, { id: 'call_custom', name: 'search' }],
      });
    });

    it('waits delayMs before answering', async () => {
      const target = await startServer({ script: [scripted.text('slow', { delayMs: 150 })] });
      const startedAt = Date.now();
      const completion = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('hi'),
      });
      expect(completion.choices[0]?.message.content).toBe('slow');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
    });

    it('accepts /chat/completions without the /v1 prefix', async () => {
      const target = await startServer({ script: [scripted.text('no prefix')] });
      const response = await fetch(`${target.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: userMessages('hi') }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as OpenAI.ChatCompletion;
      expect(body.choices[0]?.message.content).toBe('no prefix');
      expect(target.requests[0]?.path).toBe('/chat/completions');
    });
  });

  describe('streaming', () => {
    const content = '  Hello,  streaming\nworld! Ünïcödé 🎉 done. ';

    it('streams text in several chunks that reassemble to the content exactly', async () => {
      const target = await startServer({ script: [scripted.text(content)] });
      const stream = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('stream please'),
        stream: true,
      });
      const chunks = await collectChunks(stream);

      expect(chunks[0]?.object).toBe('chat.completion.chunk');
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
      const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
      expect(contentChunks.length).toBeGreaterThan(1);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(content);
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks.every((chunk) => chunk.model === MODEL)).toBe(true);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      // without include_usage there is no usage chunk
      expect(chunks.every((chunk) => chunk.choices.length === 1 && !chunk.usage)).toBe(true);
    });

    it('spaces chunks by chunkDelayMs so tokens arrive before the answer completes', async () => {
      const target = await startServer({ chunkDelayMs: 5, script: [scripted.text('one two three four five', { chunkDelayMs: 60 })] });
      const stream = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('hi'),
        stream: true,
      });
      let firstContentAt: number | undefined;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && firstContentAt === undefined) firstContentAt = Date.now();
      }
      const completedAt = Date.now();
      expect(firstContentAt).toBeDefined();
      // four more words, the finish chunk and [DONE] follow the first word, 60 ms apart
      expect(completedAt - (firstContentAt ?? completedAt)).toBeGreaterThanOrEqual(250);
    });

    it('uses the server-wide chunkDelayMs by default', async () => {
      const target = await startServer({ chunkDelayMs: 40, script: [scripted.text('a b c')] });
      const startedAt = Date.now();
      const stream = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('hi'),
        stream: true,
      });
      const chunks = await collectChunks(stream);
      // role, 3 words, finish: 5 chunks and [DONE] -> 5 gaps of 40 ms
      expect(chunks).toHaveLength(5);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    });

    it('streams tool calls the way OpenAI does, reassembled by the stream helper', async () => {
      const weatherArguments = { city: 'São Paulo 🌧', days: [1, 2, 3], detailed: true };
      const target = await startServer({
        script: [
          scripted.toolCalls(
            [
              { name: 'get_weather', arguments: weatherArguments },
              { id: 'call_fixed', name: 'lookup', arguments: '{"term":"durable execution"}' },
            ],
            { content: 'Checking two things.' },
          ),
        ],
      });
      const client = clientFor(target);
      const rawChunks: ChatCompletionChunk[] = [];
      const runner = client.chat.completions.stream({
        model: MODEL,
        messages: userMessages('weather?'),
      });
      runner.on('chunk', (chunk) => rawChunks.push(chunk));
      const final = await runner.finalChatCompletion();

      const message = final.choices[0]?.message;
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      expect(message?.content).toBe('Checking two things.');
      expect(message?.tool_calls).toHaveLength(2);
      const [weather, lookup] = message?.tool_calls ?? [];
      expect(weather).toMatchObject({ id: 'call_1', type: 'function', function: { name: 'get_weather' } });
      expect(JSON.parse(weather?.type === 'function' ? weather.function.arguments : '')).toEqual(weatherArguments);
      expect(lookup).toMatchObject({
        id: 'call_fixed',
        type: 'function',
        function: { name: 'lookup', arguments: '{"term":"durable execution"}' },
      });

      // wire shape: the first delta of a call has id/type/name, later ones only index + argument fragments
      const toolDeltas = rawChunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
      const weatherDeltas = toolDeltas.filter((delta) => delta.index === 0);
      expect(weatherDeltas.length).toBeGreaterThan(2);
      expect(weatherDeltas[0]).toEqual({
        index: 0,
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      });
      for (const delta of weatherDeltas.slice(1)) {
        expect(delta.id).toBeUndefined();
        expect(delta.function?.name).toBeUndefined();
        expect(typeof delta.function?.arguments).toBe('string');
      }
    });

    it('reassembles streamed tool calls when iterating create({ stream: true })', async () => {
      const target = await startServer({
        script: [scripted.toolCalls([{ name: 'add', arguments: { a: 40, b: 2 } }])],
      });
      const stream = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('add'),
        stream: true,
      });
      const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
      let finishReason: string | null | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        finishReason = choice?.finish_reason ?? finishReason;
        for (const delta of choice?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { arguments: '' };
          call.id ??= delta.id;
          call.name ??= delta.function?.name;
          call.arguments += delta.function?.arguments ?? '';
          calls.set(delta.index, call);
        }
      }
      expect(finishReason).toBe('tool_calls');
      expect([...calls.values()]).toEqual([{ id: 'call_1', name: 'add', arguments: '{"a":40,"b":2}' }]);
    });

    it('sends a usage chunk when stream_options.include_usage is true', async () => {
      const target = await startServer({
        script: [scripted.text('counted', { usage: { promptTokens: 11, completionTokens: 22 } })],
      });
      const stream = await clientFor(target).chat.completions.create({
        model: MODEL,
        messages: userMessages('hi'),
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await collectChunks(stream);
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toEqual({ prompt_tokens: 11, completion_tokens: 22, total_tokens: 33 });
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    });

    it('writes text/event-stream lines terminated by data: [DONE]', async () => {
      const target = await startServer({ script: [scripted.text('raw stream')] });
      const response = await postChat(target, { model: MODEL, messages: userMessages('hi'), stream: true });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await response.text();
      const events = text.split('\n\n').filter((event) => event.length > 0);
      expect(events.every((event) => event.startsWith('data: '))).toBe(true);
      expect(events.at(-1)).toBe('data: [DONE]');
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      const payloads = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)));
      expect(payloads.every((payload) => payload.object === 'chat.completion.chunk')).toBe(true);
    });

    it('cuts a stream short with disconnectAfterChunks, after the chunks already sent', async () => {
      const target = await startServer({
        script: [scripted.text('alpha beta gamma delta', { disconnectAfterChunks: 3 }), scripted.text('after')],
      });
      const client = clientFor(target);
      const received: string[] = [];
      const error = await captureError(
        (async () => {
          const stream = await client.chat.completions.create({
            model: MODEL,
            messages: userMessages('hi'),
            stream: true,
          });
          for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
        })(),
      );
      // undici reports the truncated body as "terminated" (a TypeError from Node's realm, not jest's)
      expect((error as Error).message).toMatch(/terminated|other side closed/);
      // role chunk + "alpha " + "beta " arrived before the connection dropped
      expect(received.join('')).toBe('alpha beta ');

      const next = await client.chat.completions.create({ model: MODEL, messages: userMessages('again') });
      expect(next.choices[0]?.message.content).toBe('after');
    });
  });

  describe('errors', () => {
    it('surfaces a 429 with retry-after as an OpenAI.APIError', async () => {
      const target = await startServer({
        script: [scripted.error(429, 'Slow down', { retryAfterSeconds: 7 })],
      });
      const error = await captureError(
        clientFor(target).chat.completions.create({ model: MODEL, messages: userMessages('hi') }),
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(429);
      expect(apiError.headers?.get('retry-after')).toBe('7');
      expect(apiError.headers?.get('retry-after-ms')).toBe('7000');
      expect(apiError.type).toBe('rate_limit_exceeded');
      expect(apiError.message).toContain('Slow down');
      expect(apiError.requestID).toMatch(/^req_/);
    });

    it('surfaces 400 with invalid_request_error and a scripted code', async () => {
      const target = await startServer({
        script: [scripted.error(400, 'Too many tokens', { code: 'context_length_exceeded' })],
      });
      const error = await captureError(
        clientFor(target).chat.completions.create({ model: MODEL, messages: userMessages('hi') }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(400);
      expect(apiError.type).toBe('invalid_request_error');
      expect(apiError.code).toBe('context_length_exceeded');
      expect(apiError.message).toContain('Too many tokens');
      expect(apiError.headers?.get('retry-after')).toBeNull();
    });

    it('surfaces 500 with server_error and a default message, also for streaming requests', async () => {
      const target = await startServer({ script: [scripted.error(500), scripted.error(503, 'Overloaded')] });
      const client = clientFor(target);
      const error = await captureError(client.chat.completions.create({ model: MODEL, messages: userMessages('hi') }));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
      expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
      expect((error as Error).message).toContain('Scripted error (HTTP 500)');

      const streamError = await captureError(
        client.chat.completions.create({ model: MODEL, messages: userMessages('hi'), stream: true }),
      );
      expect((streamError as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((streamError as Error).message).toContain('Overloaded');
    });

    it('honours a custom error type and delayMs', async () => {
      const target = await startServer({
        script: [{ kind: 'error', status: 402, type: 'insufficient_quota', message: 'Pay up', delayMs: 100 }],
      });
      const startedAt = Date.now();
      const response = await postChat(target, { model: MODEL, messages: userMessages('hi') });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(90);
      expect(response.status).toBe(402);
      expect(await response.json()).toEqual({
        error: { message: 'Pay up', type: 'insufficient_quota', code: null, param: null },
      });
    });

    it('answers 500 "script exhausted" by default, or the configured fallback', async () => {
      const target = await startServer();
      const error = await captureError(
        clientFor(target).chat.completions.create({ model: MODEL, messages: userMessages('hi') }),
      );
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
      expect((error as Error).message).toContain('script exhausted');
      expect(target.requests[0]?.response).toMatchObject({ kind: 'error', status: 500 });

      await target.close();
      const withFallback = await startServer({ script: [scripted.text('first')], fallback: scripted.text('again') });
      const client = clientFor(withFallback);
      const contents: Array<string | null | undefined> = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const completion = await client.chat.completions.create({ model: MODEL, messages: userMessages('hi') });
        contents.push(completion.choices[0]?.message.content);
      }
      expect(contents).toEqual(['first', 'again', 'again']);
    });

    it('answers 400 to a body that is not JSON and records the raw text', async () => {
      const target = await startServer({ script: [scripted.text('unused')] });
      const response = await postChat(target, '{not json');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string } };
      expect(body.error.type).toBe('invalid_request_error');
      expect(target.requests[0]?.body).toBe('{not json');
      // the script was not consumed by the bad request
      const next = await postChat(target, { model: MODEL, messages: userMessages('hi') });
      expect(((await next.json()) as OpenAI.ChatCompletion).choices[0]?.message.content).toBe('unused');
    });

    it('produces a connection error for disconnect, and keeps serving afterwards', async () => {
      const target = await startServer({ script: [scripted.disconnect(), scripted.text('still alive')] });
      const client = clientFor(target);
      const error = await captureError(client.chat.completions.create({ model: MODEL, messages: userMessages('hi') }));
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();

      const next = await client.chat.completions.create({ model: MODEL, messages: userMessages('again') });
      expect(next.choices[0]?.message.content).toBe('still alive');
      expect(target.requestCount()).toBe(2);
    });

    it('lets a client time out on hang without breaking the server', async () => {
      const target = await startServer({ script: [scripted.hang(), scripted.text('after the hang')] });
      const client = clientFor(target, { timeout: 200 });
      const startedAt = Date.now();
      const error = await captureError(client.chat.completions.create({ model: MODEL, messages: userMessages('hi') }));
      // Plain Node gives APIConnectionTimeoutError (a subclass); under jest the abort DOMException comes from
      // another realm, fails openai's `instanceof Error` check and surfaces as a plain APIConnectionError.
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
      const elapsedMs = Date.now() - startedAt;
      expect(elapsedMs).toBeGreaterThanOrEqual(190);
      expect(elapsedMs).toBeLessThan(2_000);
      expect(target.requests[0]?.response).toEqual({ kind: 'hang' });

      const next = await client.chat.completions.create({ model: MODEL, messages: userMessages('again') });
      expect(next.choices[0]?.message.content).toBe('after the hang');
    });

    it('survives a client aborting during delayMs and mid-stream', async () => {
      const target = await startServer({
        script: [
          scripted.text('too late', { delayMs: 5_000 }),
          scripted.text('many small words arriving slowly', { chunkDelayMs: 100 }),
          scripted.text('fine'),
        ],
      });
      const client = clientFor(target);

      const abortDuringDelay = new AbortController();
      const delayed = client.chat.completions.create(
        { model: MODEL, messages: userMessages('hi') },
        { signal: abortDuringDelay.signal },
      );
      await target.waitForRequests(1);
      abortDuringDelay.abort();
      expect(await captureError(delayed)).toBeInstanceOf(OpenAI.APIUserAbortError);

      const abortMidStream = new AbortController();
      const stream = await client.chat.completions.create(
        { model: MODEL, messages: userMessages('hi'), stream: true },
        { signal: abortMidStream.signal },
      );
      const received: ChatCompletionChunk[] = [];
      const streamStartedAt = Date.now();
      // the openai client ends the iteration quietly when its own signal aborts it
      for await (const chunk of stream) {
        received.push(chunk);
        if (received.length === 2) abortMidStream.abort();
      }
      expect(received.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('many ');
      expect(received.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
      // the full stream would take 7 x 100 ms
      expect(Date.now() - streamStartedAt).toBeLessThan(500);

      const next = await client.chat.completions.create({ model: MODEL, messages: userMessages('again') });
      expect(next.choices[0]?.message.content).toBe('fine');
    });
  });

  describe('handler', () => {
    it('routes on the request body when the script is empty', async () => {
      const target = await startServer({
        script: [scripted.text('from the script')],
        handler: (request) => {
          const messages = request.body.messages as Array<{ content: string }>;
          const last = messages.at(-1)?.content ?? '';
          if (request.body.model === 'planner') return scripted.text(`plan for: ${last}`);
          if (last.includes('weather')) return scripted.toolCalls([{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
          return scripted.text('default route');
        },
      });
      const client = clientFor(target);
      const ask = (model: string, text: string) =>
        client.chat.completions.create({ model, messages: userMessages(text) }).then((c) => c.choices[0]?.message);

      expect((await ask('planner', 'ignored by the script'))?.content).toBe('from the script');
      expect((await ask('planner', 'build a bridge'))?.content).toBe('plan for: build a bridge');
      expect((await ask('worker', 'what is the weather?'))?.tool_calls?.[0]).toMatchObject({
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
      });
      expect((await ask('worker', 'hello'))?.content).toBe('default route');
    });

    it('supports async handlers, enqueue, setHandler and handler failures', async () => {
      const target = await startServer();
      const client = clientFor(target);
      const ask = () => client.chat.completions.create({ model: MODEL, messages: userMessages('hi') });

      target.setHandler(async (request: ScriptedRequest) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return scripted.text(`handled #${request.index}`);
      });
      expect((await ask()).choices[0]?.message.content).toBe('handled #0');

      target.enqueue(scripted.text('queued 1'), scripted.text('queued 2'));
      expect((await ask()).choices[0]?.message.content).toBe('queued 1');
      expect((await ask()).choices[0]?.message.content).toBe('queued 2');
      expect((await ask()).choices[0]?.message.content).toBe('handled #3');

      target.setHandler(() => {
        throw new Error('no route for this');
      });
      const thrown = await captureError(ask());
      expect((thrown as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
      expect((thrown as Error).message).toContain('no route for this');

      target.setHandler(undefined);
      expect((await captureError(ask())) as Error).toHaveProperty(
        'message',
        expect.stringContaining('script exhausted'),
      );
    });
  });

  describe('recording', () => {
    it('records every request in order with body, headers and the served response', async () => {
      const target = await startServer({
        script: [scripted.text('one'), scripted.error(500, 'boom'), scripted.text('three')],
      });
      const client = clientFor(target);
      const tools: OpenAI.ChatCompletionTool[] = [
        { type: 'function', function: { name: 'noop', description: 'does nothing', parameters: { type: 'object' } } },
      ];
      await client.chat.completions.create({ model: 'm-1', messages: userMessages('first'), tools });
      await captureError(client.chat.completions.create({ model: 'm-2', messages: userMessages('second') }));
      await client.chat.completions.create({ model: 'm-3', messages: userMessages('third'), stream: true }).then(collectChunks);

      const requests = target.requests;
      expect(requests).toHaveLength(3);
      expect(requests.map((request) => request.index)).toEqual([0, 1, 2]);
      expect(requests.map((request) => request.body.model)).toEqual(['m-1', 'm-2', 'm-3']);
      expect(requests.map((request) => request.body.messages[0].content)).toEqual(['first', 'second', 'third']);
      expect(requests[0]?.body.tools).toEqual(tools);
      expect(requests[2]?.body.stream).toBe(true);
      expect(requests.map((request) => request.response)).toEqual([
        { kind: 'message', content: 'one' },
        { kind: 'error', status: 500, message: 'boom' },
        { kind: 'message', content: 'three' },
      ]);
      const first = requests[0];
      expect(first?.method).toBe('POST');
      expect(first?.path).toBe('/v1/chat/completions');
      expect(first?.headers['authorization']).toBe('Bearer test');
      expect(first?.headers['content-type']).toContain('application/json');
      expect(first?.receivedAt).toBeLessThanOrEqual(requests[1]?.receivedAt ?? 0);
      expect(target.requestCount()).toBe(3);
    });

    it('waitForRequests resolves once enough requests arrived and rejects clearly on timeout', async () => {
      const target = await startServer({ handler: () => scripted.text('ok') });
      const client = clientFor(target);

      await expect(target.waitForRequests(0)).resolves.toBeUndefined();
      const waiting = target.waitForRequests(2, 5_000);
      let settled = false;
      void waiting.then(() => {
        settled = true;
      });
      await client.chat.completions.create({ model: MODEL, messages: userMessages('1') });
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      await client.chat.completions.create({ model: MODEL, messages: userMessages('2') });
      await expect(waiting).resolves.toBeUndefined();

      await expect(target.waitForRequests(5, 50)).rejects.toThrow(
        'ScriptedLlmServer.waitForRequests(5) timed out after 50ms: 2 request(s) received',
      );
    });

    it('waitForRequests sees a request before its (hanging) answer', async () => {
      const target = await startServer({ script: [scripted.hang()] });
      const pending = clientFor(target, { timeout: 2_000 })
        .chat.completions.create({ model: MODEL, messages: userMessages('hang') })
        .catch((error: unknown) => error);
      await target.waitForRequests(1);
      expect(target.requests[0]?.body.messages[0].content).toBe('hang');
      await target.close();
      expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    });

    it('reset clears the script, the handler and the recorded requests', async () => {
      const target = await startServer({ script: [scripted.text('a'), scripted.text('b')], handler: () => scripted.text('h') });
      const client = clientFor(target);
      await client.chat.completions.create({ model: MODEL, messages: userMessages('hi') });
      expect(target.requestCount()).toBe(1);

      target.reset();
      expect(target.requestCount()).toBe(0);
      expect(target.requests).toEqual([]);
      const error = await captureError(client.chat.completions.create({ model: MODEL, messages: userMessages('hi') }));
      expect((error as Error).message).toContain('script exhausted');
      expect(target.requests[0]?.index).toBe(0);
    });
  });

  describe('other endpoints and authentication', () => {
    it('serves /v1/models, /health and 404 for anything else', async () => {
      const target = await startServer();
      const models = await clientFor(target).models.list();
      expect(models.data).toEqual([{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'zap-agents' }]);

      const health = await fetch(`${target.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const missing = await fetch(`${target.baseURL}/embeddings`, { method: 'POST', body: '{}' });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toBe(
        'Not found: POST /v1/embeddings',
      );
      const wrongMethod = await fetch(`${target.baseURL}/chat/completions`);
      expect(wrongMethod.status).toBe(404);
      expect(target.requestCount()).toBe(0);
    });

    it('enforces apiKey with a 401, without consuming the script', async () => {
      const target = await startServer({ apiKey: 'sk-right', script: [scripted.text('authorized')] });

      const error = await captureError(
        clientFor(target, { apiKey: 'sk-wrong' }).chat.completions.create({ model: MODEL, messages: userMessages('hi') }),
      );
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
      expect(target.requests[0]?.response).toMatchObject({ kind: 'error', status: 401 });

      const noHeader = await postChat(target, { model: MODEL, messages: userMessages('hi') });
      expect(noHeader.status).toBe(401);
      const modelsWithoutKey = await fetch(`${target.baseURL}/models`);
      expect(modelsWithoutKey.status).toBe(401);
      expect((await fetch(`${target.url}/health`)).status).toBe(200);

      const right = clientFor(target, { apiKey: 'sk-right' });
      const completion = await right.chat.completions.create({ model: MODEL, messages: userMessages('hi') });
      expect(completion.choices[0]?.message.content).toBe('authorized');
      expect((await right.models.list()).data).toHaveLength(1);
    });
  });

  describe('close', () => {
    it('releases the port, cuts in-flight answers, rejects waiters and leaves no handles', async () => {
      const countResources = (type: string) =>
        process.getActiveResourcesInfo().filter((resource) => resource === type).length;
      const serversBefore = countResources('TCPServerWrap');

      const target = await startServer({
        script: [scripted.hang(), scripted.text('a b c d e f g h', { chunkDelayMs: 1_000 })],
      });
      expect(countResources('TCPServerWrap')).toBe(serversBefore + 1);
      const client = clientFor(target, { timeout: 10_000 });
      const hanging = client.chat.completions
        .create({ model: MODEL, messages: userMessages('hang') })
        .catch((error: unknown) => error);
      const streaming = client.chat.completions
        .create({ model: MODEL, messages: userMessages('stream'), stream: true })
        .then(collectChunks)
        .catch((error: unknown) => error);
      await target.waitForRequests(2);
      const neverSatisfied = target.waitForRequests(10, 60_000);

      const closedAt = Date.now();
      await target.close();
      await target.close(); // idempotent
      expect(Date.now() - closedAt).toBeLessThan(1_000);

      await expect(neverSatisfied).rejects.toThrow('closed before 10 request(s) arrived');
      expect(await hanging).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(await streaming).toBeInstanceOf(Error);
      expect(countResources('TCPServerWrap')).toBe(serversBefore);
      await expect(fetch(`${target.url}/health`)).rejects.toThrow();
      await expect(target.waitForRequests(10)).rejects.toThrow('closed');
    });
  });
});
