import type { Client } from '@temporalio/client';
import { ConversationReader } from '../../src/activities/conversation-reader';
import type { ChatMessage } from '../../src/core/messages';
import { getMessagesQuery } from '../../src/workflows/definitions';

interface RecordedQuery {
  workflowId: string;
  runId: string | undefined;
  queryName: string;
  from: number;
  to: number;
}

function messages(count: number, prefix = 'message'): ChatMessage[] {
  return Array.from({ length: count }, (_, index) => ({ role: 'user', content: `${prefix} ${index}` }));
}

/**
 * A stand-in for the Temporal client: `getHandle(id, run).query(getMessagesQuery, { from, to })`
 * answers slices of a fixed conversation per run, at most `pageSize` messages at a time.
 */
class FakeTemporalClient {
  readonly queries: RecordedQuery[] = [];
  readonly conversations = new Map<string, ChatMessage[]>();

  constructor(private readonly pageSize = Number.POSITIVE_INFINITY) {}

  readonly workflow = {
    getHandle: (workflowId: string, runId?: string) => ({
      query: async (definition: { name: string }, range: { from: number; to: number }): Promise<ChatMessage[]> => {
        this.queries.push({ workflowId, runId, queryName: definition.name, ...range });
        const conversation = this.conversations.get(`${workflowId}/${runId}`) ?? [];
        return conversation.slice(range.from, Math.min(range.to, range.from + this.pageSize));
      },
    }),
  };

  set(workflowId: string, runId: string, conversation: ChatMessage[]): void {
    this.conversations.set(`${workflowId}/${runId}`, conversation);
  }

  asClient(): Client {
    return this as unknown as Client;
  }
}

describe('ConversationReader', () => {
  it('needs no query when the inline tail continues what it already holds', async () => {
    const client = new FakeTemporalClient();
    const conversation = messages(5);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    // First model call: the whole (small) conversation comes inline.
    expect(await reader.readWithTail('task-1', 'run-1', 0, conversation.slice(0, 2))).toEqual(conversation.slice(0, 2));
    // Next call: the answer and a tool result come inline; the prefix is cached.
    expect(await reader.readWithTail('task-1', 'run-1', 2, conversation.slice(2, 4))).toEqual(conversation.slice(0, 4));
    expect(client.queries).toEqual([]);
  });

  it('queries only the prefix it lacks when another worker served the previous call', async () => {
    const client = new FakeTemporalClient();
    const conversation = messages(6);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    expect(await reader.readWithTail('task-1', 'run-1', 4, conversation.slice(4, 6))).toEqual(conversation);
    expect(client.queries.map(({ from, to }) => [from, to])).toEqual([[0, 4]]);
    expect(await reader.read('task-1', 'run-1', 6)).toEqual(conversation);
    expect(client.queries).toHaveLength(1);
  });

  it('queries the whole range with getMessagesQuery on the first read', async () => {
    const client = new FakeTemporalClient();
    const conversation = messages(5);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    expect(await reader.read('task-1', 'run-1', 3)).toEqual(conversation.slice(0, 3));
    expect(client.queries).toEqual([
      { workflowId: 'task-1', runId: 'run-1', queryName: getMessagesQuery.name, from: 0, to: 3 },
    ]);
  });

  it('queries only the missing range on a longer read, and nothing on a shorter one', async () => {
    const client = new FakeTemporalClient();
    const conversation = messages(6);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    await reader.read('task-1', 'run-1', 3);
    expect(await reader.read('task-1', 'run-1', 6)).toEqual(conversation);
    expect(await reader.read('task-1', 'run-1', 2)).toEqual(conversation.slice(0, 2));

    expect(client.queries.map(({ from, to }) => [from, to])).toEqual([
      [0, 3],
      [3, 6],
    ]);
  });

  it('keeps separate entries for different runs of the same workflow', async () => {
    const client = new FakeTemporalClient();
    client.set('task-1', 'run-1', messages(2, 'first run'));
    client.set('task-1', 'run-2', messages(2, 'second run'));
    const reader = new ConversationReader(client.asClient());

    expect(await reader.read('task-1', 'run-1', 2)).toEqual(messages(2, 'first run'));
    expect(await reader.read('task-1', 'run-2', 2)).toEqual(messages(2, 'second run'));
    expect(client.queries.map(({ runId }) => runId)).toEqual(['run-1', 'run-2']);
    expect(reader.size()).toBe(2);
  });

  it('evicts the least recently used run when maxEntries is exceeded', async () => {
    const client = new FakeTemporalClient();
    for (const task of ['a', 'b', 'c']) client.set(task, 'run', messages(1, task));
    const reader = new ConversationReader(client.asClient(), 2);

    await reader.read('a', 'run', 1);
    await reader.read('b', 'run', 1);
    await reader.read('a', 'run', 1); // cached; makes 'a' the most recent
    await reader.read('c', 'run', 1); // evicts 'b'
    expect(reader.size()).toBe(2);
    expect(client.queries.map(({ workflowId }) => workflowId)).toEqual(['a', 'b', 'c']);

    await reader.read('a', 'run', 1);
    expect(client.queries).toHaveLength(3);
    await reader.read('b', 'run', 1);
    expect(client.queries.map(({ workflowId }) => workflowId)).toEqual(['a', 'b', 'c', 'b']);
  });

  it('pages when the workflow returns fewer messages than asked for', async () => {
    const client = new FakeTemporalClient(2);
    const conversation = messages(5);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    expect(await reader.read('task-1', 'run-1', 5)).toEqual(conversation);
    expect(client.queries.map(({ from, to }) => [from, to])).toEqual([
      [0, 5],
      [2, 5],
      [4, 5],
    ]);
  });

  it('fails instead of looping when the workflow has fewer messages than asked for', async () => {
    const client = new FakeTemporalClient();
    client.set('task-1', 'run-1', messages(2));
    const reader = new ConversationReader(client.asClient());

    await expect(reader.read('task-1', 'run-1', 4)).rejects.toThrow('The workflow returned no messages from 2.');
  });

  it('keeps the cache correct when two reads of the same run overlap', async () => {
    const client = new FakeTemporalClient();
    const conversation = messages(6);
    client.set('task-1', 'run-1', conversation);
    const reader = new ConversationReader(client.asClient());

    await reader.read('task-1', 'run-1', 2);
    // An activity retry on the same worker can read while an earlier attempt is still reading.
    await Promise.all([reader.read('task-1', 'run-1', 4), reader.read('task-1', 'run-1', 4)]);

    expect(await reader.read('task-1', 'run-1', 6)).toEqual(conversation);
  });
});
