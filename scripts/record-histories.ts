/**
 * Records the workflow histories of a fixed set of scenarios against a real Temporal dev server
 * and writes them (Temporal's JSON history format, the one `temporal workflow show --output json`
 * prints) under `test/replay/histories/<version>/`, with a `manifest.json` naming the commit,
 * scenario, workflow id and run of each file. The replay gate (`test/replay`) replays every
 * committed set against the current workflow code, so record a set on each release, BEFORE any
 * change to workflow code:
 *
 *   npm run record-histories                  # version from package.json
 *   npm run record-histories -- --version 0.2.0 --only plain-answer,cancelled-during-tool
 *
 * A dev server is started for the run unless TEMPORAL_ADDRESS points at one. The tree's workflow
 * code (src/workflows, src/core) must be committed; to try scenarios out on uncommitted code, set
 * ZAP_RECORD_ALLOW_DIRTY=1 and write to a scratch directory you delete afterwards (never commit it):
 *
 *   ZAP_RECORD_ALLOW_DIRTY=1 npx tsx scripts/record-histories.ts --version 0.2.0-scratch --out /tmp/histories/0.2.0-scratch
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { z } from 'zod';
import { ApprovalRules, Zap, ZapAgent, tool, type Task } from '../src';
import { pipeline, type AnyPipelineDefinition } from '../src/pipelines';
import { ScriptedLlmServer, scripted, type ScriptedRequest } from '../src/testing/scripted-llm-server';
import { TemporalDevServer } from '../src/testing/temporal-dev-server';
import { getEventsQuery } from '../src/workflows/definitions';
import { tenantBudgetWorkflowId } from '../src/workflows/tenant-budget-definitions';
import { AgentRouter, lastMessage } from '../test/support/agent-router';

const REPOSITORY_ROOT = resolve(__dirname, '..');
/** Answered tasks end after this much quiet, so every recorded history runs to its close. */
const RECORDING_IDLE_TIMEOUT = '4 seconds';
/** Lowest threshold the Zap accepts; forces continue-as-new every few turns. */
const FORCED_CONTINUE_AS_NEW_EVENTS = 20;
const WAIT_TIMEOUT_MS = 60_000;
/** Set to 1 to record from a tree whose workflow code has uncommitted changes (scratch sets only). */
const ALLOW_DIRTY_VARIABLE = 'ZAP_RECORD_ALLOW_DIRTY';

// ---------------------------------------------------------------------------------------------
// Tools: each records what it did, so the script can wait for the right moment.

const released = new Map<string, () => void>();
const started = new Set<string>();

const lookup = tool({
  name: 'lookup',
  description: 'Looks up a key',
  parameters: z.object({ key: z.string() }),
  idempotent: true,
  execute: ({ key }) => `value-of-${key}`,
});
const explode = tool({
  name: 'explode',
  description: 'Always fails (not idempotent: retried only when it reports the failure)',
  parameters: z.object({}),
  execute: () => {
    throw new Error('the warehouse is on fire');
  },
});
const explodeIdempotent = tool({
  name: 'explode_idempotent',
  description: 'Always fails (idempotent: retried by Temporal)',
  parameters: z.object({}),
  idempotent: true,
  execute: () => {
    throw new Error('the archive is flooded');
  },
});
const waitForRelease = tool({
  name: 'wait_for_release',
  description: 'Blocks until the recorder releases it',
  parameters: z.object({ id: z.string() }),
  execute: async ({ id }, { signal }) => {
    started.add(id);
    await new Promise<void>((resolveWait) => {
      released.set(id, resolveWait);
      signal.addEventListener('abort', () => resolveWait());
    });
    return `released ${id}`;
  },
});
const transferFunds = tool({
  name: 'transfer_funds',
  description: 'Moves money (gated by approval rules)',
  parameters: z.object({ amount: z.number() }),
  execute: ({ amount }) => `moved ${amount}`,
});
const slowCharge = tool({
  name: 'slow_charge',
  description: 'Charges a card; slower than its timeout, so its outcome is unknown',
  parameters: z.object({}),
  execute: async (_args, { signal }) => {
    await new Promise<void>((resolveWait) => {
      const timer = setTimeout(resolveWait, 3_000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolveWait();
      });
    });
    return 'charged';
  },
});
const sendEmail = tool({
  name: 'send_email',
  description: 'Sends an email (gated by its own predicate when it leaves the company)',
  parameters: z.object({ to: z.string(), subject: z.string() }),
  requiresApproval: ({ args }) => !args.to.endsWith('@ourco.test'),
  describe: ({ to, subject }) => `Email "${subject}" to ${to}`,
  execute: ({ to }) => `sent to ${to}`,
});
const bigBlob = tool({
  name: 'big_blob',
  description: 'Returns a large document',
  parameters: z.object({ kilobytes: z.number() }),
  idempotent: true,
  // Past the default 64 KiB bound: this scenario needs a conversation too large to carry.
  maxResultBytes: 1024 * 1024,
  execute: ({ kilobytes }) => 'x'.repeat(kilobytes * 1024),
});

// ---------------------------------------------------------------------------------------------
// Agents: one per scenario, so the scripted model routes by system prompt.

const FAST_RETRIES = { llm: { initialInterval: '100 ms', maximumAttempts: 2 }, tool: { initialInterval: '200 ms', maximumAttempts: 2 } };

function agent(name: string, extra: Partial<ConstructorParameters<typeof ZapAgent>[0]> = {}): ZapAgent {
  return new ZapAgent({
    name,
    prompt: `Scenario ${name}.`,
    model: 'scripted-model',
    tools: [lookup, explode, explodeIdempotent, waitForRelease, transferFunds, slowCharge, bigBlob, sendEmail],
    retry: FAST_RETRIES,
    ...extra,
  });
}

const call = (name: string, args: Record<string, unknown> = {}, id?: string) => ({ name, arguments: args, ...(id ? { id } : {}) });

/** What a scenario needs from the recorder. */
interface ScenarioContext {
  zap: Zap;
  /** The Zap whose tasks continue-as-new every few turns. */
  zapContinuing: Zap;
  router: AgentRouter;
  /** The recorder's own Temporal client (workflows that are not tasks). */
  client: Client;
  waitFor(taskId: string, predicate: (task: Task) => boolean, zap?: Zap): Promise<Task>;
  waitUntil(predicate: () => boolean | Promise<boolean>, what: string): Promise<void>;
}

/** A scenario starts its tasks and drives them; it returns the root task ids to record. */
interface Scenario {
  name: string;
  description: string;
  continuing?: boolean;
  /** Pipelines the scenario runs, registered on the Zap only when it is selected (their step agents are). */
  pipelines?: readonly AnyPipelineDefinition[];
  run(context: ScenarioContext, agentName: string): Promise<string[]>;
}

const prompt = (name: string) => `Scenario ${name}.`;
const answered = (task: Task) => task.status === 'completed';
const closedFor = (statuses: string[]) => (task: Task) => statuses.includes(task.status);

// 0.2.0 budgets: prompts free, $2 per million completion tokens, and agents whose calls may use at
// most BUDGET_MAX_TOKENS completion tokens, so a call reporting that many costs its worst case.
const MODEL_PRICES = { 'scripted-model': { input: 0, output: 2 } };
const BUDGET_MAX_TOKENS = 100;
/** One call of BUDGET_MAX_TOKENS completion tokens: $0.0002. */
const CALL_USD = 0.0002;
const usage = { usage: { promptTokens: 400, completionTokens: BUDGET_MAX_TOKENS } };

/** research (an agent step with an output schema) → review (a gate) → publish (a text step). */
const replayPipeline = pipeline('replay-pipeline', { input: z.object({ topic: z.string() }) })
  .step('research', {
    agent: 'pipeline-gate-approved',
    input: (ctx) => `Research ${ctx.workflow.input.topic}`,
    output: z.object({ title: z.string() }),
  })
  .gate('review', { approval: { message: (ctx) => `Publish "${ctx.prev.research.title}"?`, timeout: '1 hour' } })
  .step('publish', { agent: 'pipeline-gate-approved', input: (ctx) => `Publish "${ctx.prev.research.title}"` });

/** Lifecycle hooks that ran, as `<taskId>/<hook>`. */
const hookCalls = new Set<string>();

/** The task's events of one type, so a scenario can check it took the path it records. */
async function eventsOfType(zap: Zap, taskId: string, type: string): Promise<Array<Record<string, unknown>>> {
  const { events } = await zap.client.workflow.getHandle(taskId).query(getEventsQuery, 0);
  return events.filter((event) => event.type === type) as unknown as Array<Record<string, unknown>>;
}

/** Waits until the task has `count` pending approvals, and returns them. */
async function pendingApprovals(zap: Zap, taskId: string, count: number): Promise<Awaited<ReturnType<Zap['getPendingApprovals']>>> {
  let approvals: Awaited<ReturnType<Zap['getPendingApprovals']>> = [];
  await waitUntil(async () => {
    approvals = await zap.getPendingApprovals(taskId);
    return approvals.length === count;
  }, `${count} pending approvals on ${taskId}`);
  return approvals;
}

const scenarios: Scenario[] = [
  {
    name: 'plain-answer',
    description: 'one model call answers; the task ends at its idle timeout',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('Hello there!'));
      const task = await zap.executeTask({ agentName, task: 'Say hello', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'parallel-tool-calls',
    description: 'three tool calls in one turn, results in call order',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('lookup', { key: 'a' }), call('lookup', { key: 'b' }), call('lookup', { key: 'c' })]),
        scripted.text('a, b and c looked up'),
      );
      const task = await zap.executeTask({ agentName, task: 'Look up a, b, c', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'tool-error',
    description: 'a failing non-idempotent tool (retried with backoff timers) and a failing idempotent one',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('explode'), call('explode_idempotent')]),
        scripted.text('both tools failed'),
      );
      const task = await zap.executeTask({ agentName, task: 'Use the broken tools', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'follow-up-after-answer',
    description: 'an answer, then a follow-up signal answered by a second model call',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('first answer'), scripted.text('second answer'));
      const task = await zap.executeTask({ agentName, task: 'First question', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      await zap.executeTask({ followUpOnTask: task.id, task: 'Second question' });
      await waitFor(task.id, (t) => t.status === 'completed' && t.result === 'second answer');
      return [task.id];
    },
  },
  {
    name: 'follow-up-mid-turn',
    description: 'a follow-up arrives while a tool runs and is used at the next model call',
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('wait_for_release', { id: agentName })]),
        scripted.text('answered both'),
      );
      const task = await zap.executeTask({ agentName, task: 'Start something slow', taskId: `replay-${agentName}` });
      await waitUntil(() => started.has(agentName), 'the blocking tool to start');
      await zap.executeTask({ followUpOnTask: task.id, task: 'Also this' });
      released.get(agentName)?.();
      await waitFor(task.id, (t) => t.status === 'completed' && t.result === 'answered both');
      return [task.id];
    },
  },
  ...(['approved', 'rejected', 'timed-out'] as const).map(
    (outcome): Scenario => ({
      name: `approval-${outcome}`,
      description: `a gated tool call whose approval is ${outcome.replace('-', ' ')}`,
      async run({ zap, router, waitFor }, agentName) {
        router.enqueue(prompt(agentName), scripted.toolCalls([call('transfer_funds', { amount: 100 })]), scripted.text('done'));
        const task = await zap.executeTask({
          agentName,
          task: 'Transfer 100',
          taskId: `replay-${agentName}`,
          approvalRules: new ApprovalRules({ patterns: ['transfer_*'], timeout: outcome === 'timed-out' ? '2 seconds' : '1 hour' }),
        });
        const pending = await waitFor(task.id, (t) => t.status === 'awaiting_approval');
        const [approval] = await pending.getPendingApprovals();
        if (!approval) throw new Error('no pending approval');
        if (outcome === 'approved') await zap.approve(task.id, approval.id, { approvedBy: 'recorder' });
        if (outcome === 'rejected') await zap.reject(task.id, approval.id, 'not today', { rejectedBy: 'recorder' });
        await waitFor(task.id, answered);
        return [task.id];
      },
    }),
  ),
  {
    name: 'approvals-several-pending',
    description: 'two gated calls pending at once next to an ungated one; one approved, one rejected',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('transfer_funds', { amount: 1 }), call('transfer_funds', { amount: 2 }), call('lookup', { key: 'k' })]),
        scripted.text('one moved, one refused'),
      );
      const task = await zap.executeTask({
        agentName,
        task: 'Transfer 1 and 2',
        taskId: `replay-${agentName}`,
        approvalRules: new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 hour' }),
      });
      let approvals: Awaited<ReturnType<Task['getPendingApprovals']>> = [];
      await waitFor(task.id, () => true);
      const deadline = Date.now() + WAIT_TIMEOUT_MS;
      while (approvals.length < 2 && Date.now() < deadline) {
        approvals = await zap.getPendingApprovals(task.id);
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      const [first, second] = [...approvals].sort((a, b) => Number(a.toolArgs.amount) - Number(b.toolArgs.amount));
      if (!first || !second) throw new Error('expected two pending approvals');
      await zap.approve(task.id, first.id, { approvedBy: 'recorder' });
      await zap.reject(task.id, second.id, 'too much', { rejectedBy: 'recorder' });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'sub-agent-delegation',
    description: 'message_agent starts a child task; a follow-up continues the same sub-conversation',
    async run({ zap, router, waitFor }, agentName) {
      const taskId = `replay-${agentName}`;
      const childId = `${taskId}.Helper.1`;
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('message_agent', { agent_name: 'Helper', message: 'Research X' })]),
        scripted.text('X researched'),
        scripted.toolCalls([call('message_agent', { conversation_id: childId, message: 'And Y?' })]),
        scripted.text('Y researched too'),
      );
      router.enqueue(prompt('Helper'), scripted.text('X is 42'), scripted.text('Y is 43'));
      const task = await zap.executeTask({ agentName, task: 'Research X', taskId });
      await waitFor(task.id, answered);
      await zap.executeTask({ followUpOnTask: task.id, task: 'Now Y, same conversation' });
      await waitFor(task.id, (t) => t.status === 'completed' && t.result === 'Y researched too');
      return [task.id, childId];
    },
  },
  {
    name: 'continue-as-new',
    description: 'several tool rounds and a follow-up on a Zap that continues as new every few turns',
    continuing: true,
    async run({ zapContinuing, router, waitFor }, agentName) {
      const rounds = Array.from({ length: 5 }, (_, index) => scripted.toolCalls([call('lookup', { key: `k${index}` })]));
      router.enqueue(prompt(agentName), ...rounds, scripted.text('five lookups done'), scripted.text('follow-up answered'));
      const task = await zapContinuing.executeTask({ agentName, task: 'Look up five keys', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered, zapContinuing);
      await zapContinuing.executeTask({ followUpOnTask: task.id, task: 'One more thing' });
      await waitFor(task.id, (t) => t.status === 'completed' && t.result === 'follow-up answered', zapContinuing);
      return [task.id];
    },
  },
  {
    name: 'state-too-large-to-carry',
    description: 'large tool results make the carried state too large; the task keeps its run',
    continuing: true,
    async run({ zapContinuing, router, waitFor }, agentName) {
      // Five 400 KB results: past the 1.8 MB a new run can carry once events hold only previews.
      // Sizes differ by a kilobyte: five identical calls would be stopped by stuck detection (0.2.0).
      const rounds = Array.from({ length: 5 }, (_, index) => scripted.toolCalls([call('big_blob', { kilobytes: 400 + index })]));
      router.enqueue(prompt(agentName), ...rounds, scripted.text('read five big documents'));
      const task = await zapContinuing.executeTask({ agentName, task: 'Read the archive', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered, zapContinuing);
      return [task.id];
    },
  },
  {
    name: 'cancelled-during-tool',
    description: 'cancelTask while a tool runs',
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('wait_for_release', { id: agentName })]));
      const task = await zap.executeTask({ agentName, task: 'Start and be cancelled', taskId: `replay-${agentName}` });
      await waitUntil(() => started.has(agentName), 'the blocking tool to start');
      await zap.cancelTask(task.id, 'changed my mind');
      await waitFor(task.id, closedFor(['cancelled']));
      return [task.id];
    },
  },
  {
    name: 'cancelled-while-idle',
    description: 'cancelTask after the answer, while the task waits for a follow-up',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('answered'));
      const task = await zap.executeTask({ agentName, task: 'Answer then wait', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      await zap.cancelTask(task.id, 'no more questions');
      await waitFor(task.id, closedFor(['cancelled']));
      return [task.id];
    },
  },
  {
    name: 'cancelled-during-model-call',
    description: 'cancelTask while the model call is in flight (0.1.0 ends such a task failed)',
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      let requested = false;
      router.enqueue(prompt(agentName), () => {
        requested = true;
        return scripted.text('too late', { delayMs: 5_000 });
      });
      const task = await zap.executeTask({ agentName, task: 'Think slowly', taskId: `replay-${agentName}` });
      await waitUntil(() => requested, 'the model call to start');
      await zap.cancelTask(task.id, 'taking too long');
      await waitFor(task.id, closedFor(['cancelled', 'failed']));
      return [task.id];
    },
  },
  {
    name: 'failed-max-iterations',
    description: 'the model keeps calling tools past maxIterations',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('lookup', { key: 'again' })]),
        scripted.toolCalls([call('lookup', { key: 'again' })]),
      );
      const task = await zap.executeTask({ agentName, task: 'Loop', taskId: `replay-${agentName}` });
      await waitFor(task.id, closedFor(['failed']));
      return [task.id];
    },
  },
  {
    name: 'failed-provider-400',
    description: 'the provider refuses the request (non-retryable)',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.error(400, 'Invalid request: unknown parameter'));
      const task = await zap.executeTask({ agentName, task: 'Bad request', taskId: `replay-${agentName}` });
      await waitFor(task.id, closedFor(['failed']));
      return [task.id];
    },
  },
  {
    name: 'tool-outcome-unknown',
    description: 'a non-idempotent tool times out; the model is told its outcome is unknown',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('slow_charge')]), (request: ScriptedRequest) =>
        scripted.text(`saw: ${lastMessage(request).content.slice(0, 40)}`),
      );
      const task = await zap.executeTask({ agentName, task: 'Charge the card', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'streamed-with-tokens',
    description: 'streamTask starts the task and follows it with live tokens',
    async run({ zap, router }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('lookup', { key: 'weather' })], { content: 'Let me check.' }),
        scripted.text('It is sunny and warm today.'),
      );
      let taskId: string | undefined;
      let tokens = 0;
      for await (const event of zap.streamTask({ agentName, task: 'Weather?', taskId: `replay-${agentName}`, includeTokens: true })) {
        taskId = event.taskId;
        if (event.type === 'token') tokens += 1;
        if (event.type === 'completed' || event.type === 'error') break;
      }
      if (!taskId || tokens === 0) throw new Error(`streaming produced no tokens (task ${taskId})`);
      return [taskId];
    },
  },

  // -------------------------------------------------------------------------------------------
  // 0.2.0

  {
    name: 'named-events',
    description: 'wait_for_event gets an event sent during the wait (zap.sendEvent), then a second wait times out',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('wait_for_event', { event: 'payment-received' })]),
        scripted.toolCalls([call('wait_for_event', { event: 'payment-received', timeoutSeconds: 1 })]),
        scripted.text('one payment arrived, the second did not'),
      );
      const task = await zap.executeTask({ agentName, task: 'Wait for two payments', taskId: `replay-${agentName}` });
      await waitFor(task.id, (t) => t.status === 'awaiting_event' && t.waitingFor.events.includes('payment-received'));
      await zap.sendEvent(task.id, 'payment-received', { amount: 10 });
      await waitFor(task.id, answered);
      const outcomes = (await eventsOfType(zap, task.id, 'event_wait_finished')).map((event) => event.outcome);
      if (outcomes.join() !== 'received,timed_out') throw new Error(`unexpected wait outcomes: ${outcomes.join()}`);
      return [task.id];
    },
  },
  {
    name: 'structured-output-repaired',
    description: 'an agent with an output schema answers invalid JSON, gets one repair turn, then answers valid JSON',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('approved, looks fine'), scripted.json({ approved: true, reason: 'a harmless rename' }));
      const task = await zap.executeTask({ agentName, task: 'Review PR 12', taskId: `replay-${agentName}` });
      await waitFor(task.id, (t) => answered(t) && t.output !== undefined);
      return [task.id];
    },
  },
  {
    name: 'stuck-retry',
    description: "the same tool call three times: stuck detection's retry policy nudges the model once, then it answers",
    async run({ zap, router, waitFor }, agentName) {
      const same = () => scripted.toolCalls([call('lookup', { key: 'same' })]);
      router.enqueue(prompt(agentName), same(), same(), same(), scripted.text('answering with what I have'));
      const task = await zap.executeTask({ agentName, task: 'Look it up', taskId: `replay-${agentName}` });
      await waitFor(task.id, closedFor(['completed', 'failed']));
      const actions = (await eventsOfType(zap, task.id, 'stuck')).map((event) => event.action);
      if (actions.join() !== 'nudge') throw new Error(`expected one stuck nudge, got: ${actions.join() || 'none'}`);
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'lifecycle-hooks',
    description: 'an agent with onStart and onComplete hooks (runHook activities) answers after a tool call',
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('lookup', { key: 'hooked' })]), scripted.text('hooked answer'));
      const task = await zap.executeTask({ agentName, task: 'Answer with hooks', taskId: `replay-${agentName}` });
      await waitFor(task.id, answered);
      await waitUntil(() => hookCalls.has(`${task.id}/onStart`) && hookCalls.has(`${task.id}/onComplete`), 'both hooks to run');
      return [task.id];
    },
  },
  {
    name: 'pipeline-gate-approved',
    description: 'a pipeline run: an agent step with an output schema, a gate approved, then a text step',
    pipelines: [replayPipeline],
    async run({ zap, router, waitUntil }, agentName) {
      const runId = `replay-${agentName}`;
      router.enqueue(prompt(agentName), scripted.json({ title: 'Durable agents' }), scripted.text('published'));
      await zap.startPipeline(replayPipeline, { topic: 'durable agents' }, { runId });
      let gate: { id: string } | undefined;
      await waitUntil(async () => {
        const run = await zap.getPipelineRun(runId);
        gate = run.status === 'pending' ? run.pendingApproval : undefined;
        return gate !== undefined;
      }, 'the pipeline gate');
      if (!gate) throw new Error('the pipeline gate has no pending approval');
      await zap.approve(runId, gate.id, { approvedBy: 'recorder' });
      await waitUntil(async () => (await zap.getPipelineRun(runId)).status === 'complete', 'the pipeline run to complete');
      return [runId, `${runId}.research.1`, `${runId}.publish.1`];
    },
  },
  {
    name: 'approval-conditions',
    description: 'a JSON conditions rule gates one of two calls in a turn (amount > 100); it is approved',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('transfer_funds', { amount: 50 }), call('transfer_funds', { amount: 250 })]),
        scripted.text('both moved'),
      );
      const task = await zap.executeTask({
        agentName,
        task: 'Transfer 50 and 250',
        taskId: `replay-${agentName}`,
        approvalRules: new ApprovalRules({ conditions: [{ tool: 'transfer_funds', when: { arg: 'amount', gt: 100 } }], timeout: '1 hour' }),
      });
      const [approval] = await pendingApprovals(zap, task.id, 1);
      if (!approval || approval.toolArgs.amount !== 250) throw new Error('expected the 250 transfer to wait for approval');
      await zap.approve(task.id, approval.id, { approvedBy: 'recorder' });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'approval-predicate',
    description: "a tool's requiresApproval predicate (run in the model activity) gates one of two calls, with its describe summary; approved",
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('send_email', { to: 'ana@ourco.test', subject: 'Hi' }), call('send_email', { to: 'bob@outside.test', subject: 'Offer' })]),
        scripted.text('both sent'),
      );
      const task = await zap.executeTask({ agentName, task: 'Email Ana and Bob', taskId: `replay-${agentName}` });
      const [approval] = await pendingApprovals(zap, task.id, 1);
      if (approval?.summary !== 'Email "Offer" to bob@outside.test') throw new Error(`unexpected approval summary: ${approval?.summary}`);
      await zap.approve(task.id, approval.id, { approvedBy: 'recorder' });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'approval-timeout-approve',
    description: "an approval with onTimeout 'approve' reaches its 2-second timeout; the call runs",
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('transfer_funds', { amount: 10 })]), scripted.text('moved without a human'));
      const task = await zap.executeTask({
        agentName,
        task: 'Transfer 10',
        taskId: `replay-${agentName}`,
        approvalRules: new ApprovalRules({ patterns: ['transfer_*'], timeout: '2 seconds', onTimeout: 'approve' }),
      });
      const done = await waitFor(task.id, answered);
      if (done.approvals[0]?.decidedBy !== 'zap:timeout-policy') throw new Error('expected the timeout policy to approve the call');
      return [task.id];
    },
  },
  {
    name: 'approval-escalated-rejected',
    description: "an approval with onTimeout 'escalate' escalates (onApprovalEscalated hook), waits again, then escalation.then rejects it",
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('transfer_funds', { amount: 20 })]), scripted.text('not moved'));
      const task = await zap.executeTask({
        agentName,
        task: 'Transfer 20',
        taskId: `replay-${agentName}`,
        approvalRules: new ApprovalRules({
          patterns: ['transfer_*'],
          timeout: '2 seconds',
          onTimeout: 'escalate',
          escalation: { timeout: '2 seconds', then: 'reject' },
        }),
      });
      const done = await waitFor(task.id, answered);
      if (done.approvals[0]?.decision !== 'timed_out') throw new Error('expected a rejection at the second timeout');
      await waitUntil(() => hookCalls.has(`${task.id}/onApprovalEscalated`), 'the escalation hook to run');
      return [task.id];
    },
  },
  {
    name: 'approvals-batch-decision',
    description: 'two gated calls decided in one zap.decideApprovals update: one approved, one rejected',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('transfer_funds', { amount: 1 }), call('transfer_funds', { amount: 2 })]),
        scripted.text('one moved, one refused'),
      );
      const task = await zap.executeTask({
        agentName,
        task: 'Transfer 1 and 2',
        taskId: `replay-${agentName}`,
        approvalRules: new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 hour' }),
      });
      const approvals = await pendingApprovals(zap, task.id, 2);
      const [first, second] = [...approvals].sort((a, b) => Number(a.toolArgs.amount) - Number(b.toolArgs.amount));
      if (!first || !second) throw new Error('expected two pending approvals');
      await zap.decideApprovals(
        task.id,
        { [first.id]: { decision: 'approve' }, [second.id]: { decision: 'reject', reason: 'too much' } },
        { decidedBy: 'recorder' },
      );
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'budget-max-usd-stopped',
    description: 'a task with maxUsd for exactly three calls: the fourth is refused and the task fails BUDGET_EXCEEDED',
    async run({ zap, router, waitFor }, agentName) {
      const rounds = [1, 2, 3].map((n) => scripted.toolCalls([call('lookup', { key: `k${n}` })], usage));
      router.enqueue(prompt(agentName), ...rounds, scripted.text('never sent', usage));
      const task = await zap.executeTask({ agentName, task: 'Look up three keys', taskId: `replay-${agentName}`, budget: { maxUsd: 3 * CALL_USD } });
      const done = await waitFor(task.id, closedFor(['failed']));
      if (done.errorCode !== 'BUDGET_EXCEEDED') throw new Error(`expected BUDGET_EXCEEDED, got ${done.errorCode}: ${done.error}`);
      return [task.id];
    },
  },
  {
    name: 'budget-ask-raised',
    description: "onExceeded 'ask': the budget approval is approved with a higher maxUsd and the task answers",
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.toolCalls([call('lookup', { key: 'k' })], usage), scripted.text('done after the raise', usage));
      const task = await zap.executeTask({
        agentName,
        task: 'Look up k',
        taskId: `replay-${agentName}`,
        budget: { maxUsd: CALL_USD, onExceeded: 'ask' },
      });
      const [approval] = await pendingApprovals(zap, task.id, 1);
      if (approval?.kind !== 'budget') throw new Error(`expected a budget approval, got ${approval?.kind}`);
      await zap.approve(task.id, approval.id, { approvedBy: 'recorder', budget: { maxUsd: 2 * CALL_USD } });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'budget-sub-agent',
    description: "a budgeted parent messages a sub-agent: it reserves the child's share and reconciles with what the child spent",
    async run({ zap, router, waitFor }, agentName) {
      const taskId = `replay-${agentName}`;
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('message_agent', { agent_name: 'BudgetHelper', message: 'Research X' })], usage),
        scripted.text('X researched within budget', usage),
      );
      router.enqueue(prompt('BudgetHelper'), scripted.text('X is 42', usage));
      const task = await zap.executeTask({ agentName, task: 'Research X', taskId, budget: { maxUsd: 5 * CALL_USD } });
      const done = await waitFor(task.id, answered);
      if (done.budget?.spent.modelCalls !== 3) throw new Error(`expected three model calls charged, got ${JSON.stringify(done.budget)}`);
      return [task.id, `${taskId}.BudgetHelper.1`];
    },
  },
  {
    name: 'budget-max-tool-calls',
    description: 'maxToolCalls 2 and three calls in a turn: the third is not run and the model answers without tools',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(
        prompt(agentName),
        scripted.toolCalls([call('lookup', { key: 'a' }), call('lookup', { key: 'b' }), call('lookup', { key: 'c' })], usage),
        scripted.text('answered with two of three', usage),
      );
      const task = await zap.executeTask({ agentName, task: 'Look up a, b, c', taskId: `replay-${agentName}`, budget: { maxToolCalls: 2 } });
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'run-agent',
    description: "runAgent started as a workflow of its own: resolveAgentTask, then the agent task as its child, answered once",
    async run({ zap, client, router, waitUntil }, agentName) {
      const workflowId = `replay-${agentName}`;
      router.enqueue(prompt(agentName), scripted.toolCalls([call('lookup', { key: 'order' })]), scripted.text('order 42 is confirmed'));
      // `runAgent` is a workflow type of zap's bundle (`export *` registers it), so no workflow of a user's is needed.
      const handle = await client.workflow.start('runAgent', {
        taskQueue: zap.options.taskQueue,
        workflowId,
        args: [agentName, { task: 'Confirm order 42' }],
      });
      const result = (await handle.result()) as { result?: string };
      if (result.result !== 'order 42 is confirmed') throw new Error(`unexpected runAgent result: ${JSON.stringify(result)}`);
      await waitUntil(async () => (await client.workflow.getHandle(`${workflowId}.agent.1`).describe()).status.name !== 'RUNNING', 'the agent task to close');
      return [workflowId, `${workflowId}.agent.1`];
    },
  },
  {
    name: 'nudge-fired',
    description: "an agent's nudge (after 1 second) fires once after the answer; the task answers it, then closes at its idle timeout",
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('your order ships tomorrow'), scripted.text('a reminder: it ships tomorrow'));
      const task = await zap.executeTask({ agentName, task: 'When does my order ship?', taskId: `replay-${agentName}` });
      await waitFor(task.id, (t) => t.status === 'completed' && t.result === 'a reminder: it ships tomorrow');
      const nudges = await eventsOfType(zap, task.id, 'nudged');
      if (nudges.length !== 1) throw new Error(`expected one nudge, got ${nudges.length}`);
      return [task.id];
    },
  },
  {
    name: 'delayed-start',
    description: 'executeTask with startDelay 1 second: the workflow starts after its delay and answers',
    async run({ zap, router, waitFor }, agentName) {
      router.enqueue(prompt(agentName), scripted.text('answered after the delay'));
      const task = await zap.executeTask({ agentName, task: 'Answer a moment later', taskId: `replay-${agentName}`, startDelay: '1 second' });
      if (task.status !== 'pending' || task.startsAt === undefined) throw new Error(`expected a pending task with startsAt, got ${task.status}`);
      await waitFor(task.id, answered);
      return [task.id];
    },
  },
  {
    name: 'scheduled-run',
    description: 'a paused schedule triggered once: its run (task id derived from the workflow id Temporal chose) answers and closes at once',
    async run({ zap, router, waitFor, waitUntil }, agentName) {
      const scheduleId = `replay-${agentName}`;
      router.enqueue(prompt(agentName), scripted.text('the daily report'));
      // Paused, so the one run is the trigger's: no run of the timetable can join it.
      await zap.schedules.create({ id: scheduleId, agentName, task: 'Write the daily report', every: '1 hour', paused: true });
      try {
        await zap.schedules.trigger(scheduleId);
        let taskId: string | undefined;
        await waitUntil(async () => {
          taskId = (await zap.schedules.describe(scheduleId)).recentRuns[0]?.taskId;
          return taskId !== undefined;
        }, 'the triggered run');
        const run = await waitFor(taskId as string, answered);
        if (run.scheduleId !== scheduleId) throw new Error(`expected the run of ${scheduleId}, got ${String(run.scheduleId)}`);
        return [run.id];
      } finally {
        await zap.schedules.delete(scheduleId);
      }
    },
  },
  {
    name: 'tenant-budget-workflow',
    description: "a tenant budget set, two tasks of the tenant reserving and settling their three model calls, then removed (the budget workflow completes)",
    async run({ zap, router, waitFor }, agentName) {
      const tenantId = 'replay-tenant';
      const taskId = `replay-${agentName}`;
      await zap.tenantBudgets.set(tenantId, { maxUsd: 10 * CALL_USD, per: '1 day' });
      // One task after the other: the scripted answers of one agent are taken in order.
      router.enqueue(prompt(agentName), scripted.toolCalls([call('lookup', { key: 'plan' })], usage), scripted.text('on the team plan', usage));
      const first = await zap.executeTask({ agentName, task: 'Which plan are we on?', taskId: `${taskId}-first`, tenantId });
      await waitFor(first.id, answered);
      router.enqueue(prompt(agentName), scripted.text('ten seats left', usage));
      const second = await zap.executeTask({ agentName, task: 'How many seats are left?', taskId: `${taskId}-second`, tenantId });
      await waitFor(second.id, answered);
      // Each call settles before its model activity returns: nothing is held once both answered.
      const budget = await zap.tenantBudgets.get(tenantId);
      if (!budget || budget.reservedUsd !== 0 || Math.abs(budget.spentUsd - 3 * CALL_USD) > 1e-12) {
        throw new Error(`expected three calls spent and nothing held, got ${JSON.stringify(budget)}`);
      }
      if (!(await zap.tenantBudgets.remove(tenantId))) throw new Error(`the budget of ${tenantId} was not removed`);
      return [tenantBudgetWorkflowId(tenantId), first.id, second.id];
    },
  },
];

/** Hooks that note their runs in {@link hookCalls}. */
function recordingHooks(...names: Array<'onStart' | 'onComplete' | 'onApprovalEscalated'>) {
  return Object.fromEntries(names.map((name) => [name, ({ taskId }: { taskId: string }) => void hookCalls.add(`${taskId}/${name}`)]));
}

const SCENARIO_AGENTS: Record<string, Partial<ConstructorParameters<typeof ZapAgent>[0]>> = {
  'failed-max-iterations': { maxIterations: 2 },
  'tool-outcome-unknown': { timeouts: { tool: '1 second' } },
  'sub-agent-delegation': { subAgents: ['Helper'] },
  'named-events': {
    events: { 'payment-received': { description: 'A payment arrived', schema: z.object({ amount: z.number() }) } },
  },
  'structured-output-repaired': { output: z.object({ approved: z.boolean(), reason: z.string() }) },
  'stuck-retry': { stuck: { policy: 'retry' } },
  'lifecycle-hooks': { hooks: recordingHooks('onStart', 'onComplete') },
  'approval-escalated-rejected': { hooks: recordingHooks('onApprovalEscalated') },
  'budget-max-usd-stopped': { maxTokens: BUDGET_MAX_TOKENS },
  'budget-ask-raised': { maxTokens: BUDGET_MAX_TOKENS },
  'budget-sub-agent': { maxTokens: BUDGET_MAX_TOKENS, subAgents: ['BudgetHelper'] },
  'budget-max-tool-calls': { maxTokens: BUDGET_MAX_TOKENS },
  'nudge-fired': { nudge: { after: '1 second', message: 'The customer has not answered. Send a short reminder.' } },
  'tenant-budget-workflow': { maxTokens: BUDGET_MAX_TOKENS },
};

// ---------------------------------------------------------------------------------------------

interface ManifestEntry {
  file: string;
  scenario: string;
  workflowId: string;
  runId: string;
  /** 1 for a task's first run, 2 after its first continue-as-new, … */
  run: number;
  events: number;
  closedAs: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { version: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } },
  });
  const packageJson = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string };
  const version = values.version ?? packageJson.version;
  const outDirectory = resolve(values.out ?? join(REPOSITORY_ROOT, 'test/replay/histories', version));
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const selected = scenarios.filter((scenario) => !only || only.has(scenario.name));
  if (only && selected.length !== only.size) {
    throw new Error(`Unknown scenario in --only; known: ${scenarios.map((scenario) => scenario.name).join(', ')}`);
  }

  // Checked first: a tree that may not be recorded is refused before anything runs.
  const commit = currentCommit();
  const server = process.env.TEMPORAL_ADDRESS ? undefined : await TemporalDevServer.start({ uiPort: false });
  const address = process.env.TEMPORAL_ADDRESS ?? (server as TemporalDevServer).address;
  const router = new AgentRouter();
  const llm = await ScriptedLlmServer.start({ handler: router.handler });
  const agents = selected.filter((scenario) => !scenario.continuing).map((scenario) => agent(scenario.name, SCENARIO_AGENTS[scenario.name]));
  const continuingAgents = selected.filter((scenario) => scenario.continuing).map((scenario) => agent(scenario.name));
  const common = {
    temporal: { address },
    llm: { baseURL: llm.baseURL, apiKey: 'recorder' },
    idleTimeout: RECORDING_IDLE_TIMEOUT,
    prices: MODEL_PRICES,
  } as const;
  const zap = new Zap({
    ...common,
    agents: [
      ...agents,
      agent('Helper', { discoveryPrompt: 'Researches things' }),
      agent('BudgetHelper', { discoveryPrompt: 'Researches things on a budget', maxTokens: BUDGET_MAX_TOKENS }),
    ],
    pipelines: selected.flatMap((scenario) => scenario.pipelines ?? []),
    taskQueue: 'replay-recorder',
  });
  const zapContinuing = new Zap({
    ...common,
    agents: continuingAgents.length > 0 ? continuingAgents : [agent('Unused')],
    taskQueue: 'replay-recorder-continuing',
    continueAsNewAfterEvents: FORCED_CONTINUE_AS_NEW_EVENTS,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const workers: Array<Promise<void>> = [];
  try {
    await zap.start();
    await zapContinuing.start();
    for (const instance of [zap, zapContinuing]) {
      const worker = await instance.createWorker();
      workers.push(worker.run());
    }
    const context: ScenarioContext = {
      zap,
      zapContinuing,
      router,
      client,
      waitFor: (taskId, predicate, which = zap) => waitForTask(which, taskId, predicate),
      waitUntil,
    };
    rmSync(outDirectory, { recursive: true, force: true });
    mkdirSync(outDirectory, { recursive: true });
    const entries: ManifestEntry[] = [];
    const recorded: Array<{ scenario: Scenario; workflowIds: string[] }> = [];
    for (const scenario of selected) {
      const startedAt = Date.now();
      const workflowIds = await scenario.run(context, scenario.name);
      recorded.push({ scenario, workflowIds });
      console.error(`[record] ${scenario.name}: driven in ${Date.now() - startedAt} ms`);
    }
    // Every task ends on its own (idle timeout, failure or cancellation); record whole histories.
    for (const { scenario, workflowIds } of recorded) {
      for (const workflowId of workflowIds) {
        const runs = await closedRuns(client, workflowId);
        runs.forEach((run, index) => {
          // A workflow outside the scenario's ids (a tenant's budget) is named by its whole id.
          const prefix = `replay-${scenario.name}`;
          const part = workflowId.startsWith(prefix) ? workflowId.slice(prefix.length + 1) || 'root' : workflowId;
          const suffix = workflowIds.length > 1 ? `.${part}` : '';
          const file = `${scenario.name}${suffix.replace(/[^A-Za-z0-9.-]/g, '-')}.run${index + 1}.json`;
          writeFileSync(join(outDirectory, file), `${run.json}\n`);
          entries.push({ file, scenario: scenario.name, workflowId, runId: run.runId, run: index + 1, events: run.events, closedAs: run.closedAs });
        });
      }
    }
    const manifest = {
      version,
      commit,
      recordedAt: new Date().toISOString(),
      temporalServer: server ? 'temporal server start-dev (embedded)' : address,
      scenarios: selected.map(({ name, description }) => ({ name, description })),
      histories: entries,
    };
    writeFileSync(join(outDirectory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.error(`[record] ${entries.length} histories of ${selected.length} scenarios written to ${outDirectory}`);
  } finally {
    await Promise.allSettled([zap.stop(), zapContinuing.stop()]);
    await Promise.allSettled(workers);
    await connection.close();
    await llm.close();
    await server?.stop();
  }
}

/** Waits for the task's last run to close, then returns every run of it, oldest first. */
async function closedRuns(client: Client, workflowId: string): Promise<Array<{ runId: string; json: string; events: number; closedAs: string }>> {
  let handle: WorkflowHandle = client.workflow.getHandle(workflowId);
  await waitUntil(async () => (await handle.describe()).status.name !== 'RUNNING', `${workflowId} to close`);
  const runs: Array<{ runId: string; json: string; events: number; closedAs: string }> = [];
  for (let runId: string | undefined = (await handle.describe()).runId; runId; ) {
    handle = client.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    runs.unshift({ runId, json: historyToJSON(history), events: events.length, closedAs: description.status.name });
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous ? previous : undefined;
  }
  return runs;
}

async function waitForTask(zap: Zap, taskId: string, predicate: (task: Task) => boolean): Promise<Task> {
  let last: Task | undefined;
  await waitUntil(async () => {
    last = await zap.getTask(taskId);
    return predicate(last);
  }, `task ${taskId} (last status ${String(last?.status)})`);
  return last as Task;
}

async function waitUntil(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/**
 * The commit the histories come from. Histories must come from committed code, or nobody can
 * rebuild the workers that made them: a tree whose workflow code has uncommitted changes is
 * refused, unless `ZAP_RECORD_ALLOW_DIRTY=1` (to try scenarios out into a scratch `--out`; never
 * commit such a set). The manifest then names the commit with a `-dirty` suffix.
 */
function currentCommit(): string {
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPOSITORY_ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/workflows', 'src/core'], { cwd: REPOSITORY_ROOT, encoding: 'utf8' }).trim();
  if (dirty === '') return commit;
  if (process.env[ALLOW_DIRTY_VARIABLE] !== '1') {
    throw new Error(`workflow code has uncommitted changes; record histories from a committed tree (or ${ALLOW_DIRTY_VARIABLE}=1 for a scratch set):\n${dirty}`);
  }
  console.error(
    [
      '',
      '!'.repeat(100),
      `!! ${ALLOW_DIRTY_VARIABLE}=1: recording from UNCOMMITTED workflow code. This set is for trying scenarios out only:`,
      '!! write it to a scratch --out and delete it; NEVER commit it (no commit can rebuild the workers that made it).',
      '!'.repeat(100),
      '',
    ].join('\n'),
  );
  return `${commit}-dirty`;
}

main().catch((error: unknown) => {
  console.error('[record] failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});

