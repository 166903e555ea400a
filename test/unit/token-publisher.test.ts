import { setTimeout as sleep } from 'node:timers/promises';
import { InProcessTokenTransport } from '../../src/streaming/in-process-token-transport';
import { TokenPublisher } from '../../src/streaming/token-publisher';
import type { TokenChunk, TokenSubscription, TokenTransport } from '../../src/streaming/token-transport';

const CALL = { taskId: 'Agent-1', callIndex: 2, attempt: 1 };

/** The in-process transport, counting what is published, answering `hasSubscribers` later and batching when told to. */
class DeferredTransport implements TokenTransport {
  readonly inner = new InProcessTokenTransport();
  publishes = 0;
  checks = 0;
  private answers: Array<() => void> = [];

  constructor(readonly publishBatchMs = 0) {}

  publish(chunk: TokenChunk): void {
    this.publishes += 1;
    this.inner.publish(chunk);
  }

  hasSubscribers(taskId: string): Promise<boolean> {
    this.checks += 1;
    return new Promise((resolve) => this.answers.push(() => resolve(this.inner.hasSubscribers(taskId))));
  }

  /** Answers the pending `hasSubscribers` calls. */
  async answer(): Promise<void> {
    for (const answer of this.answers.splice(0)) answer();
    await sleep(0);
  }

  subscribe(taskId: string, listener: (chunk: TokenChunk) => void): Promise<TokenSubscription> {
    return this.inner.subscribe(taskId, listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function collect(transport: TokenTransport): { chunks: TokenChunk[]; subscription: Promise<TokenSubscription> } {
  const chunks: TokenChunk[] = [];
  return { chunks, subscription: transport.subscribe(CALL.taskId, (chunk) => chunks.push(chunk)) };
}

describe('TokenPublisher', () => {
  test('publishes nothing while nobody listens, and every delta once someone does', async () => {
    const transport = new InProcessTokenTransport();
    const publish = jest.spyOn(transport, 'publish');
    const unwatched = new TokenPublisher(transport, CALL);
    for (const delta of ['a', 'b', 'c']) unwatched.delta(delta);
    unwatched.finish();
    expect(publish).not.toHaveBeenCalled();

    const { chunks } = collect(transport);
    const watched = new TokenPublisher(transport, CALL);
    for (const delta of ['a', 'b', 'c']) watched.delta(delta);
    watched.finish();
    watched.delta('late');
    expect(chunks).toEqual(['a', 'b', 'c'].map((delta, index) => ({ ...CALL, index, delta })));
    expect(watched.published).toBe(3);
  });

  test('a subscriber that attaches mid-call gets the deltas from the next check on', async () => {
    const transport = new InProcessTokenTransport();
    const publisher = new TokenPublisher(transport, CALL, { checkIntervalMs: 20 });
    publisher.delta('before ');
    const { chunks } = collect(transport);
    publisher.delta('still unseen ');
    await sleep(30);
    publisher.delta('seen ');
    publisher.delta('too');
    publisher.finish();
    expect(chunks.map((chunk) => chunk.delta)).toEqual(['seen ', 'too']);
  });

  test('deltas wait for the first answer, and are dropped when it is no', async () => {
    const transport = new DeferredTransport();
    const { chunks } = collect(transport);
    const publisher = new TokenPublisher(transport, CALL);
    publisher.delta('one ');
    publisher.delta('two');
    expect(transport.publishes).toBe(0);
    await transport.answer();
    // What was held goes out as one chunk.
    expect(chunks.map((chunk) => chunk.delta)).toEqual(['one two']);
    publisher.finish();

    const empty = new DeferredTransport();
    const unwatched = new TokenPublisher(empty, CALL);
    unwatched.delta('nobody');
    await empty.answer();
    unwatched.delta('sees this');
    unwatched.finish();
    expect(empty.publishes).toBe(0);
    expect(empty.checks).toBe(1);
  });

  test('a call that ends before the first answer still publishes when the answer is yes', async () => {
    const transport = new DeferredTransport();
    const { chunks } = collect(transport);
    const publisher = new TokenPublisher(transport, CALL);
    publisher.delta('quick answer');
    publisher.finish();
    await transport.answer();
    expect(chunks.map((chunk) => chunk.delta)).toEqual(['quick answer']);
  });

  test('with publishBatchMs, deltas travel as one chunk per window and finish sends the rest', async () => {
    const transport = new DeferredTransport(10);
    const { chunks } = collect(transport);
    const publisher = new TokenPublisher(transport, CALL);
    await transport.answer();
    for (const delta of ['a', 'b', 'c']) publisher.delta(delta);
    await sleep(40);
    publisher.delta('d');
    publisher.delta('e');
    publisher.finish();
    expect(chunks).toEqual([
      { ...CALL, index: 0, delta: 'abc' },
      { ...CALL, index: 1, delta: 'de' },
    ]);
  });

  test('a transport without hasSubscribers gets every delta (assumed listening)', () => {
    const published: TokenChunk[] = [];
    const transport: TokenTransport = { publish: (chunk) => published.push(chunk), subscribe: async () => ({ unsubscribe: async () => undefined }), close: async () => undefined };
    const publisher = new TokenPublisher(transport, CALL);
    publisher.delta('x');
    publisher.delta('y');
    publisher.finish();
    expect(published.map((chunk) => chunk.delta)).toEqual(['x', 'y']);
  });

  test('a failing hasSubscribers counts as someone listening', async () => {
    const published: string[] = [];
    const transport: TokenTransport = {
      publish: (chunk) => published.push(chunk.delta),
      hasSubscribers: () => Promise.reject(new Error('broker down')),
      subscribe: async () => ({ unsubscribe: async () => undefined }),
      close: async () => undefined,
    };
    const publisher = new TokenPublisher(transport, CALL);
    publisher.delta('kept');
    await sleep(0);
    publisher.finish();
    expect(published).toEqual(['kept']);
  });
});

describe('a subscriber that attaches while the model thinks', () => {
  test('gets every delta: the first delta asks again, however soon after the start', async () => {
    const transport = new InProcessTokenTransport();
    const publisher = new TokenPublisher(transport, CALL, { checkIntervalMs: 60_000 });
    expect(await publisher.listeningAtStart()).toBe(false);
    const { chunks, subscription } = collect(transport);
    await subscription;
    publisher.delta('Hello ');
    publisher.delta('there.');
    publisher.finish();
    expect(chunks.map((chunk) => chunk.delta).join('')).toBe('Hello there.');
  });

  test('with an asynchronous answer, the deltas wait for it instead of being dropped', async () => {
    const transport = new DeferredTransport();
    const publisher = new TokenPublisher(transport, CALL, { checkIntervalMs: 60_000 });
    await transport.answer();
    expect(await publisher.listeningAtStart()).toBe(false);
    const { chunks, subscription } = collect(transport);
    await subscription;
    publisher.delta('Hello ');
    publisher.delta('there.');
    await transport.answer();
    publisher.finish();
    expect(transport.checks).toBe(2);
    expect(chunks.map((chunk) => chunk.delta).join('')).toBe('Hello there.');
  });
});
