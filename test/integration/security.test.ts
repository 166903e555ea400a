import { randomBytes } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { Zap, ZapAgent, tool, type ZapOptions } from '../../src';
import { AesGcmPayloadCodec, ENCRYPTED_PAYLOAD_ENCODING, PayloadEncryptionError } from '../../src/codec';
import { ScriptedLlmServer, scripted } from '../../src/testing/scripted-llm-server';
import { getTaskStateQuery } from '../../src/workflows/definitions';
import { startHttpToolServer, type HttpToolServer } from '../fixtures/mcp/http-server';
import { stdioServerConfig } from '../fixtures/mcp/stdio-server-command';
import { temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion } from '../support/harness';

const LLM_API_KEY = 'sk-zap-secret-LLM-123';
const HTTP_MCP_TOKEN = 'mcp-secret-HTTP-456';
const STDIO_MCP_TOKEN = 'mcp-secret-STDIO-789';
const SECRETS = [LLM_API_KEY, HTTP_MCP_TOKEN, STDIO_MCP_TOKEN];
const PLAN = 'TOP-SECRET-PLAN-XYZ';

/** A Zap on a fresh task queue of the shared dev server, with a worker running in this process. */
async function startZap(options: Omit<ZapOptions<any>, 'taskQueue' | 'temporal'>, taskQueue = uniqueTaskQueue('security')) {
  const zap = new Zap<any>({ ...options, taskQueue, temporal: { address: temporalAddress() } });
  await zap.start();
  const worker: Worker = await zap.createWorker(testWorkerOptions());
  const running = worker.run();
  return {
    zap,
    taskQueue,
    async stop(): Promise<void> {
      await zap.stop();
      await running;
    },
  };
}

/** A Zap with no worker (a client process), on an existing task queue. */
async function startClient(taskQueue: string, options: Partial<ZapOptions<any>> = {}): Promise<Zap<any>> {
  const zap = new Zap<any>({
    agents: [new ZapAgent({ name: 'Keeper', prompt: 'p', model: 'scripted-model' })],
    ...options,
    taskQueue,
    temporal: { address: temporalAddress() },
  });
  await zap.start();
  return zap;
}

/** The task's full Temporal history, as the server stores it (payloads not decoded). */
async function rawHistory(zap: Zap<any>, taskId: string): Promise<{ history: temporal.api.history.v1.IHistory; bytes: Buffer }> {
  const history = await zap.client.workflow.getHandle(taskId).fetchHistory();
  return { history, bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()) };
}

/** The secret as it would look inside any base64 text, whatever its alignment there. */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [0, 1, 2].map((skip) => {
    const aligned = bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3);
    return aligned.toString('base64');
  });
}

function expectAbsent(bytes: Buffer, secret: string): void {
  const latin1 = bytes.toString('latin1');
  expect({ secret, found: bytes.includes(Buffer.from(secret)) }).toEqual({ secret, found: false });
  expect({ secret, found: bytes.includes(Buffer.from(secret, 'utf16le')) }).toEqual({ secret, found: false });
  for (const form of base64Forms(secret)) {
    expect({ secret, base64: form, found: latin1.includes(form) }).toEqual({ secret, base64: form, found: false });
  }
}

/**
 * Every payload in the history (objects with metadata.encoding), except search attributes and
 * the SDK's patch markers (`core_patch`: the patch id only), which codecs never touch.
 */
function collectPayloads(value: unknown, found: temporal.api.common.v1.IPayload[] = [], key = ''): temporal.api.common.v1.IPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || key === 'searchAttributes') return found;
  const record = value as Record<string, unknown>;
  if (key === 'markerRecordedEventAttributes' && record.markerName === 'core_patch') return found;
  const metadata = record.metadata as Record<string, Uint8Array> | undefined;
  if (metadata && typeof metadata === 'object' && metadata.encoding instanceof Uint8Array) {
    found.push(record as temporal.api.common.v1.IPayload);
    return found;
  }
  for (const [childKey, child] of Object.entries(record)) collectPayloads(child, found, childKey);
  return found;
}

describe('secrets stay out of Temporal', () => {
  let llm: ScriptedLlmServer;
  let httpServer: HttpToolServer;
  let running: Awaited<ReturnType<typeof startZap>>;
  const previousWorkerSecret = process.env.ZAP_WORKER_SECRET;

  beforeAll(async () => {
    // (c) A secret in the worker's own environment, set before the worker spawns its MCP servers.
    process.env.ZAP_WORKER_SECRET = 'leak-me';
    // The scripted server refuses requests without the key, so a completed task proves it was sent.
    llm = await ScriptedLlmServer.start({ apiKey: LLM_API_KEY });
    httpServer = await startHttpToolServer({ requiredHeaders: { authorization: `Bearer ${HTTP_MCP_TOKEN}` } });
    running = await startZap({
      agents: [
        new ZapAgent({
          name: 'HttpAgent',
          prompt: 'Use tools.',
          model: 'scripted-model',
          mcpClients: [{ name: 'http-tools', url: httpServer.url, headers: { Authorization: `Bearer ${HTTP_MCP_TOKEN}` } }],
        }),
        new ZapAgent({
          name: 'StdioAgent',
          prompt: 'Use tools.',
          model: 'scripted-model',
          mcpClients: [stdioServerConfig('stdio-tools', { env: { API_TOKEN: STDIO_MCP_TOKEN } })],
        }),
      ],
      llm: { baseURL: llm.baseURL, apiKey: LLM_API_KEY },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await httpServer?.close();
    await llm?.close();
    if (previousWorkerSecret === undefined) delete process.env.ZAP_WORKER_SECRET;
    else process.env.ZAP_WORKER_SECRET = previousWorkerSecret;
  });

  beforeEach(() => llm.reset());

  test('(a) API keys and MCP credentials never enter task history or payloads', async () => {
    const { zap } = running;
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_http', name: 'get_weather', arguments: { city: 'Paris' } }]),
      scripted.text('Sunny in Paris.'),
      scripted.toolCalls([{ id: 'call_stdio', name: 'add', arguments: { a: 2, b: 3 } }]),
      scripted.text('5'),
    );
    const httpTask = await waitForCompletion(zap, (await zap.executeTask({ agentName: 'HttpAgent', task: 'Weather in Paris?' })).id);
    const stdioTask = await waitForCompletion(zap, (await zap.executeTask({ agentName: 'StdioAgent', task: 'Add 2 and 3' })).id);

    // The tools really ran over both transports, with their credentials.
    expect(httpTask.getToolCalls()).toEqual([expect.objectContaining({ name: 'get_weather', result: 'Sunny, 21°C in Paris' })]);
    expect(stdioTask.getToolCalls()).toEqual([expect.objectContaining({ name: 'add', result: '5' })]);
    // The model endpoint received the key: the test is not vacuous.
    expect(llm.requests).toHaveLength(4);
    for (const request of llm.requests) expect(request.headers.authorization).toBe(`Bearer ${LLM_API_KEY}`);

    for (const task of [httpTask, stdioTask]) {
      const { bytes } = await rawHistory(zap, task.id);
      // Plain JSON history (no codec here): what we search really holds the task's data.
      expect(bytes.includes(Buffer.from(task.id))).toBe(true);
      expect(bytes.includes(Buffer.from(task.history[1]?.content as string))).toBe(true);
      for (const secret of SECRETS) expectAbsent(bytes, secret);
    }
    // Nor the task state the workflow answers to queries.
    const states = await Promise.all(
      [httpTask, stdioTask].map((task) => zap.client.workflow.getHandle(task.id).query(getTaskStateQuery)),
    );
    expect(states.map((state) => state.status)).toEqual(['completed', 'completed']);
    for (const secret of SECRETS) expect(JSON.stringify(states)).not.toContain(secret);
  });

  test('(c) stdio MCP servers get only their configured environment, never the worker’s', async () => {
    const { zap } = running;
    expect(process.env.ZAP_WORKER_SECRET).toBe('leak-me');
    llm.enqueue(
      scripted.toolCalls([
        { id: 'call_leak', name: 'read_env', arguments: { name: 'ZAP_WORKER_SECRET' } },
        { id: 'call_token', name: 'read_env', arguments: { name: 'API_TOKEN' } },
        { id: 'call_openai', name: 'read_env', arguments: { name: 'OPENAI_API_KEY' } },
      ]),
      scripted.text('checked'),
    );
    const started = await zap.executeTask({ agentName: 'StdioAgent', task: 'Read the environment' });
    const task = await waitForCompletion(zap, started.id);
    const results = Object.fromEntries(task.getToolCalls().map((call) => [call.toolCallId, call.result]));
    expect(results).toEqual({ call_leak: '(unset)', call_token: STDIO_MCP_TOKEN, call_openai: '(unset)' });
  });
});

describe('payload encryption', () => {
  const k1 = randomBytes(32);
  const echo = tool({
    name: 'echo',
    description: 'Repeats the text',
    parameters: z.object({ text: z.string() }),
    execute: ({ text }) => `echo: ${text}`,
  });
  let llm: ScriptedLlmServer;
  let running: Awaited<ReturnType<typeof startZap>>;
  const clients: Zap<any>[] = [];

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start();
    running = await startZap({
      agents: [new ZapAgent({ name: 'Keeper', prompt: 'Keep secrets.', model: 'scripted-model', tools: [echo] })],
      llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
      payloadCodec: new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: k1 }] }),
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await running?.stop();
    await llm?.close();
  });

  test('(b) history holds only ciphertext; the right key reads the task, a missing or wrong key fails loudly', async () => {
    const { zap, taskQueue } = running;
    llm.enqueue(scripted.toolCalls([{ id: 'call_echo', name: 'echo', arguments: { text: PLAN } }]), scripted.text(`Filed ${PLAN}.`));
    const started = await zap.executeTask({ agentName: 'Keeper', task: `Execute ${PLAN}`, context: { plan: PLAN } });
    const task = await waitForCompletion(zap, started.id);

    // Decoded for the client that has the key.
    expect(task.history[1]).toEqual({ role: 'user', content: `Execute ${PLAN}` });
    expect(task.getToolCalls()).toEqual([expect.objectContaining({ name: 'echo', result: `echo: ${PLAN}` })]);
    expect(task.result).toBe(`Filed ${PLAN}.`);
    // The model saw plaintext: encryption is between Zap and Temporal only.
    expect(JSON.stringify(llm.requests[0]?.body.messages)).toContain(PLAN);

    // The server holds ciphertext only.
    const { history, bytes } = await rawHistory(zap, task.id);
    expectAbsent(bytes, PLAN);
    expectAbsent(bytes, 'Keep secrets.');
    const payloads = collectPayloads(history);
    // Workflow input, memo, activity inputs and results (query answers never enter history).
    expect(payloads.length).toBeGreaterThanOrEqual(5);
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe(ENCRYPTED_PAYLOAD_ENCODING);
      expect(Buffer.from(payload.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k1');
    }
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe(ENCRYPTED_PAYLOAD_ENCODING);

    // A client without key k1 fails, naming the key it lacks.
    const missingKey = await startClient(taskQueue, {
      payloadCodec: new AesGcmPayloadCodec({ keys: [{ id: 'k2', key: randomBytes(32) }] }),
    });
    clients.push(missingKey);
    const missing = missingKey.getTask(task.id);
    await expect(missing).rejects.toBeInstanceOf(PayloadEncryptionError);
    await expect(missing).rejects.toThrow(/encrypted with key 'k1', which this process does not have \(known keys: k2\)/);

    // A client with a different key under the same id fails too.
    const wrongKey = await startClient(taskQueue, {
      payloadCodec: new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] }),
    });
    clients.push(wrongKey);
    const wrong = wrongKey.getTask(task.id);
    await expect(wrong).rejects.toBeInstanceOf(PayloadEncryptionError);
    await expect(wrong).rejects.toThrow(/Could not decrypt a payload with key 'k1': the key is wrong or the data was altered/);

    // A client with no codec at all cannot read it either.
    const noCodec = await startClient(taskQueue);
    clients.push(noCodec);
    await expect(noCodec.getTask(task.id)).rejects.toThrow(/binary\/encrypted/);

    // None of that touched the task: the right key still reads it, unchanged.
    const again = await zap.getTask(task.id);
    expect(again.status).toBe('completed');
    expect(again.history).toEqual(task.history);
  });

  test('(b) a rotated key ring reads tasks written with the old key', async () => {
    const { zap, taskQueue } = running;
    llm.enqueue(scripted.text('noted'));
    const started = await zap.executeTask({ agentName: 'Keeper', task: `Remember ${PLAN}` });
    await waitForCompletion(zap, started.id);
    const rotated = await startClient(taskQueue, {
      payloadCodec: new AesGcmPayloadCodec({ keys: [{ id: 'k2', key: randomBytes(32) }, { id: 'k1', key: k1 }] }),
    });
    clients.push(rotated);
    const task = await rotated.getTask(started.id);
    expect(task.history[1]?.content).toBe(`Remember ${PLAN}`);
    expect(task.result).toBe('noted');
  });
});
