/**
 * The HTTP API (`zap-agents/http`): what going through HTTP costs, against the same operation on
 * the in-process `Zap`, in the same run, on the same dev server and worker.
 *
 *   npx tsx bench/http-api.ts   # BENCH_HTTP_STARTS=40 BENCH_HTTP_STATUS_READS=200 BENCH_HTTP_STREAM_TASKS=8
 *                               # BENCH_HTTP_STREAM_ROUNDS=5 BENCH_WAIT_STEP_MS=150
 *
 * The worker runs in its own process; this process is the API server and its client, as a
 * deployment with an API process in front of worker processes would be (the client talks to the
 * server over 127.0.0.1 with a bearer token, so authentication, JSON and the socket are counted).
 *
 * - Start: `POST /v1/tasks` against `zap.executeTask`, and `ZapOperations.startTask` in process,
 *   which is what the route runs (`executeTask`; the answer is the started task's status, built
 *   without a read). Interleaved, one of each in turn.
 * - Status: `GET /v1/tasks/{id}` against `zap.getTaskStatus` on answered tasks (and
 *   `ZapOperations.getStatus`: the owner check is cached after the first read).
 * - Event delivery: tasks of tool rounds (`wait_step`), each followed either over SSE
 *   (`GET /v1/tasks/{id}/events`) or by `zap.streamTask` in process, alternating (two subscribers
 *   on one task make the workflow refuse a second buffered query, see `streaming.ts`). Latency of
 *   an event = its arrival at the subscriber − the completion of the workflow task that recorded
 *   it (from history): the moment it became durable. Events recorded before the subscriber had
 *   caught up are left out.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TaskEvent } from 'zap-agents';
import { bearerTokenAuthenticator, serveHttpApi, type HttpApiServer } from 'zap-agents/http';
import { ZapOperations, type Principal } from 'zap-agents/operations';
import { connectEventStream } from '../test/support/server-sent-events';
import { BENCH_AGENT, createBenchZap, DEFAULT_WAIT_STEP_MS, STREAMING_AGENT } from './lib/bench-zap';
import { readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { readWorkflowTaskTimes, type WorkflowTaskTimes } from './lib/history';
import { fixed, formatTable, ratio, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage } from './lib/scripted-model';
import { summarize, type Summary } from './lib/statistics';
import { startWorkerProcess } from './lib/worker-process';

/** Answered tasks wait this long for a follow-up, so status reads hit open tasks. */
const IDLE_TIMEOUT = '10 minutes';
/** Unmeasured rounds first: connections, JIT, the worker's caches and the owner cache warm up. */
const WARM_UP = 3;
/** How long one task may take before the benchmark gives up on it. */
const TASK_TIMEOUT_MS = 90_000;
const TOKEN = `bench-${randomBytes(8).toString('hex')}`;
const PRINCIPAL: Principal = { userId: 'bench', roles: ['read', 'start', 'approve'] };

interface Settings {
  starts: number;
  statusReads: number;
  streamTasks: number;
  rounds: number;
  waitStepMs: number;
}

type Side = 'http' | 'operations' | 'zap';
const SIDE_LABELS: Record<Side, string> = {
  http: 'HTTP API (127.0.0.1, bearer token)',
  operations: 'ZapOperations in process',
  zap: 'Zap in process (baseline)',
};

interface Context {
  zap: ReturnType<typeof createBenchZap>;
  operations: ZapOperations;
  server: HttpApiServer;
}

const startMs: Record<Side, number[]> = { http: [], operations: [], zap: [] };
const statusMs: Record<Side, number[]> = { http: [], operations: [], zap: [] };
const deliveryMs: Record<'http' | 'zap', number[]> = { http: [], zap: [] };
const answeredTaskIds: string[] = [];
let taskCounter = 0;

function nextTaskMessage(scenario: 'answer' | 'steps', rounds = 1): { taskKey: string; message: string } {
  taskCounter += 1;
  const taskKey = `http-${taskCounter}`;
  return { taskKey, message: formatTaskMessage({ taskKey, scenario, rounds }) };
}

function httpRequest(server: HttpApiServer, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function expectJson(response: Response, status: number): Promise<any> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`HTTP ${response.status} (expected ${status}): ${text}`);
  return JSON.parse(text);
}

/** One start through each side, in turn; returns the task ids. */
async function measureStarts(context: Context, record: boolean): Promise<string[]> {
  const ids: string[] = [];
  const timed = async (side: Side, start: () => Promise<string>) => {
    const startedAt = performance.now();
    const id = await start();
    if (record) startMs[side].push(performance.now() - startedAt);
    ids.push(id);
  };
  await timed('zap', async () => (await context.zap.executeTask({ agentName: BENCH_AGENT, task: nextTaskMessage('answer').message })).id);
  await timed('operations', async () => (await context.operations.startTask(PRINCIPAL, { agent: BENCH_AGENT, message: nextTaskMessage('answer').message })).taskId);
  await timed('http', async () => {
    const body = await expectJson(await httpRequest(context.server, 'POST', '/v1/tasks', { agent: BENCH_AGENT, message: nextTaskMessage('answer').message }), 201);
    return body.taskId as string;
  });
  return ids;
}

async function measureStatus(context: Context, taskId: string, record: boolean): Promise<void> {
  const timed = async (side: Side, read: () => Promise<unknown>) => {
    const startedAt = performance.now();
    await read();
    if (record) statusMs[side].push(performance.now() - startedAt);
  };
  await timed('zap', () => context.zap.getTaskStatus(taskId));
  await timed('operations', () => context.operations.getStatus(PRINCIPAL, { taskId }));
  await timed('http', async () => expectJson(await httpRequest(context.server, 'GET', `/v1/tasks/${encodeURIComponent(taskId)}`), 200));
}

/** Waits until a task has answered (its status says completed). */
async function waitAnswered(context: Context, taskId: string): Promise<void> {
  const result = await context.operations.waitForTask(PRINCIPAL, { taskId, timeoutSeconds: TASK_TIMEOUT_MS / 1000 });
  if (result.outcome !== 'completed') throw new Error(`Task ${taskId} ended ${result.outcome}: ${result.task.error ?? ''}`);
}

/** An event as a subscriber received it. */
interface Arrival {
  event: TaskEvent;
  arrivedMs: number;
}

/** Follows one `steps` task over `side`; returns its live events' delays after they were recorded. */
async function measureDelivery(context: Context, side: 'http' | 'zap', rounds: number): Promise<number[]> {
  const { message } = nextTaskMessage('steps', rounds);
  const task = await context.zap.executeTask({ agentName: STREAMING_AGENT, task: message });
  const timeout = AbortSignal.timeout(TASK_TIMEOUT_MS);
  const arrivals: Arrival[] = [];
  if (side === 'zap') {
    for await (const event of context.zap.streamTask({ taskId: task.id, since: 0, includeTokens: false, signal: timeout })) {
      arrivals.push({ event, arrivedMs: Date.now() });
    }
  } else {
    const connection = await connectEventStream(`${context.server.url}/v1/tasks/${encodeURIComponent(task.id)}/events?since=0`, {
      authorization: `Bearer ${TOKEN}`,
    });
    if (connection.response.status !== 200) throw new Error(`SSE answered ${connection.response.status}: ${await connection.response.text()}`);
    timeout.addEventListener('abort', () => connection.disconnect(), { once: true });
    for await (const item of connection.items) {
      if (item.kind === 'event') arrivals.push({ event: JSON.parse(item.data) as TaskEvent, arrivedMs: Date.now() });
    }
  }
  if (arrivals.at(-1)?.event.type !== 'completed') throw new Error(`Task ${task.id}: the ${side} subscriber ended without the completed event.`);
  const workflowTasks = readWorkflowTaskTimes(await context.zap.client.workflow.getHandle(task.id).fetchHistory());
  // The first arrival is the subscriber's catch-up read: events recorded before it are not live.
  const caughtUpMs = arrivals[0]!.arrivedMs;
  return arrivals
    .filter((arrival) => Date.parse(arrival.event.timestamp) >= caughtUpMs)
    .flatMap((arrival) => {
      const recordedMs = findRecordedTime(workflowTasks, arrival.event.timestamp);
      return recordedMs === undefined ? [] : [arrival.arrivedMs - recordedMs];
    });
}

/**
 * When the workflow task that produced an event (with this ISO `timestamp`, the start of that
 * workflow task) completed: when the event became durable and visible to queries.
 */
function findRecordedTime(tasks: readonly WorkflowTaskTimes[], timestamp: string): number | undefined {
  const eventMs = Date.parse(timestamp);
  const exact = tasks.find((task) => Math.floor(task.startedMs) === eventMs);
  return (exact ?? tasks.find((task) => task.completedMs >= eventMs))?.completedMs;
}

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, connect } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);
  const taskQueue = `bench-http-${randomBytes(4).toString('hex')}`;
  const worker = await startWorkerProcess({
    taskQueue,
    temporalAddress: temporal.address,
    llmBaseURL: model.baseURL,
    workflowBundlePath: bundle.path,
    environment: { BENCH_WAIT_STEP_MS: String(settings.waitStepMs) },
  });
  cleanups.push(() => worker.stop());
  console.error(`worker process ${worker.pid} is polling ${taskQueue}`);

  const zap = createBenchZap({ taskQueue, temporalAddress: temporal.address, temporalClient: await connect(), idleTimeout: IDLE_TIMEOUT });
  await zap.start();
  cleanups.push(() => zap.stop());
  const operations = new ZapOperations({ zap });
  const server = await serveHttpApi({
    operations,
    port: 0,
    mcp: false,
    authenticate: bearerTokenAuthenticator({ tokens: { [TOKEN]: PRINCIPAL } }),
  });
  cleanups.push(() => server.close());
  console.error(`HTTP API on ${server.url}`);
  const context: Context = { zap, operations, server };

  for (let round = 0; round < WARM_UP; round += 1) answeredTaskIds.push(...(await measureStarts(context, false)));
  for (let round = 0; round < settings.starts; round += 1) answeredTaskIds.push(...(await measureStarts(context, true)));
  for (const taskId of answeredTaskIds) await waitAnswered(context, taskId);

  for (let read = 0; read < WARM_UP + settings.statusReads; read += 1) {
    await measureStatus(context, answeredTaskIds[read % answeredTaskIds.length]!, read >= WARM_UP);
  }

  await measureDelivery(context, 'http', 2);
  await measureDelivery(context, 'zap', 2);
  // Alternating, so that noise from a shared machine falls on both sides alike.
  for (let index = 0; index < settings.streamTasks; index += 1) {
    for (const side of index % 2 === 0 ? (['http', 'zap'] as const) : (['zap', 'http'] as const)) {
      deliveryMs[side].push(...(await measureDelivery(context, side, settings.rounds)));
    }
  }
}

function latencyTable(rows: ReadonlyArray<[string, Summary, number | undefined]>): string {
  return formatTable(
    ['path', 'p50 ms', 'p95 ms', 'min–max ms', 'samples', 'p50 vs baseline'],
    rows.map(([label, summary, baselineMedian]) => [
      label,
      fixed(summary.median, 1),
      fixed(summary.p95, 1),
      `${fixed(summary.min, 1)}–${fixed(summary.max, 1)}`,
      String(summary.count),
      baselineMedian === undefined ? '' : ratio(summary.median / baselineMedian),
    ]),
  );
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const sides: Side[] = ['http', 'operations', 'zap'];
  const starts = Object.fromEntries(sides.map((side) => [side, summarize(startMs[side])])) as Record<Side, Summary>;
  const statuses = Object.fromEntries(sides.map((side) => [side, summarize(statusMs[side])])) as Record<Side, Summary>;
  const delivery = { http: summarize(deliveryMs.http), zap: summarize(deliveryMs.zap) };

  console.log(`\nStart a task (${settings.starts} of each, interleaved; the model answers at once)`);
  console.log(latencyTable(sides.map((side) => [SIDE_LABELS[side], starts[side], side === 'zap' ? undefined : starts.zap.median])));
  console.log('(POST /v1/tasks answers with the started task\'s status, built from the start itself: no read waits for its first step.)');
  console.log(`\nRead a task's status (${settings.statusReads} of each on answered, open tasks)`);
  console.log(latencyTable(sides.map((side) => [SIDE_LABELS[side], statuses[side], side === 'zap' ? undefined : statuses.zap.median])));
  console.log(
    `\nEvent delivery: arrival − recorded (WorkflowTaskCompleted of the workflow task that recorded it), ${settings.streamTasks} tasks per side ` +
      `of ${settings.rounds} tool rounds (wait_step ${settings.waitStepMs} ms), worker in another process`,
  );
  console.log(
    latencyTable([
      ['SSE: GET /v1/tasks/{id}/events', delivery.http, delivery.zap.median],
      ['zap.streamTask in process (baseline)', delivery.zap, undefined],
    ]),
  );

  const summary: SummaryRow[] = [
    summaryRow(
      { benchmark: 'http-api', figure: 'start a task over HTTP', unit: 'ms', ratio: starts.http.median / starts.zap.median, baseline: 'zap.executeTask in process', note: 'the answer carries the status (one query)' },
      starts.http,
    ),
    summaryRow(
      { benchmark: 'http-api', figure: 'read a status over HTTP', unit: 'ms', ratio: statuses.http.median / statuses.zap.median, baseline: 'zap.getTaskStatus in process' },
      statuses.http,
    ),
    summaryRow(
      { benchmark: 'http-api', figure: 'SSE event delivery after recording', unit: 'ms', ratio: delivery.http.median / delivery.zap.median, baseline: 'zap.streamTask in process' },
      delivery.http,
    ),
  ];
  const path = await writeResults('http-api', {
    complete,
    settings,
    start: starts,
    status: statuses,
    delivery,
    summary,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({
    starts: readInteger(environment, 'BENCH_HTTP_STARTS', 40, 8),
    statusReads: readInteger(environment, 'BENCH_HTTP_STATUS_READS', 200, 30),
    streamTasks: readInteger(environment, 'BENCH_HTTP_STREAM_TASKS', 8, 2),
    rounds: readInteger(environment, 'BENCH_HTTP_STREAM_ROUNDS', 5, 3),
    waitStepMs: readInteger(environment, 'BENCH_WAIT_STEP_MS', DEFAULT_WAIT_STEP_MS, DEFAULT_WAIT_STEP_MS, 0),
  }),
  hardTimeoutMs: () => 8 * 60 * 1000,
  main,
  report,
});
