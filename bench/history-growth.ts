/**
 * History growth of a long conversation: history bytes and events after each turn of a task that
 * gets a follow-up per turn, with 4 KB messages (both the follow-up and the answer), and how the
 * inline budget (`inlineMessageBytes`) changes it. A line is fitted to bytes over turns (R² says
 * whether growth is linear), and extrapolated to Temporal's limits. A last run checks what happens
 * when Temporal suggests continue-as-new, with 32 KB messages so that it comes after a few dozen
 * turns instead of hundreds.
 *
 *   npx tsx bench/history-growth.ts     # BENCH_TURNS=200
 *
 * The worker runs in this process (sizes do not depend on where it runs). The history is followed
 * as it grows (`HistoryFollower`: one long poll per batch of new events, each event encoded
 * once), and its encoded size is checked against `fetchHistory()` +
 * `temporal.api.history.v1.History.encode(...)` at the end of each run.
 *
 * Temporal's limits (server defaults, `limit.*` dynamic config): the history fails the workflow at
 * 50 MB or 51,200 events (warnings at 10 MB / 10,240 events); `continueAsNewSuggested` turns true
 * at 4 MB or 4,096 events; one payload (e.g. continue-as-new's input, which carries the
 * conversation) may not exceed 2 MB.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import type { Zap } from 'zap-agents';
import { getEventsQuery, getMessagesQuery } from 'zap-agents/workflows';
import { BENCH_AGENT, createBenchZap } from './lib/bench-zap';
import { readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistorySize } from './lib/history';
import { fixed, formatTable, ratio, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage, padText, type ScriptedModel } from './lib/scripted-model';
import { fitLine, type LinearFit } from './lib/statistics';

/** Temporal server defaults (see the file comment). */
const HISTORY_SIZE_LIMIT_BYTES = 50 * 1024 * 1024;
const HISTORY_COUNT_LIMIT = 50 * 1024;
const SUGGEST_SIZE_BYTES = 4 * 1024 * 1024;
const SUGGEST_COUNT = 4 * 1024;
const PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;
/** The continue-as-new check: message size, and turns allowed before giving up on a suggestion. */
const CHECK_MESSAGE_BYTES = 32 * 1024;
const CHECK_MAX_TURNS = 150;
/** Turns run after continue-as-new to see the task go on. */
const TURNS_AFTER_CONTINUE = 3;
/** How long one turn may take before the run is judged stuck. */
const TURN_TIMEOUT_MS = 60_000;

/** Sizes of the payloads the worker refused to upload (TMPRL1103), from its log. */
const refusedPayloadSizes: number[] = [];
/** State sizes the workflow declined to carry into a new run, from its log ("Not continuing as new"). */
const keptRunStateSizes: number[] = [];

// The worker's own (Rust) log is forwarded here: a refused payload is logged once per retry of the
// workflow task, several times a second, and its size is the figure the continue-as-new check needs.
const runtime = {
  logger: new DefaultLogger('WARN', (entry) => {
    const text = `${entry.message} ${JSON.stringify(entry.meta ?? {})}`;
    // Only refusals count (the error limit); a payload over the 512 KB warning limit is sent anyway.
    if (text.includes('TMPRL1103') && text.includes('error limit')) {
      const size = Number(/size["=:\s]+(\d+)/.exec(text)?.[1] ?? Number.NaN);
      if (!Number.isNaN(size)) refusedPayloadSizes.push(size);
      if (refusedPayloadSizes.length > 1 || Number.isNaN(size)) return;
    }
    if (entry.message.startsWith('Not continuing as new')) {
      keptRunStateSizes.push(Number(entry.meta?.carriedBytes ?? entry.meta?.inputBytes ?? Number.NaN));
      if (keptRunStateSizes.length > 1) return;
    }
    console.error(`[worker ${entry.level}] ${entry.message}`);
  }),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'WARN' }), forward: {} } },
};

interface Settings {
  turns: number;
}

interface Variant {
  label: string;
  messageBytes: number;
  /** `inlineMessageBytes`, or undefined for the default (4096). */
  inlineMessageBytes: number | undefined;
}

/** The history after a turn. */
interface TurnPoint {
  turn: number;
  run: number;
  events: number;
  bytes: number;
  /** The server's own size accounting (`historySizeBytes` of the latest workflow task). */
  serverBytes: number;
}

/** Size of the state continue-as-new would carry, after a turn. */
interface CarriedPoint {
  turn: number;
  bytes: number;
}

interface VariantResult extends Variant {
  points: TurnPoint[];
  carried: CarriedPoint[];
  /** Growth of the carried state per turn (conversation and event log). */
  carriedBytesPerTurn: number;
  bytesFit: LinearFit;
  eventsFit: LinearFit;
  /** Conversation text added per turn (JSON of the two messages), the floor of any design that keeps it. */
  conversationBytesPerTurn: number;
  /** Whether the follower's running size equalled `History.encode(fetchHistory())` at the end. */
  verifiedBytes: boolean;
  extrapolation: {
    sizeLimitTurn: number;
    countLimitTurn: number;
    suggestTurn: number;
    /** Turn at which the state continue-as-new carries passes the 2 MB payload limit. */
    payloadLimitTurn: number;
  };
}

/** What happened when Temporal suggested continue-as-new. */
interface ContinueAsNewCheck {
  messageBytes: number;
  /**
   * `continued`: a new run took over; `kept-run`: the workflow declined (state too large) and went
   * on in the same run; `stuck`: a turn never got its answer; `no-suggestion`: none came.
   */
  result: 'continued' | 'kept-run' | 'stuck' | 'no-suggestion';
  suggestedAtTurn: number | undefined;
  historyBytesWhenSuggested: number | undefined;
  /** Size of the continue-as-new input the worker refused to send, when it refused one (from its log). */
  refusedInputBytes: number | undefined;
  /** Size of the state the workflow declined to carry, when it kept its run (from its log). */
  keptRunStateBytes: number | undefined;
  outcome: string;
  continuedAsNew: boolean;
  turnsAfter: number;
}

const results: VariantResult[] = [];
let check: ContinueAsNewCheck | undefined;

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal: server, model, client } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);

  /** A Zap with its worker in this process, stopped by the returned function. */
  const startZap = async (inlineMessageBytes: number | undefined): Promise<{ zap: Zap; stop(): Promise<void> }> => {
    const zap = createBenchZap({
      taskQueue: `bench-history-${randomBytes(4).toString('hex')}`,
      temporalAddress: server.address,
      temporalClient: client,
      llm: { baseURL: model.baseURL, apiKey: 'bench' },
      inlineMessageBytes,
    });
    return { zap, stop: (await runWorkerInProcess(zap, bundle, cleanups)).stop };
  };

  const variants: Variant[] = [
    { label: '4 KB messages, inline budget 4096 (default)', messageBytes: 4096, inlineMessageBytes: undefined },
    { label: '4 KB messages, inline budget 0', messageBytes: 4096, inlineMessageBytes: 0 },
    { label: '200 B messages, inline budget 4096 (default)', messageBytes: 200, inlineMessageBytes: undefined },
    { label: '200 B messages, inline budget 0', messageBytes: 200, inlineMessageBytes: 0 },
  ];
  for (const variant of variants) {
    const startedAt = Date.now();
    const { zap, stop } = await startZap(variant.inlineMessageBytes);
    const conversation = new Conversation(zap, client, model, variant.messageBytes);
    const points: TurnPoint[] = [];
    const carried: CarriedPoint[] = [];
    const half = Math.ceil(settings.turns / 2);
    for (let turn = 1; turn <= settings.turns; turn += 1) {
      await conversation.takeTurn();
      const { follower } = conversation;
      points.push({ turn, run: conversation.runs, events: follower.events, bytes: follower.bytes, serverBytes: follower.serverHistoryBytes });
      if (turn === half || turn === settings.turns) carried.push({ turn, bytes: await conversation.measureCarriedState() });
    }
    const fetched = measureHistorySize(await client.workflow.getHandle(conversation.taskId).fetchHistory());
    await conversation.close();
    await stop();
    results.push(summarizeVariant(variant, points, carried, fetched.bytes === conversation.follower.bytes));
    console.error(`${variant.label}: ${settings.turns} turns in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  }

  const { zap, stop } = await startZap(undefined);
  check = await checkContinueAsNew(new Conversation(zap, client, model, CHECK_MESSAGE_BYTES));
  await stop();
}

const TIMER_STARTED = temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;

/** The worker failed a workflow task (and would retry it forever). */
class WorkflowTaskFailedError extends Error {
  override readonly name = 'WorkflowTaskFailedError';
}

/** One task taking follow-ups, followed run by run. */
class Conversation {
  taskId = '';
  runs = 1;
  turns = 0;
  follower!: HistoryFollower;
  /** Timers started in the current run: one per answer. */
  private timers = 0;
  private readonly taskKey = `history-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly zap: Zap,
    readonly client: Client,
    private readonly model: ScriptedModel,
    readonly messageBytes: number,
  ) {}

  /** Sends the first message or a follow-up, and waits until its answer is recorded. */
  async takeTurn(): Promise<void> {
    this.turns += 1;
    if (this.turns === 1) {
      const task = await this.zap.executeTask({
        agentName: BENCH_AGENT,
        task: formatTaskMessage({ taskKey: this.taskKey, scenario: 'chat', bytes: this.messageBytes }, this.messageBytes),
      });
      this.taskId = task.id;
      this.follower = new HistoryFollower(this.client, task.id, { measureSize: true });
    } else {
      await this.zap.executeTask({ followUpOnTask: this.taskId, task: padText(`follow-up ${this.turns}: `, this.messageBytes) });
    }
    this.timers += 1;
    for (;;) {
      try {
        // A workflow task that fails is retried by the worker forever: stop at the first one.
        const follower = this.follower;
        await follower.waitFor(
          () => follower.count(TIMER_STARTED) >= this.timers || follower.workflowTaskFailure !== undefined,
          `the answer of turn ${this.turns}`,
          TURN_TIMEOUT_MS,
        );
        if (follower.workflowTaskFailure !== undefined) throw new WorkflowTaskFailedError(follower.workflowTaskFailure);
        break;
      } catch (error) {
        if (error instanceof WorkflowTaskFailedError) throw error;
        const next = this.follower.continuedAsNewRunId;
        if (!next) throw error;
        // The follow-up continued the run as new; its answer is the new run's first timer.
        this.runs += 1;
        this.timers = 1;
        this.follower = new HistoryFollower(this.client, this.taskId, { runId: next, measureSize: true });
      }
    }
    // Every request carries the whole conversation; the scripted server need not keep them.
    this.model.forget(this.taskKey);
  }

  /**
   * Bytes of JSON the workflow state that continue-as-new carries would take: the conversation (a
   * system message, then a user message and an answer per turn) and the durable event log, read by
   * query; the rest of the state is small.
   */
  async measureCarriedState(): Promise<number> {
    const handle = this.client.workflow.getHandle(this.taskId);
    // Paged like the worker reads it: one query result may not exceed gRPC's 4 MB.
    const messageCount = 2 * this.turns + 1;
    let bytes = 0;
    for (let from = 0; from < messageCount; ) {
      const page = await handle.query(getMessagesQuery, { from, to: messageCount });
      bytes += page.reduce((total, message) => total + Buffer.byteLength(JSON.stringify(message)), 0);
      from += page.length;
    }
    const events = await handle.query(getEventsQuery, 0);
    return bytes + Buffer.byteLength(JSON.stringify(events.events));
  }

  async close(): Promise<void> {
    await this.client.workflow.getHandle(this.taskId).terminate('history benchmark done').catch(() => undefined);
  }
}

/** Turns until Temporal suggests continue-as-new, then a few more: does the task go on? */
async function checkContinueAsNew(conversation: Conversation): Promise<ContinueAsNewCheck> {
  const result: ContinueAsNewCheck = {
    messageBytes: conversation.messageBytes,
    result: 'no-suggestion',
    suggestedAtTurn: undefined,
    historyBytesWhenSuggested: undefined,
    refusedInputBytes: undefined,
    keptRunStateBytes: undefined,
    outcome: `no suggestion in ${CHECK_MAX_TURNS} turns`,
    continuedAsNew: false,
    turnsAfter: 0,
  };
  try {
    for (let turn = 1; turn <= CHECK_MAX_TURNS; turn += 1) {
      await conversation.takeTurn();
      const { follower } = conversation;
      if (result.suggestedAtTurn === undefined && (conversation.runs > 1 || follower.continueAsNewSuggestedAtEvent !== undefined)) {
        result.suggestedAtTurn = turn;
        result.historyBytesWhenSuggested = follower.bytes;
      } else if (result.suggestedAtTurn !== undefined) {
        result.turnsAfter += 1;
      }
      result.continuedAsNew = conversation.runs > 1;
      if (result.suggestedAtTurn !== undefined && result.turnsAfter >= TURNS_AFTER_CONTINUE) break;
    }
    if (result.continuedAsNew) {
      result.result = 'continued';
      result.outcome = `continued as new after turn ${result.suggestedAtTurn}; ${result.turnsAfter} more turns answered in the new run`;
    } else if (result.suggestedAtTurn !== undefined) {
      result.result = 'kept-run';
      result.keptRunStateBytes = keptRunStateSizes[0];
      result.outcome =
        `the workflow did not continue as new (its state was too large to carry) and answered ${result.turnsAfter} more turns in the same run, ` +
        'whose history keeps growing toward the 50 MB / 51,200-event limits';
    }
  } catch (error) {
    const description = await conversation.client.workflow
      .getHandle(conversation.taskId)
      .describe()
      .catch(() => undefined);
    const { follower } = conversation;
    // The follow-up call may have failed before the failure was read from history.
    await follower
      .waitFor(() => follower.workflowTaskFailure !== undefined || follower.isClosed, 'a workflow task failure', 10_000)
      .catch(() => undefined);
    if (result.suggestedAtTurn === undefined && follower.continueAsNewSuggestedAtEvent !== undefined) {
      result.suggestedAtTurn = conversation.turns;
      result.historyBytesWhenSuggested = follower.bytes;
    }
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    result.result = 'stuck';
    result.outcome =
      `turn ${conversation.turns} never got its answer: ` +
      (follower.workflowTaskFailure ? `its workflow task failed (${follower.workflowTaskFailure}) and is retried forever; ` : '') +
      `the follow-up call ${error instanceof WorkflowTaskFailedError ? 'went through' : `failed: ${error instanceof Error ? error.message : String(error)}${cause}`}; ` +
      `workflow ${description?.status.name ?? 'status unknown'}`;
    result.refusedInputBytes = refusedPayloadSizes[0];
  }
  await conversation.close();
  return result;
}

/** JSON of one turn's two messages as the workflow keeps them. */
function conversationBytesPerTurn(messageBytes: number): number {
  const user = JSON.stringify({ role: 'user', content: padText('follow-up 100: ', messageBytes) });
  const assistant = JSON.stringify({ role: 'assistant', content: padText('answer 100: ', messageBytes) });
  return Buffer.byteLength(user) + Buffer.byteLength(assistant);
}

function summarizeVariant(variant: Variant, points: TurnPoint[], carried: CarriedPoint[], verifiedBytes: boolean): VariantResult {
  const turns = points.map((point) => point.turn);
  const bytesFit = fitLine(turns, points.map((point) => point.bytes));
  const eventsFit = fitLine(turns, points.map((point) => point.events));
  const conversationBytes = conversationBytesPerTurn(variant.messageBytes);
  const turnFor = (limit: number, fit: LinearFit): number => Math.floor((limit - fit.intercept) / fit.slope);
  const carriedFit = fitLine(carried.map((point) => point.turn), carried.map((point) => point.bytes));
  return {
    ...variant,
    points,
    carried,
    carriedBytesPerTurn: carriedFit.slope,
    bytesFit,
    eventsFit,
    conversationBytesPerTurn: conversationBytes,
    verifiedBytes,
    extrapolation: {
      sizeLimitTurn: turnFor(HISTORY_SIZE_LIMIT_BYTES, bytesFit),
      countLimitTurn: turnFor(HISTORY_COUNT_LIMIT, eventsFit),
      suggestTurn: Math.min(turnFor(SUGGEST_SIZE_BYTES, bytesFit), turnFor(SUGGEST_COUNT, eventsFit)),
      payloadLimitTurn: turnFor(PAYLOAD_LIMIT_BYTES, carriedFit),
    },
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
  console.log(`\nHistory growth: ${settings.turns} turns (a follow-up and its answer each); line fitted to history bytes over turns.`);
  console.log(
    formatTable(
      ['variant', 'KiB/turn', 'events/turn', 'R²', 'vs text/turn', `bytes at turn ${settings.turns}`, 'events', '50 MB at turn', '51,200 events at turn', 'CAN suggested at turn', 'carried KiB/turn', 'carried > 2 MB at turn', 'encode check'],
      results.map((result) => {
        const last = result.points.at(-1);
        return [
          result.label,
          kb(result.bytesFit.slope),
          result.eventsFit.slope.toFixed(2),
          result.bytesFit.rSquared.toFixed(5),
          ratio(result.bytesFit.slope / result.conversationBytesPerTurn),
          String(last?.bytes ?? '–'),
          String(last?.events ?? '–'),
          String(result.extrapolation.sizeLimitTurn),
          String(result.extrapolation.countLimitTurn),
          String(result.extrapolation.suggestTurn),
          kb(result.carriedBytesPerTurn),
          String(result.extrapolation.payloadLimitTurn),
          result.verifiedBytes ? 'equal' : 'DIFFERS',
        ];
      }),
    ),
  );
  console.log(
    '("vs text/turn": history bytes per turn over the JSON of the turn\'s two messages, the least any design that keeps the conversation ' +
      'must store; "carried": the conversation and event log that continue-as-new passes as one input payload)',
  );
  if (check) {
    console.log(`\nContinue-as-new check (${check.messageBytes / 1024} KB messages): ${check.outcome}`);
    if (check.suggestedAtTurn !== undefined) {
      console.log(
        `  Temporal suggested continue-as-new at turn ${check.suggestedAtTurn} (history ${kb(check.historyBytesWhenSuggested ?? Number.NaN)} KiB)` +
          (check.refusedInputBytes === undefined
            ? ''
            : `; the continue-as-new input (conversation + event log) was ${kb(check.refusedInputBytes)} KiB, over the ${PAYLOAD_LIMIT_BYTES / 1024} KiB payload limit`) +
          (check.keptRunStateBytes === undefined || Number.isNaN(check.keptRunStateBytes)
            ? ''
            : `; the state it would have carried was ${kb(check.keptRunStateBytes)} KiB (payload limit ${PAYLOAD_LIMIT_BYTES / 1024} KiB)`),
      );
    }
  }
  const path = await writeResults('history-growth', {
    complete,
    summary: summaryRows(),
    settings: { ...settings, limits: { HISTORY_SIZE_LIMIT_BYTES, HISTORY_COUNT_LIMIT, SUGGEST_SIZE_BYTES, SUGGEST_COUNT, PAYLOAD_LIMIT_BYTES } },
    variants: results,
    continueAsNewCheck: check ?? null,
  });
  console.log(`\nJSON: ${path}`);
}

/** The suite summary's rows: growth per turn of each variant, and what the continue-as-new check saw. */
function summaryRows(): SummaryRow[] {
  const rows: SummaryRow[] = results.map((variant) => ({
    benchmark: 'history-growth',
    figure: `history per turn: ${variant.label}`,
    unit: 'KiB',
    median: variant.bytesFit.slope / 1024,
    ratio: variant.bytesFit.slope / variant.conversationBytesPerTurn,
    baseline: 'message text per turn',
    note:
      `R² ${variant.bytesFit.rSquared.toFixed(4)}; 50 MB at turn ${variant.extrapolation.sizeLimitTurn}, ` +
      `continue-as-new suggested at ${variant.extrapolation.suggestTurn}, its input > 2 MB from turn ${variant.extrapolation.payloadLimitTurn}`,
  }));
  if (check) {
    const notes: Record<ContinueAsNewCheck['result'], string> = {
      continued: 'continued as new; the task went on',
      'kept-run': `state too large to carry (${fixed((check.keptRunStateBytes ?? Number.NaN) / 1024)} KiB): kept the run, answered ${check.turnsAfter} more turns`,
      stuck: `STUCK: ${check.outcome.slice(0, 90)}`,
      'no-suggestion': `NO SUGGESTION: ${check.outcome.slice(0, 90)}`,
    };
    rows.push({
      benchmark: 'history-growth',
      figure: `continue-as-new check (${check.messageBytes / 1024} KB messages)`,
      unit: 'turn',
      median: check.suggestedAtTurn ?? Number.NaN,
      note: notes[check.result],
    });
  }
  return rows;
}

runBenchmark({
  readSettings: (environment) => ({ turns: readInteger(environment, 'BENCH_TURNS', 200, 30, 3) }),
  runtime,
  hardTimeoutMs: (settings) => 180_000 + settings.turns * 4 * 1_500,
  main,
  report,
});
