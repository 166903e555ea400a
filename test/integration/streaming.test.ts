import { resolve } from 'node:path';
import { z } from 'zod';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TaskNotFoundError, ZapAgent, tool, type TaskEvent, type TokenChunk } from '../../src';
import { InProcessTokenTransport } from '../../src/streaming/in-process-token-transport';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import { createRemoteZap } from '../fixtures/worker-zap';
import { startHarness, temporalAddress, uniqueTaskQueue, waitForCompletion, waitForTask, type Harness } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

let releaseGate: (() => void) | undefined;
let gateStarted: (() => void) | undefined;

const getWeather = tool({
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => `Sunny in ${city}`,
});
const gate = tool({
  name: 'gate',
  description: 'Waits until the test opens it',
  parameters: z.object({}),
  execute: async () => {
    gateStarted?.();
    await new Promise<void>((resolveGate) => (releaseGate = resolveGate));
    return 'opened';
  },
});

async function collect(stream: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

function durable(events: TaskEvent[]): TaskEvent[] {
  return events.filter((event) => event.type !== 'token');
}

function tokenText(events: TaskEvent[]): string {
  return events.map((event) => (event.type === 'token' ? event.delta : '')).join('');
}

/** `count` words, one stream chunk each. */
function words(count: number, prefix = 'w'): string {
  return Array.from({ length: count }, (_, index) => `${prefix}${index}`).join(' ');
}

/** Resolves once the scripted server has received `count` requests. */
async function waitForRequests(llm: ScriptedLlmServer, count: number): Promise<void> {
  while (llm.requests.length < count) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
}

/** The in-process transport, counting what the worker publishes through it. */
class CountingTokenTransport extends InProcessTokenTransport {
  published: TokenChunk[] = [];

  override publish(chunk: TokenChunk): void {
    this.published.push(chunk);
    super.publish(chunk);
  }
}

describe('streaming task events', () => {
  let harness: Harness;
  const tokens = new CountingTokenTransport();

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Streamer', prompt: 'You stream.', model: 'scripted-model', tools: [getWeather, gate] }),
        new ZapAgent({ name: 'Plain', prompt: 'No streaming.', model: 'scripted-model', streaming: false }),
        new ZapAgent({ name: 'WhenWatched', prompt: 'You stream when watched.', model: 'scripted-model', streaming: 'when-watched' }),
      ],
      zap: { tokens, continueAsNewAfterEvents: 40 },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => harness.llm.reset());

  test('a task with tools streams ordered events, with tokens after their thinking event', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_p', name: 'get_weather', arguments: { city: 'Paris' } },
        { id: 'call_r', name: 'get_weather', arguments: { city: 'Rome' } },
      ]),
      scripted.text('Sunny in both cities today.'),
    );
    const events = await collect(harness.zap.streamTask({ agentName: 'Streamer', task: 'Weather in Paris and Rome?' }));
    const types = durable(events).map((event) => event.type);
    expect(types).toEqual(['thinking', 'tool_call', 'tool_call', 'tool_result', 'tool_result', 'thinking', 'completed']);
    const seqs = durable(events).map((event) => event.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    const toolCall = events.find((event) => event.type === 'tool_call');
    expect(toolCall).toMatchObject({ name: 'get_weather', arguments: { city: 'Paris' }, phrase: 'Getting weather for Paris...', toolCallId: 'call_p' });
    const completed = events.at(-1);
    expect(completed).toMatchObject({ type: 'completed', result: 'Sunny in both cities today.' });

    const secondThinking = durable(events).filter((event) => event.type === 'thinking')[1]!;
    const tokenEvents = events.filter((event) => event.type === 'token');
    expect(tokenEvents.length).toBeGreaterThan(1);
    expect(tokenEvents.map((event) => (event.type === 'token' ? event.delta : '')).join('')).toBe('Sunny in both cities today.');
    // Every token sits between the thinking event of its call and the call's outcome.
    const firstToken = events.indexOf(tokenEvents[0]!);
    expect(firstToken).toBeGreaterThan(events.indexOf(secondThinking));
    expect(events.indexOf(tokenEvents.at(-1)!)).toBeLessThan(events.length - 1);
    expect(tokenEvents.every((event) => event.seq === secondThinking.seq)).toBe(true);
    expect(tokens.subscribedTaskCount()).toBe(0);
  });

  test('no token is published while nobody subscribes, and the answer is the same as without streaming', async () => {
    const answer = words(60);
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_w', name: 'get_weather', arguments: { city: 'Oslo' } }]), scripted.text(answer));
    const unwatched = await harness.zap.executeTask({ agentName: 'Streamer', task: 'Unwatched' });
    const streamedTask = await waitForCompletion(harness.zap, unwatched.id);
    expect(streamedTask.result).toBe(answer);
    expect(harness.llm.requests.every((request) => request.body.stream === true)).toBe(true);
    expect(tokens.published.filter((chunk) => chunk.taskId === unwatched.id)).toEqual([]);

    // The same answer without streaming (the Plain agent has no tools: text only on both sides).
    harness.llm.enqueue(scripted.text(answer), scripted.text(answer));
    const [streamedText, plainText] = await Promise.all(
      ['Streamer', 'Plain'].map(async (agentName) => waitForCompletion(harness.zap, (await harness.zap.executeTask({ agentName, task: 'Same answer' })).id)),
    );
    expect(harness.llm.requests.slice(2).map((request) => request.body.stream === true).sort()).toEqual([false, true]);
    const conversation = (task: { history: readonly { role: string }[] }) => task.history.filter((message) => message.role !== 'system');
    expect(conversation(plainText!)).toEqual(conversation(streamedText!));
    expect(plainText!.result).toBe(answer);

    // Watched: every delta is published (one chunk per delta in process).
    harness.llm.enqueue(scripted.text(answer));
    const events = await collect(harness.zap.streamTask({ agentName: 'Streamer', task: 'Watched' }));
    const taskId = events[0]!.taskId;
    expect(tokenText(events)).toBe(answer);
    expect(tokens.published.filter((chunk) => chunk.taskId === taskId)).toHaveLength(60);
  });

  test("streaming 'when-watched': a plain completion when nobody subscribes, SSE and live tokens when someone does", async () => {
    const answer = words(30);
    harness.llm.enqueue(scripted.text(answer));
    const unwatched = await harness.zap.executeTask({ agentName: 'WhenWatched', task: 'Nobody watches' });
    expect((await waitForCompletion(harness.zap, unwatched.id)).result).toBe(answer);
    expect(harness.llm.requests[0]?.body.stream).not.toBe(true);
    expect(tokens.published.filter((chunk) => chunk.taskId === unwatched.id)).toEqual([]);

    harness.llm.enqueue(scripted.text(answer));
    const events = await collect(harness.zap.streamTask({ agentName: 'WhenWatched', task: 'Watched' }));
    expect(harness.llm.requests[1]?.body.stream).toBe(true);
    expect(tokenText(events)).toBe(answer);
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: answer });
    expect(() => new ZapAgent({ name: 'Bad', prompt: 'p', streaming: 'sometimes' as never })).toThrow("streaming must be true, false or 'when-watched'");
  });

  test('a subscriber attaching mid-call gets the tokens from then on', async () => {
    const answer = words(60);
    harness.llm.enqueue(scripted.text(answer, { chunkDelayMs: 25 }));
    const task = await harness.zap.executeTask({ agentName: 'Streamer', task: 'Attach late' });
    await waitForRequests(harness.llm, 1);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    // Attached 200 ms into a 1.5 s answer: what came before is not published (nobody listened).
    const events = await collect(harness.zap.streamTask({ taskId: task.id }));
    const text = tokenText(events);
    expect(text.length).toBeGreaterThan(0);
    expect(answer.endsWith(text)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: answer });
  });

  test('filters leave out thinking, tool and token events on request', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ name: 'get_weather', arguments: { city: 'Oslo' } }]), scripted.text('Cold.'));
    const events = await collect(
      harness.zap.streamTask({ agentName: 'Streamer', task: 'Oslo?', includeThinking: false, includeToolEvents: false, includeTokens: false }),
    );
    expect(events.map((event) => event.type)).toEqual(['completed']);
  });

  test('attach mid-task and after completion, from any seq', async () => {
    const opened = new Promise<void>((resolveStarted) => (gateStarted = resolveStarted));
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_g', name: 'gate', arguments: {} }]), scripted.text('Through the gate.'));
    const task = await harness.zap.executeTask({ agentName: 'Streamer', task: 'Go through the gate' });
    await opened;
    const attached = collect(harness.zap.streamTask({ taskId: task.id, includeTokens: false }));
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    releaseGate?.();
    const live = await attached;
    expect(live.map((event) => event.type)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'completed']);

    const replay = await collect(harness.zap.streamTask({ taskId: task.id }));
    expect(replay).toEqual(live);
    const tail = await collect(harness.zap.streamTask({ taskId: task.id, since: 3 }));
    expect(tail.map((event) => event.seq)).toEqual([4, 5]);
    await expect(collect(harness.zap.streamTask({ taskId: 'Streamer-missing' }))).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  test('a follow-up streams only its own request; seq continues', async () => {
    harness.llm.enqueue(scripted.text('First.'), scripted.text('Second.'));
    const first = await collect(harness.zap.streamTask({ agentName: 'Plain', task: 'One' }));
    const taskId = first[0]!.taskId;
    const second = await collect(harness.zap.streamTask({ followUpOnTask: taskId, task: 'Two' }));
    expect(first.map((event) => [event.type, event.seq])).toEqual([['thinking', 1], ['completed', 2]]);
    expect(second.map((event) => [event.type, event.seq])).toEqual([['thinking', 3], ['completed', 4]]);
    expect(second.some((event) => event.type === 'token')).toBe(false);
  });

  test('tokens arrive before completion with a slow model', async () => {
    const answer = 'one two three four five six seven eight';
    harness.llm.enqueue(scripted.text(answer, { chunkDelayMs: 60 }));
    const arrivals: Array<{ type: string; at: number }> = [];
    let text = '';
    for await (const event of harness.zap.streamTask({ agentName: 'Streamer', task: 'Count slowly' })) {
      arrivals.push({ type: event.type, at: Date.now() });
      if (event.type === 'token') text += event.delta;
    }
    expect(text).toBe(answer);
    const firstToken = arrivals.find((arrival) => arrival.type === 'token')!;
    const completed = arrivals.find((arrival) => arrival.type === 'completed')!;
    // Eight chunks 60 ms apart: the first token comes while the model is still producing.
    expect(completed.at - firstToken.at).toBeGreaterThan(200);
  });

  test('tokens of a failed attempt never mix with the retry', async () => {
    harness.llm.enqueue(
      scripted.text('broken answer that will be cut', { disconnectAfterChunks: 3 }),
      scripted.text('the complete retried answer'),
    );
    const events = await collect(harness.zap.streamTask({ agentName: 'Streamer', task: 'Flaky' }));
    const tokenEvents = events.filter((event): event is Extract<TaskEvent, { type: 'token' }> => event.type === 'token');
    const attempts = tokenEvents.map((event) => event.attempt);
    expect([...attempts].sort((a, b) => a - b)).toEqual(attempts);
    expect(tokenEvents.filter((event) => event.attempt === 2).map((event) => event.delta).join('')).toBe('the complete retried answer');
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: 'the complete retried answer' });
    expect(harness.llm.requests).toHaveLength(2);
  });

  test('aborting the iterator ends it and releases its subscription and long-poll', async () => {
    const opened = new Promise<void>((resolveStarted) => (gateStarted = resolveStarted));
    harness.llm.enqueue(scripted.toolCalls([{ name: 'gate', arguments: {} }]), scripted.text('done'));
    const controller = new AbortController();
    const statistics = { queries: 0, historyRequests: 0 };
    const seen: TaskEvent[] = [];
    const consuming = (async () => {
      for await (const event of harness.zap.streamTask({ agentName: 'Streamer', task: 'Abort me', signal: controller.signal, statistics })) {
        seen.push(event);
      }
    })();
    await opened;
    await waitForTask(harness.zap, seen[0]!.taskId, () => seen.some((event) => event.type === 'tool_call'));
    controller.abort();
    await consuming;
    expect(seen.map((event) => event.type)).toEqual(['thinking', 'tool_call']);
    expect(tokens.subscribedTaskCount()).toBe(0);
    // Idle while the gate was closed: the stream queried only when history changed.
    expect(statistics.queries).toBeLessThanOrEqual(4);
    releaseGate?.();
    await waitForCompletion(harness.zap, seen[0]!.taskId);
  });

  test('reconnecting with since across continue-as-new gets every event exactly once', async () => {
    let answers = 0;
    harness.llm.setHandler(() => scripted.text(`answer ${++answers}`));
    const started = await harness.zap.executeTask({ agentName: 'Plain', task: 'turn 1' });
    const received: TaskEvent[] = [];
    let since = 0;
    for (let turn = 1; turn <= 12; turn++) {
      if (turn > 1) await harness.zap.executeTask({ followUpOnTask: started.id, task: `turn ${turn}` });
      // Read part of the turn, disconnect, reconnect from the last seq seen.
      for await (const event of harness.zap.streamTask({ taskId: started.id, since })) {
        received.push(event);
        since = event.seq;
        break;
      }
      for await (const event of harness.zap.streamTask({ taskId: started.id, since })) {
        received.push(event);
        since = event.seq;
      }
    }
    const runs = [];
    for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
    expect(runs.length).toBeGreaterThan(1);
    expect(received.map((event) => event.seq)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1));
    expect(received.filter((event) => event.type === 'completed').map((event) => (event.type === 'completed' ? event.result : ''))).toEqual(
      Array.from({ length: 12 }, (_, index) => `answer ${index + 1}`),
    );
  });

  test('20 subscribers attaching and detaching at random see every event exactly once', async () => {
    harness.llm.setHandler((request) => {
      const tools = (request.body.messages as Array<{ role: string }>).filter((message) => message.role === 'tool').length;
      return tools < 6
        ? scripted.toolCalls([{ name: 'get_weather', arguments: { city: `City${tools}` } }], { delayMs: 20 })
        : scripted.text('All cities checked.');
    });
    const started = await harness.zap.executeTask({ agentName: 'Streamer', task: 'Check six cities' });
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const subscribers = Array.from({ length: 20 }, async () => {
      const events: TaskEvent[] = [];
      let since = 0;
      for (;;) {
        const controller = new AbortController();
        const budget = 1 + Math.floor(random() * 4);
        let taken = 0;
        let finished = false;
        for await (const event of harness.zap.streamTask({ taskId: started.id, since, includeTokens: false, signal: controller.signal })) {
          events.push(event);
          since = event.seq;
          if (event.type === 'completed') finished = true;
          if (++taken >= budget) {
            if (random() < 0.5) controller.abort();
            else break;
          }
        }
        if (finished) return events;
        await new Promise((resolveWait) => setTimeout(resolveWait, random() * 30));
      }
    });
    const results = await Promise.all(subscribers);
    const expected = (await collect(harness.zap.streamTask({ taskId: started.id, includeTokens: false }))).map((event) => event.seq);
    expect(expected).toEqual(Array.from({ length: expected.length }, (_, index) => index + 1));
    for (const events of results) expect(events.map((event) => event.seq)).toEqual(expected);
  });
});

describe('tokens across processes', () => {
  let llm: ScriptedLlmServer;
  let worker: WorkerProcess | undefined;
  const natsUrl = process.env.ZAP_TEST_NATS_URL as string;
  const taskQueue = uniqueTaskQueue('tokens');
  const client = createRemoteZap(taskQueue, temporalAddress(), natsUrl);
  /** A plain NATS connection that sees every token message (it answers no "anyone listening?" request). */
  let observer: NatsConnection;
  const messagesBySubject = new Map<string, number>();
  const tokenMessages = (taskId: string): number => messagesBySubject.get(`zap.tokens.${Buffer.from(taskId).toString('base64url')}`) ?? 0;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start();
    observer = await connect({ servers: natsUrl });
    observer.subscribe('zap.tokens.>', {
      callback: (_error, message) => {
        messagesBySubject.set(message.subject, (messagesBySubject.get(message.subject) ?? 0) + 1);
      },
    });
    await observer.flush();
    await client.start();
    worker = await spawnWorker(resolve(__dirname, '../fixtures/worker-zap.ts'), {
      ZAP_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporalAddress(),
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'worker-key',
      ZAP_NATS_URL: natsUrl,
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
    });
  });

  afterAll(async () => {
    expect(await worker?.stop('SIGTERM')).toBe(0);
    await client.stop();
    await observer.drain();
    await llm.close();
  });

  test('a worker publishes no token while nobody subscribes over NATS, and a late subscriber gets them from then on', async () => {
    // A watched task first: the worker's NATS connection is up (an answer slower than 500 ms, as
    // while connecting, counts as "someone listens").
    llm.enqueue(scripted.text('warm up'));
    expect((await collect(client.streamTask({ agentName: 'Remote', task: 'Warm up' }))).at(-1)).toMatchObject({ type: 'completed' });
    llm.enqueue(scripted.text(words(40)));
    const unwatched = await client.executeTask({ agentName: 'Remote', task: 'Nobody watches' });
    expect((await waitForCompletion(client, unwatched.id)).result).toBe(words(40));
    expect(tokenMessages(unwatched.id)).toBe(0);

    const answer = words(60, 'late');
    llm.enqueue(scripted.text(answer, { chunkDelayMs: 25 }));
    const task = await client.executeTask({ agentName: 'Remote', task: 'Attach late' });
    await waitForRequests(llm, 3);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    const events = await collect(client.streamTask({ taskId: task.id }));
    const text = tokenText(events);
    expect(text.length).toBeGreaterThan(0);
    expect(answer.endsWith(text)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: answer });
    expect(tokenMessages(task.id)).toBeGreaterThan(0);
  });

  test('a client in another process receives live tokens through NATS', async () => {
    const answer = 'tokens travel between processes through a real broker';
    llm.enqueue(scripted.text(answer, { chunkDelayMs: 20 }));
    const events = await collect(client.streamTask({ agentName: 'Remote', task: 'Stream across processes' }));
    const tokenText = events.map((event) => (event.type === 'token' ? event.delta : '')).join('');
    expect(tokenText).toBe(answer);
    expect(events.filter((event) => event.type === 'token').length).toBeGreaterThan(3);
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: answer });
  });
});
