import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import {
  ClaimCheckCodec,
  CLAIM_CHECK_ENCODING,
  isClaimCheckReference,
  PayloadStoreError,
  S3PayloadStore,
} from '../../src/payload-store';
import { scripted } from '../../src/testing/scripted-llm-server';
import { payloadsIn, serializedHistorySize, serializedPayloadSize } from '../fixtures/history-payloads';
import { MOTO_CREDENTIALS, startMotoS3Server, type MotoS3Server } from '../fixtures/moto-s3-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

const BUCKET = 'zap-payloads';
const THRESHOLD_BYTES = 16 * 1024;
const REPORT_BYTES = 600_000;
const TASK_BYTES = 300_000;

function referenceKey(payload: Payload): string {
  return JSON.parse(Buffer.from(payload.data ?? []).toString()).key;
}

describe('payload store: S3PayloadStore and ClaimCheckCodec against a real S3-compatible server (moto)', () => {
  let s3: MotoS3Server;
  let client: S3Client;
  let store: S3PayloadStore;

  beforeAll(async () => {
    s3 = await startMotoS3Server();
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = new S3PayloadStore({ bucket: BUCKET, prefix: 'test/', endpoint: s3.endpoint, credentials: MOTO_CREDENTIALS });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    client?.destroy();
    await s3?.stop();
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key as string));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  test('S3PayloadStore puts, gets and deletes objects under its prefix; a missing key reads as undefined', async () => {
    const bytes = Buffer.alloc(300 * 1024, 7);
    await store.put('sha256/direct', bytes);
    expect(await keysUnder('test/sha256/direct')).toEqual(['test/sha256/direct']);
    expect(Buffer.from((await store.get('sha256/direct')) ?? []).equals(bytes)).toBe(true);
    await store.delete('sha256/direct');
    expect(await store.get('sha256/direct')).toBeUndefined();
    expect(store.location).toBe(`s3://${BUCKET}/test/`);

    // A missing bucket is a failure, not a missing key.
    const noBucket = new S3PayloadStore({ bucket: 'no-such-bucket', endpoint: s3.endpoint, credentials: MOTO_CREDENTIALS });
    await expect(noBucket.get('sha256/x')).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await noBucket.close();
    expect(() => new S3PayloadStore({ bucket: BUCKET, client, region: 'eu-west-1' })).toThrow(/either a `client` or `region`/);
  });

  test('the codec offloads to S3 and detects an object replaced behind its back', async () => {
    const codec = new ClaimCheckCodec({ store, thresholdBytes: THRESHOLD_BYTES });
    const value = { report: 'r'.repeat(50_000) };
    const [reference] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const key = referenceKey(reference as Payload);
    expect(await keysUnder(`test/${key}`)).toEqual([`test/${key}`]);
    const [decoded] = await codec.decode([reference as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(value);

    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `test/${key}`, Body: Buffer.from('tampered') }));
    const error = await codec.decode([reference as Payload]).catch((caught: unknown) => caught);
    expect(PayloadStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ failure: 'corrupted', key, location: `s3://${BUCKET}/test/` });
    expect((error as Error).message).toContain(key);
  });

  describe('an agent task with a 600 KB tool result', () => {
    let harness: Harness;
    let agentStore: S3PayloadStore;
    const report = Array.from({ length: REPORT_BYTES / 100 }, (_, line) => `line ${String(line).padStart(6, '0')} `.padEnd(99, '.') + '\n').join('');

    beforeAll(async () => {
      agentStore = new S3PayloadStore({ bucket: BUCKET, prefix: 'agents/', endpoint: s3.endpoint, credentials: MOTO_CREDENTIALS });
      const fetchReport = tool({
        name: 'fetch_report',
        description: 'Returns the full quarterly report',
        parameters: z.object({}),
        // Larger than the default tool result bound (64 KiB): this test is about payloads that big.
        maxResultBytes: 1024 * 1024,
        execute: async () => report,
      });
      harness = await startHarness({
        agents: [new ZapAgent({ name: 'Analyst', prompt: 'You read reports.', model: 'scripted-model', tools: [fetchReport] })],
        // Continue-as-new as soon as possible, so the carried state (the whole conversation) is a workflow input too.
        zap: { payloadCodec: new ClaimCheckCodec({ store: agentStore, thresholdBytes: THRESHOLD_BYTES }), continueAsNewAfterEvents: 20 },
      });
    }, 60_000);

    afterAll(async () => {
      await harness?.stop();
      await agentStore?.close();
    });

    test('completes; the model sees the whole result; history holds references and no payload over the threshold', async () => {
      expect(report.length).toBe(REPORT_BYTES);
      const taskText = `Summarize the report. Context: ${'c'.repeat(TASK_BYTES)}`;
      harness.llm.enqueue(
        scripted.toolCalls([{ id: 'call_report', name: 'fetch_report', arguments: {} }]),
        scripted.text('The report has 6000 lines.'),
        scripted.text('Yes: line 005999 is the last one.'),
      );
      const started = await harness.zap.executeTask({ agentName: 'Analyst', task: taskText });
      const answered = await waitForCompletion(harness.zap, started.id, 60_000);
      expect(answered.result).toBe('The report has 6000 lines.');

      // The model saw the full task and the full 600 KB result.
      const second = harness.llm.requests[1]?.body.messages as Array<{ role: string; content: string }>;
      expect(second.find((message) => message.role === 'user')?.content).toBe(taskText);
      const toolMessage = second.find((message) => message.role === 'tool');
      expect(toolMessage?.content).toBe(report);

      // A follow-up after continue-as-new: the new run starts from the carried state, offloaded too.
      await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Is line 5999 the last?' });
      const followedUp = await waitForTask(harness.zap, started.id, (task) => task.result?.startsWith('Yes') === true, 60_000);
      const third = harness.llm.requests[2]?.body.messages as Array<{ role: string; content: string }>;
      expect(third.find((message) => message.role === 'tool')?.content).toBe(report);
      expect(followedUp.history.find((message) => message.role === 'tool')?.content).toBe(report);

      const runs = [];
      for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
      expect(runs.some((run) => run.status.name === 'CONTINUED_AS_NEW')).toBe(true);

      const referenced = new Set<string>();
      for (const run of runs) {
        const history = await harness.zap.client.workflow.getHandle(started.id, run.runId).fetchHistory();
        const payloads = payloadsIn(history.events);
        const sizes = payloads.map(serializedPayloadSize);
        const historyBytes = serializedHistorySize(history);
        console.log(
          `run ${run.runId} (${run.status.name}): history ${historyBytes} bytes, ${payloads.length} payloads, ` +
            `largest ${Math.max(...sizes)} bytes, ${payloads.filter(isClaimCheckReference).length} references`,
        );
        expect(Math.max(...sizes)).toBeLessThanOrEqual(THRESHOLD_BYTES);
        expect(historyBytes).toBeLessThan(200 * 1024);
        for (const payload of payloads.filter(isClaimCheckReference)) referenced.add(referenceKey(payload));

        const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        const input = startedEvent?.input?.payloads?.[0] as Payload;
        // The first run's input holds the 300 KB task, the continued run's the whole conversation.
        expect(Buffer.from(input.metadata?.encoding ?? []).toString()).toBe(CLAIM_CHECK_ENCODING);
      }
      // The tool result, the task input and the carried state are all in the bucket.
      expect(referenced.size).toBeGreaterThanOrEqual(3);
      const stored = await keysUnder('agents/');
      for (const key of referenced) expect(stored).toContain(`agents/${key}`);
    }, 120_000);
  });
});
