/**
 * What the claim-check payload store saves: one agent task whose model calls a tool twenty times,
 * each result 200 KB, run with plain payloads, then with `ClaimCheckCodec` (default 128 KiB
 * threshold) over a `FileSystemPayloadStore` and over an `S3PayloadStore` on a local moto server.
 * Reports the workflow history (all runs), the largest payload in it, the peak size of the events
 * query (`getEventsQuery` from 0) as JSON and on the wire, what the store received, and the
 * task's wall time.
 *
 *   npx tsx bench/payload-store.ts
 *   BENCH_TOOL_RESULTS=5 BENCH_RESULT_BYTES=300000 BENCH_S3=0 npx tsx bench/payload-store.ts
 *
 * Self-contained: an embedded Temporal dev server, the scripted model, a worker in this process,
 * and (unless BENCH_S3=0) moto from scripts/ensure-s3-server.sh with @aws-sdk/client-s3.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { tool, Zap, ZapAgent } from '../src';
import {
  ClaimCheckCodec,
  DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
  FileSystemPayloadStore,
  isClaimCheckReference,
  S3PayloadStore,
  type PayloadStore,
} from '../src/payload-store';
import { ScriptedLlmServer, scripted, TemporalDevServer } from '../src/testing';
import { getEventsQuery } from '../src/workflows/definitions';
import { payloadsIn, serializedHistorySize, serializedPayloadSize } from '../test/fixtures/history-payloads';
import { MOTO_CREDENTIALS, startMotoS3Server } from '../test/fixtures/moto-s3-server';

const TOOL_RESULTS = positiveInteger('BENCH_TOOL_RESULTS', 20);
const RESULT_BYTES = positiveInteger('BENCH_RESULT_BYTES', 200_000);
const WITH_S3 = process.env.BENCH_S3 !== '0';
const EVENTS_SAMPLE_INTERVAL_MS = 100;

interface Measurement {
  variant: string;
  runs: number;
  historyBytes: number;
  historyEvents: number;
  largestPayloadBytes: number;
  references: number;
  peakEventsJsonBytes: number;
  peakEventsWireBytes: number;
  storeWrites: number;
  storeObjects: number;
  storeBytes: number;
  storeReads: number;
  wallMs: number;
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not '${raw}'.`);
  return value;
}

/** Wraps a codec (or none) and remembers the serialized size of what it was last asked to decode: the wire size. */
function measuringCodec(inner: PayloadCodec | undefined): PayloadCodec & { lastDecodedBytes: number } {
  return {
    lastDecodedBytes: 0,
    async encode(payloads) {
      return inner ? inner.encode(payloads) : payloads;
    },
    async decode(payloads) {
      this.lastDecodedBytes = payloads.reduce((sum, payload) => sum + serializedPayloadSize(payload), 0);
      return inner ? inner.decode(payloads) : payloads;
    },
  };
}

/** What a store was asked to do. */
interface StoreTraffic {
  writes: number;
  keys: Set<string>;
  bytes: number;
  reads: number;
}

/** Wraps a store and counts its writes (bytes of distinct keys) and reads. */
function countingStore(inner: PayloadStore): PayloadStore & { traffic: StoreTraffic } {
  const traffic: StoreTraffic = { writes: 0, keys: new Set(), bytes: 0, reads: 0 };
  return {
    traffic,
    location: inner.location,
    async put(key, bytes) {
      traffic.writes += 1;
      if (!traffic.keys.has(key)) traffic.bytes += bytes.length;
      traffic.keys.add(key);
      await inner.put(key, bytes);
    },
    async get(key) {
      traffic.reads += 1;
      return inner.get(key);
    },
  };
}

/** A tool result of `RESULT_BYTES` ASCII characters, different per page. */
function pageOf(page: number): string {
  return `page ${page}: `.padEnd(RESULT_BYTES, String.fromCharCode(97 + (page % 26)));
}

async function measure(
  variant: string,
  temporalAddress: string,
  workflowCode: string,
  store: (PayloadStore & { traffic: StoreTraffic }) | undefined,
): Promise<Measurement> {
  const codec = store ? new ClaimCheckCodec({ store }) : undefined;
  const llm = await ScriptedLlmServer.start({
    // One tool call a turn until TOOL_RESULTS results are in the conversation, then the answer.
    handler: (request) => {
      const results = (request.body.messages as Array<{ role: string }>).filter((message) => message.role === 'tool').length;
      return results < TOOL_RESULTS
        ? scripted.toolCalls([{ id: `call_${results}`, name: 'fetch_page', arguments: { page: results } }])
        : scripted.text(`Read ${results} pages.`);
    },
  });
  const fetchPage = tool({
    name: 'fetch_page',
    description: 'Returns one page of the archive',
    parameters: z.object({ page: z.number().int() }),
    maxResultBytes: Math.max(RESULT_BYTES + 1024, 64 * 1024),
    execute: async ({ page }) => pageOf(page),
  });
  const zap = new Zap({
    agents: [new ZapAgent({ name: 'Archivist', prompt: 'You read archives.', model: 'bench-model', tools: [fetchPage], maxIterations: TOOL_RESULTS + 5 })],
    taskQueue: `payload-store-bench-${Date.now()}`,
    temporal: { address: temporalAddress },
    llm: { baseURL: llm.baseURL, apiKey: 'bench' },
    ...(codec ? { payloadCodec: codec } : {}),
  });
  let running: Promise<void> | undefined;
  try {
    await zap.start();
    const worker = await zap.createWorker({ worker: { workflowBundle: { code: workflowCode } } });
    running = worker.run();
    // Queries go through a client of their own, so only their payloads are measured.
    const observer = measuringCodec(codec);
    const queries = new Client({
      connection: zap.client.connection,
      namespace: zap.client.options.namespace,
      dataConverter: { payloadCodecs: [observer] },
    });
    const startedAt = Date.now();
    const task = await zap.executeTask({ agentName: 'Archivist', task: `Read all ${TOOL_RESULTS} pages.` });
    let peakEventsJsonBytes = 0;
    let peakEventsWireBytes = 0;
    let answered = false;
    while (!answered) {
      const events = await queries.workflow.getHandle(task.id).query(getEventsQuery, 0).catch(() => undefined);
      if (events) {
        peakEventsJsonBytes = Math.max(peakEventsJsonBytes, Buffer.byteLength(JSON.stringify(events)));
        peakEventsWireBytes = Math.max(peakEventsWireBytes, observer.lastDecodedBytes);
        answered = events.events.some((event) => event.type === 'completed' || event.type === 'error');
      }
      if (!answered) await sleep(EVENTS_SAMPLE_INTERVAL_MS);
    }
    const wallMs = Date.now() - startedAt;
    const finished = await zap.getTask(task.id);
    if (finished.status !== 'completed' || finished.getToolCalls().length !== TOOL_RESULTS) {
      throw new Error(`${variant}: the task ended ${finished.status} with ${finished.getToolCalls().length} tool calls (${finished.error ?? ''})`);
    }
    if (finished.getToolCalls().some((call, page) => call.result !== pageOf(page))) {
      throw new Error(`${variant}: a tool result did not reach the conversation whole`);
    }

    const measured: Measurement = {
      variant,
      runs: 0,
      historyBytes: 0,
      historyEvents: 0,
      largestPayloadBytes: 0,
      references: 0,
      peakEventsJsonBytes,
      peakEventsWireBytes,
      storeWrites: store?.traffic.writes ?? 0,
      storeObjects: store?.traffic.keys.size ?? 0,
      storeBytes: store?.traffic.bytes ?? 0,
      storeReads: store?.traffic.reads ?? 0,
      wallMs,
    };
    for await (const run of zap.client.workflow.list({ query: `WorkflowId = '${task.id}'` })) {
      const history = await zap.client.workflow.getHandle(task.id, run.runId).fetchHistory();
      const payloads = payloadsIn(history.events);
      measured.runs += 1;
      measured.historyBytes += serializedHistorySize(history);
      measured.historyEvents += history.events?.length ?? 0;
      measured.largestPayloadBytes = Math.max(measured.largestPayloadBytes, ...payloads.map(serializedPayloadSize));
      measured.references += payloads.filter(isClaimCheckReference).length;
    }
    return measured;
  } finally {
    await zap.stop();
    await running;
    await llm.close();
  }
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function printTable(rows: Measurement[]): void {
  const columns: Array<[string, (row: Measurement) => string]> = [
    ['variant', (row) => row.variant],
    ['runs', (row) => String(row.runs)],
    ['history', (row) => kib(row.historyBytes)],
    ['events', (row) => String(row.historyEvents)],
    ['largest payload', (row) => kib(row.largestPayloadBytes)],
    ['references', (row) => String(row.references)],
    ['events query (JSON)', (row) => kib(row.peakEventsJsonBytes)],
    ['events query (wire)', (row) => kib(row.peakEventsWireBytes)],
    ['store writes', (row) => `${row.storeWrites} (${row.storeObjects} objects, ${kib(row.storeBytes)})`],
    ['store reads', (row) => String(row.storeReads)],
    ['task wall time', (row) => `${(row.wallMs / 1000).toFixed(1)} s`],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => (line[index] ?? '').length)));
  const format = (line: string[]): string => `| ${line.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  console.log(format(cells[0] as string[]));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const line of cells.slice(1)) console.log(format(line));
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log(
    `payload store: ${TOOL_RESULTS} tool results of ${kib(RESULT_BYTES)} in one task; ` +
      `ClaimCheckCodec threshold ${kib(DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES)}`,
  );
  const server = await TemporalDevServer.start({ uiPort: false });
  const storeDirectory = await mkdtemp(join(tmpdir(), 'zap-payload-store-bench-'));
  const s3 = WITH_S3 ? await startMotoS3Server() : undefined;
  const s3Store = s3 ? new S3PayloadStore({ bucket: 'bench', endpoint: s3.endpoint, credentials: MOTO_CREDENTIALS }) : undefined;
  try {
    const workflowsPath = require.resolve('../src/workflows/index');
    const { code } = await bundleWorkflowCode({ workflowsPath, preloadModules: [workflowsPath], logger: new DefaultLogger('WARN') });
    const rows = [
      await measure('inline payloads', server.address, code, undefined),
      await measure('claim check, file system', server.address, code, countingStore(new FileSystemPayloadStore({ directory: storeDirectory }))),
    ];
    if (s3 && s3Store) {
      const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
      const admin = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, forcePathStyle: true });
      await admin.send(new CreateBucketCommand({ Bucket: 'bench' }));
      admin.destroy();
      rows.push(await measure('claim check, S3 (moto)', server.address, code, countingStore(s3Store)));
    }
    printTable(rows);
    const [plain, offloaded] = rows as [Measurement, Measurement];
    console.log(
      `history ${(plain.historyBytes / offloaded.historyBytes).toFixed(1)}× smaller with the payload store. ` +
        'Besides the tool results, the store receives the query results over the threshold: the conversation ' +
        'pages the worker reads before each model call, and those getTask reads.',
    );
  } finally {
    await s3Store?.close();
    await s3?.stop();
    await rm(storeDirectory, { recursive: true, force: true });
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
