/**
 * What a tenant budget costs per model call, on the same dev server and worker, in one run:
 *
 *   npx tsx bench/tenant-budgets.ts      # BENCH_TASKS=15 BENCH_ROUNDS=4 BENCH_PAIRS=200 BENCH_CONCURRENCY=20
 *
 * 1. Tool rounds of tasks (model call → tool call → next model call, the interval between two
 *    model requests as the scripted model sees them) for three kinds of task, interleaved so all
 *    see the same drift: no tenant (the baseline), a tenant without a budget (after the first
 *    call, the worker's "no budget" cache answers), and a tenant with a budget (every call
 *    reserves its worst case before it is sent and settles after: two updates of the tenant's
 *    budget workflow). The difference of medians is the cost per model call.
 * 2. A reservation and its settlement alone, as a worker makes them (`TenantBudgetReservations`),
 *    one pair at a time: their round trip.
 * 3. Pairs from BENCH_CONCURRENCY callers at once through one worker's reservations, against one
 *    tenant: what one budget workflow sustains (the worker batches what arrives while an update
 *    is in flight; the workflow answers a batch in one workflow task).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Zap } from 'zap-agents';
import { TenantBudgetReservations } from '../src/activities/tenant-budget-reservation';
import { BENCH_AGENT, BENCH_MODEL, createBenchAgent, FINAL_WAIT_MS } from './lib/bench-zap';
import { mapConcurrently, range, readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { fixed, formatTable, ratio, summaryRow, writeResults } from './lib/report';
import { formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';

interface Settings {
  tasks: number;
  rounds: number;
  pairs: number;
  concurrency: number;
}

type Kind = 'no tenant' | 'tenant, no budget' | 'tenant with budget';
const KINDS: readonly Kind[] = ['no tenant', 'tenant, no budget', 'tenant with budget'];
const WARM_UP_TASKS = 2;

const rounds: Record<Kind, number[]> = { 'no tenant': [], 'tenant, no budget': [], 'tenant with budget': [] };
let pairRoundTrip: Summary | undefined;
let concurrent: { pairs: number; seconds: number; pairRoundTrip: Summary } | undefined;

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);
  const suffix = randomBytes(4).toString('hex');
  const zap = new Zap({
    agents: [createBenchAgent()],
    taskQueue: `bench-tenant-budgets-${suffix}`,
    temporal: { address: temporal.address },
    llm: { baseURL: model.baseURL, apiKey: 'bench' },
    idleTimeout: FINAL_WAIT_MS,
    prices: { [BENCH_MODEL]: { input: 1, output: 2 } },
    logger: { warn: () => undefined },
  });
  await runWorkerInProcess(zap, bundle, cleanups);
  const budgeted = `bench-budgeted-${suffix}`;
  const unbudgeted = `bench-unbudgeted-${suffix}`;
  await zap.tenantBudgets.set(budgeted, { maxUsd: 1_000_000, per: '1 day' });

  const tenantOf: Record<Kind, string | undefined> = { 'no tenant': undefined, 'tenant, no budget': unbudgeted, 'tenant with budget': budgeted };
  for (let index = 0; index < WARM_UP_TASKS + settings.tasks; index += 1) {
    // The order of the kinds rotates, so none is always first after a pause.
    for (let offset = 0; offset < KINDS.length; offset += 1) {
      const kind = KINDS[(index + offset) % KINDS.length]!;
      const roundMs = await runTask(zap, model, settings.rounds, `${kind.replace(/\W+/g, '-')}-${index}-${suffix}`, tenantOf[kind]);
      if (index >= WARM_UP_TASKS) rounds[kind].push(roundMs);
    }
  }

  const reservations = new TenantBudgetReservations({ client: zap.client });
  const pair = async (key: string): Promise<number> => {
    const startedAt = performance.now();
    const hold = await reservations.reserve({ tenantId: budgeted, key, worstCase: () => ({ nanoUsd: 1000, promptTokensUpperBound: 10 }), callTimeoutMs: 60_000 });
    if (!hold) throw new Error(`Tenant ${budgeted} has no budget.`);
    await hold.settle(500);
    return performance.now() - startedAt;
  };
  const sequential: number[] = [];
  for (const index of range(settings.pairs)) sequential.push(await pair(`sequential-${index}`));
  pairRoundTrip = summarize(sequential);
  const startedAt = performance.now();
  const parallel = await mapConcurrently(range(settings.pairs), settings.concurrency, (index) => pair(`concurrent-${index}`));
  concurrent = { pairs: settings.pairs, seconds: (performance.now() - startedAt) / 1000, pairRoundTrip: summarize(parallel) };
}

/** One task of `rounds` echo rounds; its mean tool round as the scripted model saw it. */
async function runTask(zap: Zap, model: ScriptedModel, toolRounds: number, taskKey: string, tenantId: string | undefined): Promise<number> {
  const task = await zap.executeTask({
    agentName: BENCH_AGENT,
    task: formatTaskMessage({ taskKey, scenario: 'echo', rounds: toolRounds }),
    ...(tenantId !== undefined ? { tenantId } : {}),
  });
  await model.whenRequested(taskKey, toolRounds + 1);
  const result = await zap.client.workflow.getHandle(task.id).result();
  if (result.status !== 'completed') throw new Error(`Task ${task.id} ended ${result.status}.`);
  const arrivals = model.arrivals(taskKey);
  model.forget(taskKey);
  return (arrivals[toolRounds]! - arrivals[0]!) / toolRounds;
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const baseline = median(rounds['no tenant']);
  const rows = KINDS.map((kind) => {
    const summary = summarize(rounds[kind]);
    return [kind, String(summary.count), fixed(summary.median, 1), fixed(summary.p95, 1), fixed(summary.median - baseline, 1), ratio(summary.median / baseline)];
  });
  console.log(`\nTool round (model call → tool call → next model call), ${settings.rounds} rounds per task, ms`);
  console.log(formatTable(['task', 'rounds', 'median', 'p95', '+ per call', 'ratio'], rows));
  if (pairRoundTrip) console.log(`\nreserve + settle as a worker makes them, one pair at a time: median ${fixed(pairRoundTrip.median, 1)} ms, p95 ${fixed(pairRoundTrip.p95, 1)} ms`);
  if (concurrent) {
    console.log(
      `${concurrent.pairs} pairs from ${settings.concurrency} callers of one worker on one tenant: ${fixed(concurrent.pairs / concurrent.seconds, 0)} pairs/s, ` +
        `median ${fixed(concurrent.pairRoundTrip.median, 1)} ms per pair`,
    );
  }
  const withBudget = summarize(rounds['tenant with budget']);
  await writeResults('tenant-budgets', {
    complete,
    settings,
    rounds: Object.fromEntries(KINDS.map((kind) => [kind, summarize(rounds[kind])])),
    pairRoundTrip,
    concurrent,
    summary:
      rounds['tenant with budget'].length > 0
        ? [
            summaryRow(
              { benchmark: 'tenant-budgets', figure: 'tool round, tenant with a budget', unit: 'ms', ratio: withBudget.median / baseline, baseline: 'no tenant' },
              withBudget,
            ),
          ]
        : [],
  });
}

runBenchmark<Settings>({
  readSettings: (environment) => ({
    tasks: readInteger(environment, 'BENCH_TASKS', 15, 4),
    rounds: readInteger(environment, 'BENCH_ROUNDS', 4, 2),
    pairs: readInteger(environment, 'BENCH_PAIRS', 200, 40),
    concurrency: readInteger(environment, 'BENCH_CONCURRENCY', 20, 10),
  }),
  hardTimeoutMs: (settings) => 120_000 + settings.tasks * KINDS.length * 10_000 + settings.pairs * 500,
  main,
  report,
});
