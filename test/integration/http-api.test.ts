import { z } from 'zod';
import { ApprovalRules, ZapAgent, tool, type TaskEvent } from '../../src';
import { bearerTokenAuthenticator } from '../../src/http/bearer-token-authenticator';
import { serveHttpApi, type HttpApiServer } from '../../src/http/serve-http-api';
import type { Principal } from '../../src/operations/principal';
import type { StreamEventsInput } from '../../src/operations/operation-schemas';
import { ZapOperations } from '../../src/operations/zap-operations';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForTask, type Harness } from '../support/harness';
import { connectEventStream, type EventStreamConnection, type ServerSentItem } from '../support/server-sent-events';

const PROMPT = 'Support agent.';

/** Promises the test opens by key; a tool call waits on its key, so events happen when the test says. */
class Gates {
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  private gate(key: string) {
    let entry = this.gates.get(key);
    if (!entry) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      entry = { promise, open };
      this.gates.set(key, entry);
    }
    return entry;
  }

  wait(key: string): Promise<void> {
    return this.gate(key).promise;
  }

  open(key: string): void {
    this.gate(key).open();
  }
}

const gates = new Gates();
const stepTool = tool({
  name: 'step',
  description: 'Runs one step when allowed to.',
  parameters: z.object({ key: z.string() }),
  execute: async ({ key }) => {
    await gates.wait(key);
    return `step ${key} done`;
  },
});
const transfers: string[] = [];
const transferTool = tool({
  name: 'transfer_funds',
  description: 'Moves money.',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => {
    transfers.push(`${amount} to ${to}`);
    return `transferred ${amount} to ${to}`;
  },
});

/** ZapOperations that keep the signal of every event stream the API opens, to see disconnects reach it. */
class ObservedOperations extends ZapOperations {
  readonly streamSignals: AbortSignal[] = [];

  override async *streamEvents(principal: Principal, input: StreamEventsInput, signal?: AbortSignal): AsyncGenerator<TaskEvent, void, undefined> {
    if (signal) this.streamSignals.push(signal);
    yield* super.streamEvents(principal, input, signal);
  }
}

const TOKENS = {
  alice: 'token-alice-tenant-a',
  reader: 'token-rita-tenant-a-reader',
  bob: 'token-bob-tenant-b',
  operator: 'token-olga-operator',
} as const;

const router = new AgentRouter();

describe('HTTP API (real server, real Temporal, worker and scripted model)', () => {
  let harness: Harness;
  let server: HttpApiServer;
  let operations: ObservedOperations;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Support',
          prompt: PROMPT,
          model: 'scripted-model',
          tools: [stepTool, transferTool],
          events: { 'email-verified': { description: 'The user verified their email address.', schema: z.object({ email: z.string() }) } },
        }),
      ],
      llm: { handler: router.handler },
      zap: { logger: { warn: () => undefined } },
    });
    operations = new ObservedOperations({ zap: harness.zap });
    server = await serveHttpApi({
      operations,
      port: 0,
      heartbeatIntervalMs: 100,
      authenticate: bearerTokenAuthenticator({
        tokens: {
          [TOKENS.alice]: { tenantId: 'tenant-a', userId: 'alice', roles: ['read', 'start', 'approve'] },
          [TOKENS.reader]: { tenantId: 'tenant-a', userId: 'rita', roles: ['read'] },
          [TOKENS.bob]: { tenantId: 'tenant-b', userId: 'bob', roles: ['read', 'start', 'approve'] },
          [TOKENS.operator]: { userId: 'olga', roles: ['read', 'start', 'approve'] },
        },
      }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.setHandler(router.handler);
  });

  // ------------------------------------------------------------------ helpers

  function call(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  }

  async function json(method: string, path: string, options: Parameters<typeof call>[2] & { expect?: number } = {}) {
    const response = await call(method, path, options);
    const text = await response.text();
    expect({ status: response.status, body: text }).toEqual({ status: options.expect ?? 200, body: expect.any(String) });
    return { response, body: JSON.parse(text) as any };
  }

  async function expectProblem(response: Response, status: number, code: string) {
    const text = await response.text();
    expect({ url: response.url, status: response.status, contentType: response.headers.get('content-type'), text }).toEqual({
      url: response.url,
      status,
      contentType: 'application/problem+json',
      text: expect.any(String),
    });
    const problem = JSON.parse(text);
    expect(problem).toMatchObject({ status, code, type: `https://zap-agents.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`, title: expect.any(String) });
    expect(typeof problem.detail).toBe('string');
    return problem;
  }

  async function startTask(token: string, message: string, extra: Record<string, unknown> = {}) {
    const { body } = await json('POST', '/v1/tasks', { token, body: { agent: 'Support', message, ...extra }, expect: 201 });
    return body as { taskId: string; lastEventSeq: number };
  }

  async function waitCompleted(token: string, taskId: string) {
    const { body } = await json('POST', `/v1/tasks/${encodeURIComponent(taskId)}/wait?timeout=30`, { token });
    expect(body.outcome).toBe('completed');
    return body.task;
  }

  function eventsUrl(taskId: string, query = '') {
    return `${server.url}/v1/tasks/${encodeURIComponent(taskId)}/events${query}`;
  }

  /** Reads events until `until` holds for one (it included) or the stream ends. */
  async function readEvents(items: AsyncGenerator<ServerSentItem>, until: (event: Extract<ServerSentItem, { kind: 'event' }>) => boolean = () => false) {
    const events: Array<Extract<ServerSentItem, { kind: 'event' }>> = [];
    for (;;) {
      const next = await items.next();
      if (next.done) return { events, ended: true };
      if (next.value.kind !== 'event') continue;
      events.push(next.value);
      if (until(next.value)) return { events, ended: false };
    }
  }

  async function openStream(taskId: string, token: string, query = '', headers: Record<string, string> = {}): Promise<EventStreamConnection> {
    const connection = await connectEventStream(eventsUrl(taskId, query), { authorization: `Bearer ${token}`, ...headers });
    expect(connection.response.status).toBe(200);
    expect(connection.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return connection;
  }

  // ------------------------------------------------------------------ routes

  test('start (201 + Location), status, wait, history, usage, list, idempotent start', async () => {
    router.enqueue(PROMPT, scripted.text('Order 123 ships tomorrow.', { usage: { promptTokens: 11, completionTokens: 7 } }));
    const response = await call('POST', '/v1/tasks', {
      token: TOKENS.alice,
      body: { agent: 'Support', message: 'Where is order 123?', taskId: `http-basic-${Date.now()}` },
    });
    expect(response.status).toBe(201);
    const started = (await response.json()) as any;
    expect(started).toMatchObject({ agent: 'Support', tenantId: 'tenant-a', userId: 'alice' });
    expect(response.headers.get('location')).toBe(`/v1/tasks/${encodeURIComponent(started.taskId)}`);

    const task = await waitCompleted(TOKENS.alice, started.taskId);
    expect(task).toMatchObject({ taskId: started.taskId, status: 'completed', result: 'Order 123 ships tomorrow.' });

    const { body: status } = await json('GET', response.headers.get('location')!, { token: TOKENS.alice });
    expect(status).toMatchObject({ taskId: started.taskId, status: 'completed', usage: { promptTokens: 11, completionTokens: 7, totalTokens: 18 } });

    const { body: history } = await json('GET', `/v1/tasks/${started.taskId}/history?offset=1&limit=1`, { token: TOKENS.alice });
    expect(history).toMatchObject({ taskId: started.taskId, offset: 1, total: 3, nextOffset: 2 });
    expect(history.messages).toEqual([expect.objectContaining({ role: 'user', content: 'Where is order 123?' })]);

    const { body: usage } = await json('GET', `/v1/tasks/${started.taskId}/usage`, { token: TOKENS.alice });
    expect(usage).toEqual({ taskId: started.taskId, usage: { promptTokens: 11, completionTokens: 7, totalTokens: 18 }, subTasks: [] });

    const again = await json('POST', '/v1/tasks', {
      token: TOKENS.alice,
      body: { agent: 'Support', message: 'Where is order 123?', taskId: started.taskId },
      expect: 201,
    });
    expect(again.body.taskId).toBe(started.taskId);
    expect(harness.llm.requests).toHaveLength(1);

    // Visibility is eventually consistent: the task appears in its list shortly.
    let listed: any[] = [];
    for (let attempt = 0; attempt < 100 && !listed.some((entry) => entry.taskId === started.taskId); attempt += 1) {
      const { body: page } = await json('GET', '/v1/tasks?agent=Support&status=completed,failed&status=cancelled&pageSize=50', { token: TOKENS.alice });
      listed = page.tasks;
      if (!listed.some((entry) => entry.taskId === started.taskId)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(listed).toContainEqual(expect.objectContaining({ taskId: started.taskId, agent: 'Support', status: 'completed', tenantId: 'tenant-a' }));
    expect(listed.every((entry) => entry.tenantId === 'tenant-a')).toBe(true);
  });

  test('SSE: a consumer that disconnects mid-task and resumes with Last-Event-ID gets every event exactly once', async () => {
    router.enqueue(
      PROMPT,
      scripted.toolCalls([{ name: 'step', arguments: { key: 'sse-1' } }]),
      scripted.toolCalls([{ name: 'step', arguments: { key: 'sse-2' } }]),
      scripted.toolCalls([{ name: 'step', arguments: { key: 'sse-3' } }]),
      scripted.text('All three steps done.'),
    );
    const { taskId } = await startTask(TOKENS.alice, 'Run the three steps');
    const streamsBefore = operations.streamSignals.length;

    const first = await openStream(taskId, TOKENS.alice);
    const before = await readEvents(first.items, (event) => event.event === 'tool_call');
    expect(before.ended).toBe(false);
    first.disconnect();
    // The server's operation stream is aborted by the disconnect.
    const signal = operations.streamSignals[streamsBefore]!;
    await waitForTask(harness.zap, taskId, () => signal.aborted, 10_000);

    // Steps 1 and 2 happen while nobody listens.
    gates.open('sse-1');
    await waitForTask(harness.zap, taskId, (task) => task.getToolCalls().length >= 2);
    gates.open('sse-2');
    const lastSeen = before.events.at(-1)!.id!;
    const second = await openStream(taskId, TOKENS.alice, '?since=0', { 'last-event-id': lastSeen });
    gates.open('sse-3');
    const after = await readEvents(second.items);
    expect(after.ended).toBe(true);
    expect(after.events.at(-1)!.event).toBe('completed');

    const received = [...before.events, ...after.events];
    const seqs = received.map((event) => Number(event.id));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => seqs[0]! + index));
    for (const event of received) {
      const data = JSON.parse(event.data);
      expect(data).toMatchObject({ seq: Number(event.id), type: event.event, taskId });
    }

    // Everything the task recorded, read again from the start: the same events, once each.
    const replay = await openStream(taskId, TOKENS.alice, '?since=0');
    const all = await readEvents(replay.items);
    expect(all.ended).toBe(true);
    expect(received.map((event) => `${event.id}:${event.event}`)).toEqual(all.events.map((event) => `${event.id}:${event.event}`));
    expect(all.events.filter((event) => event.event === 'tool_result')).toHaveLength(3);
  });

  test('SSE: follow streams across follow-ups until the task closes; heartbeats while idle', async () => {
    router.enqueue(PROMPT, scripted.text('First answer.'), scripted.text('Second answer.'));
    const { taskId } = await startTask(TOKENS.alice, 'Hello');
    const answered = await waitCompleted(TOKENS.alice, taskId);

    const stream = await openStream(taskId, TOKENS.alice, `?follow=true&since=${answered.lastEventSeq}`);
    // Idle: the task waits for a follow-up, and the stream sends comment heartbeats (every 100 ms here).
    let heartbeats = 0;
    while (heartbeats < 2) {
      const next = await stream.items.next();
      if (next.done) throw new Error('stream ended while idle');
      if (next.value.kind === 'comment' && next.value.text === 'heartbeat') heartbeats += 1;
    }
    await json('POST', `/v1/tasks/${taskId}/messages`, { token: TOKENS.alice, body: { message: 'And again?' } });
    const secondTurn = await readEvents(stream.items, (event) => event.event === 'completed');
    expect(secondTurn.ended).toBe(false);
    expect(JSON.parse(secondTurn.events.at(-1)!.data)).toMatchObject({ type: 'completed', result: 'Second answer.' });

    const { body: cancelled } = await json('POST', `/v1/tasks/${taskId}/cancel`, { token: TOKENS.alice, body: { reason: 'done here' } });
    expect(cancelled.taskId).toBe(taskId);
    const rest = await readEvents(stream.items);
    expect(rest.ended).toBe(true);
    expect(rest.events.at(-1)).toMatchObject({ event: 'cancelled' });
    const { body: status } = await json('GET', `/v1/tasks/${taskId}`, { token: TOKENS.alice });
    expect(status).toMatchObject({ status: 'cancelled', cancelReason: 'done here' });
  });

  test('SSE: tokens=true adds live token events without an id', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    harness.llm.setHandler(async () => {
      await released;
      return scripted.text('Streaming answer here.');
    });
    const { taskId } = await startTask(TOKENS.alice, 'Stream tokens please');
    const stream = await openStream(taskId, TOKENS.alice, '?tokens=true');
    const thinking = await readEvents(stream.items, (event) => event.event === 'thinking');
    expect(thinking.ended).toBe(false);
    release();
    const rest = await readEvents(stream.items);
    expect(rest.ended).toBe(true);
    const tokens = rest.events.filter((event) => event.event === 'token');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((event) => event.id === undefined)).toBe(true);
    expect(tokens.map((event) => JSON.parse(event.data).delta).join('')).toBe('Streaming answer here.');
    expect(rest.events.filter((event) => event.event !== 'token').every((event) => /^\d+$/.test(event.id ?? ''))).toBe(true);
  });

  test('approvals: list, approve records the principal\'s user; a reader cannot approve (403)', async () => {
    router.enqueue(
      PROMPT,
      scripted.toolCalls([{ id: 'call_pay', name: 'transfer_funds', arguments: { amount: 50, to: 'ACME' } }]),
      scripted.text('Paid.'),
    );
    // Approval rules are an option of executeTask; the decision goes through HTTP.
    const task = await harness.zap.executeTask({
      agentName: 'Support',
      task: 'Pay ACME 50',
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
      tenantId: 'tenant-a',
      userId: 'alice',
    });
    await waitForTask(harness.zap, task.id, (current) => current.status === 'awaiting_approval');

    const { body: pending } = await json('GET', `/v1/tasks/${task.id}/approvals`, { token: TOKENS.reader });
    expect(pending.taskId).toBe(task.id);
    expect(pending.approvals).toEqual([expect.objectContaining({ toolName: 'transfer_funds', arguments: { amount: 50, to: 'ACME' } })]);
    const approvalId = pending.approvals[0].approvalId as string;

    const denied = await call('POST', `/v1/tasks/${task.id}/approvals/${approvalId}`, { token: TOKENS.reader, body: { decision: 'approve' } });
    await expectProblem(denied, 403, 'PERMISSION_DENIED');
    const foreign = await call('POST', `/v1/tasks/${task.id}/approvals/${approvalId}`, { token: TOKENS.bob, body: { decision: 'approve' } });
    await expectProblem(foreign, 404, 'TASK_NOT_FOUND');
    const unknown = await call('POST', `/v1/tasks/${task.id}/approvals/no-such-approval`, { token: TOKENS.alice, body: { decision: 'approve' } });
    await expectProblem(unknown, 404, 'APPROVAL_NOT_FOUND');
    const invalid = await call('POST', `/v1/tasks/${task.id}/approvals/${approvalId}`, { token: TOKENS.alice, body: { decision: 'maybe' } });
    await expectProblem(invalid, 400, 'ZAP_VALIDATION');
    expect(transfers).toEqual([]);

    const { body: decision } = await json('POST', `/v1/tasks/${task.id}/approvals/${approvalId}`, {
      token: TOKENS.alice,
      body: { decision: 'approve', reason: 'expected invoice' },
    });
    expect(decision).toEqual({ taskId: task.id, approvalId, decision: 'approved', alreadyDecided: false, decidedBy: 'alice' });
    await waitCompleted(TOKENS.alice, task.id);
    expect(transfers).toEqual(['50 to ACME']);
    const recorded = await harness.zap.getTask(task.id);
    expect(recorded.approvals).toEqual([expect.objectContaining({ id: approvalId, decision: 'approved', decidedBy: 'alice' })]);

    const { body: twice } = await json('POST', `/v1/tasks/${task.id}/approvals/${approvalId}`, { token: TOKENS.alice, body: { decision: 'reject' } });
    expect(twice).toMatchObject({ decision: 'approved', alreadyDecided: true });
  });

  test('named events: delivered (200), unknown (404), invalid data (422); closed task (409)', async () => {
    router.enqueue(PROMPT, scripted.text('Waiting for your email.'));
    const { taskId } = await startTask(TOKENS.alice, 'Verify me');
    await waitCompleted(TOKENS.alice, taskId);

    const { body: delivered } = await json('POST', `/v1/tasks/${taskId}/events/email-verified`, { token: TOKENS.alice, body: { email: 'ada@example.com' } });
    expect(delivered).toEqual({ taskId, name: 'email-verified', accepted: true, waiting: false });
    await expectProblem(await call('POST', `/v1/tasks/${taskId}/events/password-reset`, { token: TOKENS.alice, body: {} }), 404, 'UNKNOWN_EVENT');
    const invalid = await expectProblem(
      await call('POST', `/v1/tasks/${taskId}/events/email-verified`, { token: TOKENS.alice, body: { email: 42 } }),
      422,
      'EVENT_VALIDATION',
    );
    expect(invalid.issues).toEqual([expect.objectContaining({ path: 'email' })]);

    await json('POST', `/v1/tasks/${taskId}/cancel`, { token: TOKENS.alice });
    await waitForTask(harness.zap, taskId, (task) => task.status === 'cancelled');
    await expectProblem(await call('POST', `/v1/tasks/${taskId}/messages`, { token: TOKENS.alice, body: { message: 'Hello?' } }), 409, 'TASK_CLOSED');
  });

  test('bad requests: problem+json with the right status and code', async () => {
    const token = TOKENS.alice;
    await expectProblem(await call('GET', '/v1/tasks/no-such-task', { token }), 404, 'TASK_NOT_FOUND');
    await expectProblem(await call('GET', '/v1/tasks/no-such-task/events', { token }), 404, 'TASK_NOT_FOUND');
    await expectProblem(await call('POST', '/v1/tasks/no-such-task/wait?timeout=1', { token }), 404, 'TASK_NOT_FOUND');
    await expectProblem(await call('GET', '/v1/nothing', { token }), 404, 'ROUTE_NOT_FOUND');
    await expectProblem(await call('DELETE', '/v1/tasks', { token }), 404, 'ROUTE_NOT_FOUND');
    await expectProblem(await call('POST', '/v1/tasks', { token, rawBody: '{"agent": "Support", "message": ', headers: { 'content-type': 'application/json' } }), 400, 'MALFORMED_JSON');
    await expectProblem(await call('POST', '/v1/tasks', { token, rawBody: 'agent=Support&message=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectProblem(await call('POST', '/v1/tasks', { token, rawBody: '{"agent":"Support","message":"hi"}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectProblem(await call('POST', '/v1/tasks', { token, body: { agent: 'Support', message: 'x'.repeat(1024 * 1024 + 10) } }), 413, 'PAYLOAD_TOO_LARGE');
    await expectProblem(await call('POST', '/v1/tasks', { token, body: [1, 2] }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('POST', '/v1/tasks', { token, body: { agent: 'Support', message: '' } }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('POST', '/v1/tasks', { token, body: { agent: 'Ghost', message: 'hi' } }), 422, 'AGENT_NOT_FOUND');
    await expectProblem(await call('GET', '/v1/tasks?status=sleeping', { token }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('GET', '/v1/tasks/x/history?limit=100000', { token }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('GET', '/v1/tasks/x/events', { token, headers: { 'last-event-id': 'abc' } }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('POST', '/v1/tasks/x/wait?timeout=99999', { token }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('POST', '/v1/tasks/x/messages', { token, body: { taskId: 'y', message: 'hi' } }), 400, 'ZAP_VALIDATION');
    const unauthenticated = await call('GET', '/v1/tasks');
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectProblem(unauthenticated, 401, 'UNAUTHENTICATED');
    await expectProblem(await call('GET', '/v1/tasks', { token: 'not-a-token' }), 401, 'UNAUTHENTICATED');
  });

  test('tenancy: tenant A gets 404 on every route for tenant B\'s task; B\'s task is untouched', async () => {
    router.enqueue(PROMPT, scripted.text('Bob\'s answer.'));
    const { taskId } = await startTask(TOKENS.bob, 'Bob asks');
    await waitCompleted(TOKENS.bob, taskId);
    const token = TOKENS.alice;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/tasks/${taskId}`],
      ['GET', `/v1/tasks/${taskId}/history`],
      ['GET', `/v1/tasks/${taskId}/events`],
      ['GET', `/v1/tasks/${taskId}/approvals`],
      ['GET', `/v1/tasks/${taskId}/usage`],
      ['POST', `/v1/tasks/${taskId}/wait?timeout=1`],
      ['POST', `/v1/tasks/${taskId}/messages`, { message: 'Hijack' }],
      ['POST', `/v1/tasks/${taskId}/approvals/any-id`, { decision: 'approve' }],
      ['POST', `/v1/tasks/${taskId}/events/email-verified`, { email: 'mallory@example.com' }],
      ['POST', `/v1/tasks/${taskId}/cancel`, { reason: 'mine now' }],
    ];
    for (const [method, path, body] of attempts) {
      const problem = await expectProblem(await call(method, path, { token, ...(body !== undefined ? { body } : {}) }), 404, 'TASK_NOT_FOUND');
      expect(problem.instance).toBe(path.split('?')[0]);
    }
    // Reusing B's id to start a task is refused without revealing it.
    await expectProblem(await call('POST', '/v1/tasks', { token, body: { agent: 'Support', message: 'hi', taskId } }), 400, 'ZAP_VALIDATION');
    const { body: page } = await json('GET', '/v1/tasks?pageSize=100', { token });
    expect(page.tasks.some((entry: any) => entry.taskId === taskId)).toBe(false);

    const { body: status } = await json('GET', `/v1/tasks/${taskId}`, { token: TOKENS.bob });
    expect(status).toMatchObject({ status: 'completed', tenantId: 'tenant-b', counts: { messages: 3 } });
    const { body: operatorView } = await json('GET', `/v1/tasks/${taskId}`, { token: TOKENS.operator });
    expect(operatorView.taskId).toBe(taskId);
  });

  test('roles: a reader reads but cannot start, message, cancel or approve (403)', async () => {
    router.enqueue(PROMPT, scripted.text('Hi.'));
    const { taskId } = await startTask(TOKENS.alice, 'Hi');
    await waitCompleted(TOKENS.reader, taskId);
    await expectProblem(await call('POST', '/v1/tasks', { token: TOKENS.reader, body: { agent: 'Support', message: 'hi' } }), 403, 'PERMISSION_DENIED');
    await expectProblem(await call('POST', `/v1/tasks/${taskId}/messages`, { token: TOKENS.reader, body: { message: 'hi' } }), 403, 'PERMISSION_DENIED');
    await expectProblem(await call('POST', `/v1/tasks/${taskId}/cancel`, { token: TOKENS.reader }), 403, 'PERMISSION_DENIED');
    await expectProblem(await call('POST', `/v1/tasks/${taskId}/approvals/x`, { token: TOKENS.reader, body: { decision: 'reject' } }), 403, 'PERMISSION_DENIED');
    const { body } = await json('GET', `/v1/tasks/${taskId}`, { token: TOKENS.reader });
    expect(body.status).toBe('completed');
  });

  test('health, readiness, the OpenAPI document and the MCP endpoint', async () => {
    expect((await json('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await json('GET', '/readyz')).body).toEqual({ status: 'ready' });
    const { body: document } = await json('GET', '/openapi.json');
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/tasks', '/v1/tasks/{taskId}/events', '/mcp']));

    await expectProblem(await call('POST', '/mcp', { body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } }), 401, 'UNAUTHENTICATED');
    const initialize = await call('POST', '/mcp', {
      token: TOKENS.alice,
      headers: { accept: 'application/json, text/event-stream' },
      body: {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'http-api-test', version: '1.0.0' } },
      },
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers.get('mcp-session-id')).toEqual(expect.any(String));
    expect(await initialize.text()).toContain('"serverInfo"');
  });
});
