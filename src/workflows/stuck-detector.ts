import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import type { StuckSettings } from '../core/agent-settings';
import { WAIT_FOR_EVENT_TOOL_NAME } from '../core/built-in-tools';
import type { DurableEventInput, StuckEvent } from '../core/events';
import type { ToolCall, ToolMessage } from '../core/messages';
import { stableStringify } from '../core/stable-stringify';
import type { ApprovalDecision, StuckCallStreak, StuckDetectionState } from '../core/task-state';
import { TaskStatus } from '../core/task-status';
import type { AgentTask } from './agent-task';
import { Patch } from './patches';

/**
 * Stuck detection, per request. After each iteration with tool calls (one model call and the
 * calls it asked for) the detector updates two streaks:
 *
 * - **repeated call**: a call, identified by its tool name and its canonical JSON arguments (keys
 *   sorted, so `{a,b}` and `{b,a}` are the same call), that was also made in each of the
 *   previous iterations. `threshold` consecutive iterations making it → `repeated_call`.
 * - **no progress**: the iteration's tool results, as a set of (tool name, result text) pairs
 *   regardless of order, are exactly those of the previous iteration. `threshold` consecutive
 *   iterations with the same results (different arguments, same "nothing found") →
 *   `no_progress`.
 *
 * `wait_for_event` calls of an agent with named events are left out (waiting again after a
 * timeout is what the model is told to do); an iteration with only such calls changes nothing.
 * Both streaks restart with each request, and after the task goes on past a detection (a nudge,
 * an approved escalation). Reaching `maxIterations` is reported too ({@link StuckDetection.onMaxIterations}).
 */
export interface StuckFinding {
  reason: 'repeated_call' | 'no_progress';
  /** The repeated tool; for `no_progress` the first counted tool of the iteration. */
  toolName: string;
  /** That call's arguments (parsed; `{}` when they were not a JSON object). */
  toolArgs: Record<string, unknown>;
  /** Consecutive iterations of the repetition, this one included. */
  repeats: number;
}

/** Options of {@link observeIteration}. */
export interface ObserveIterationOptions {
  /** Consecutive iterations that count as stuck (at least 2). */
  threshold: number;
  /** Tools whose calls are not counted. @default none */
  ignoredTools?: ReadonlySet<string>;
}

/**
 * Updates `state` with one iteration's tool calls and their results (in call order) and returns
 * what it shows, if the agent is stuck. Pure and deterministic; `state` is modified in place.
 */
export function observeIteration(
  state: StuckDetectionState,
  calls: readonly ToolCall[],
  results: readonly ToolMessage[],
  options: ObserveIterationOptions,
): StuckFinding | undefined {
  const counted = calls
    .map((call, index) => ({ call, result: results[index]?.content ?? '' }))
    .filter(({ call }) => !options.ignoredTools?.has(call.function.name));
  if (counted.length === 0) return undefined;

  const previous = new Map(state.calls.map((entry) => [entry.fingerprint, entry.streak]));
  const streaks: StuckCallStreak[] = [];
  const argumentsByFingerprint = new Map<string, Record<string, unknown>>();
  for (const { call } of counted) {
    const parsed = parseArguments(call.function.arguments);
    const fingerprint = fingerprintOf(`${call.function.name}\u0000${parsed.canonical}`);
    if (argumentsByFingerprint.has(fingerprint)) continue;
    argumentsByFingerprint.set(fingerprint, parsed.value);
    streaks.push({ fingerprint, toolName: call.function.name, streak: (previous.get(fingerprint) ?? 0) + 1 });
  }
  state.calls = streaks;

  const outcome = JSON.stringify(counted.map(({ call, result }) => [call.function.name, result]).sort(compareJsonPairs));
  const resultsFingerprint = fingerprintOf(outcome);
  const resultsStreak = state.results?.fingerprint === resultsFingerprint ? state.results.streak + 1 : 1;
  state.results = { fingerprint: resultsFingerprint, streak: resultsStreak };

  const repeated = streaks.reduce<StuckCallStreak | undefined>((best, entry) => (!best || entry.streak > best.streak ? entry : best), undefined);
  if (repeated && repeated.streak >= options.threshold) {
    return {
      reason: 'repeated_call',
      toolName: repeated.toolName,
      toolArgs: argumentsByFingerprint.get(repeated.fingerprint) ?? {},
      repeats: repeated.streak,
    };
  }
  if (resultsStreak >= options.threshold) {
    const first = counted[0]!.call;
    return { reason: 'no_progress', toolName: first.function.name, toolArgs: parseArguments(first.function.arguments).value, repeats: resultsStreak };
  }
  return undefined;
}

/** A fresh detection state: nothing seen, no nudge given. */
export function emptyStuckState(): StuckDetectionState {
  return { calls: [], nudged: false };
}

/**
 * A 53-bit hash of a string (cyrb53) with its length, as a short string: what the detector keeps
 * of a call or a result instead of its text. Deterministic; not cryptographic.
 */
export function fingerprintOf(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return `${hash.toString(36)}.${text.length.toString(36)}`;
}

/**
 * What a task does when its agent is stuck, by the agent's `stuck.policy`; a `stuck` event in
 * every case. Acting on a detection is a change of the commands a workflow issues (a failure, a
 * timer), so it is behind `Patch.StuckDetection`; tasks started without stuck settings
 * (all tasks of 0.1.0) never get here.
 */
export class StuckDetection {
  constructor(private readonly task: AgentTask) {}

  private get settings(): StuckSettings | undefined {
    return this.task.input.agent.stuck;
  }

  private get state(): StuckDetectionState {
    return (this.task.state.stuck ??= emptyStuckState());
  }

  /** A new request starts: streaks and the nudge start over. */
  startRequest(): void {
    if (!this.settings) return;
    this.task.state.stuck = emptyStuckState();
  }

  /** Looks at the iteration that just ran its tool calls; nudges, escalates or stops the task if it is stuck. */
  async afterToolCalls(calls: readonly ToolCall[], results: readonly ToolMessage[]): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    const finding = observeIteration(this.state, calls, results, { threshold: settings.threshold, ignoredTools: this.ignoredTools() });
    if (!finding || !this.task.patches.has(Patch.StuckDetection)) return;
    const { state } = this.task;
    if (settings.policy === 'retry' && !this.state.nudged) {
      this.emitStuck(finding, settings, 'nudge');
      state.messages.push({ role: 'user', content: nudgeMessage(finding) });
      this.task.state.stuck = { ...emptyStuckState(), nudged: true };
      this.task.markUpdated();
      return;
    }
    if (settings.policy === 'escalate') {
      this.emitStuck(finding, settings, 'escalate');
      await this.escalate(finding, settings);
      return;
    }
    this.emitStuck(finding, settings, 'stop');
    throw this.stuckFailure(finding);
  }

  /** The request reached `maxIterations`: reported as stuck before the task fails with its own failure type. */
  onMaxIterations(): void {
    const settings = this.settings;
    if (!settings || !this.task.patches.has(Patch.StuckDetection)) return;
    const { iteration } = this.task.state;
    this.task.emit({ type: 'stuck', reason: 'max_iterations', repeats: iteration, policy: settings.policy, action: 'stop', iteration });
  }

  /**
   * Asks a human through the approval gate: approved → the task goes on (an approval `reason` is
   * given to the model as guidance); rejected or timed out → the task stops.
   */
  private async escalate(finding: StuckFinding, settings: StuckSettings): Promise<void> {
    const { task } = this;
    const { input } = task;
    task.awaitingApproval += 1;
    task.setStatus(TaskStatus.AwaitingApproval);
    let outcome: Awaited<ReturnType<AgentTask['approvals']['waitForDecision']>>;
    try {
      outcome = await task.approvals.waitForDecision(
        {
          kind: 'stuck',
          stuck: { reason: finding.reason, repeats: finding.repeats },
          toolName: finding.toolName,
          toolArgs: finding.toolArgs,
          agentName: input.agent.agentName,
          taskId: input.taskId,
        },
        settings.escalationTimeoutMs,
        (approval) => task.emit({ type: 'approval_requested', approval }),
      );
    } finally {
      task.awaitingApproval -= 1;
    }
    const { request, decision } = outcome;
    task.emit({
      type: 'approval_resolved',
      approvalId: request.id,
      decision: decision.decision,
      ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
      ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
    });
    if (decision.decision !== 'approved') throw this.stuckFailure(finding, decision);
    task.state.stuck = { ...emptyStuckState(), nudged: this.state.nudged };
    const guidance = decision.reason?.trim();
    if (guidance) task.state.messages.push({ role: 'user', content: guidanceMessage(guidance, decision.decidedBy) });
    task.setStatus(TaskStatus.Thinking);
  }

  private emitStuck(finding: StuckFinding, settings: StuckSettings, action: StuckEvent['action']): void {
    const event: DurableEventInput = {
      type: 'stuck',
      reason: finding.reason,
      toolName: finding.toolName,
      repeats: finding.repeats,
      policy: settings.policy,
      action,
      iteration: this.task.state.iteration,
    };
    this.task.emit(event);
  }

  private stuckFailure(finding: StuckFinding, decision?: ApprovalDecision): ApplicationFailure {
    const { input } = this.task;
    const escalation =
      decision && decision.decision !== 'approved'
        ? {
            decision: decision.decision,
            ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
            ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
          }
        : undefined;
    const how = escalation
      ? escalation.decision === 'timed_out'
        ? ` Nobody decided on the escalation in time (${escalation.reason ?? 'timed out'}).`
        : ` The escalation was rejected${escalation.decidedBy ? ` by ${escalation.decidedBy}` : ''}${escalation.reason ? `: ${escalation.reason}` : '.'}`
      : '';
    return ApplicationFailure.create({
      type: FailureType.AgentStuck,
      message: `Agent '${input.agent.agentName}' is stuck: ${describeFinding(finding)}.${how}`,
      nonRetryable: true,
      details: [
        {
          reason: finding.reason,
          toolName: finding.toolName,
          repeats: finding.repeats,
          taskId: input.taskId,
          agentName: input.agent.agentName,
          ...(escalation ? { escalation } : {}),
        },
      ],
    });
  }

  /** The built-in `wait_for_event` of an agent with named events: waiting again is not repeating oneself. */
  private ignoredTools(): ReadonlySet<string> {
    return Object.keys(this.task.input.agent.events ?? {}).length > 0 ? new Set([WAIT_FOR_EVENT_TOOL_NAME]) : new Set();
  }
}

function describeFinding(finding: StuckFinding): string {
  return finding.reason === 'repeated_call'
    ? `it called ${finding.toolName} with the same arguments ${finding.repeats} times in a row`
    : `its last ${finding.repeats} iterations of tool calls (${finding.toolName}) returned the same results`;
}

/** What the model is told under the `retry` policy. */
function nudgeMessage(finding: StuckFinding): string {
  return (
    `[zap-agents: you are repeating yourself: ${describeFinding(finding)}. Doing it again will not help. ` +
    'Try a different approach (other tools or other arguments), or answer with what you have.]'
  );
}

/** What the model is told when a human approves an escalation with a reason. */
function guidanceMessage(guidance: string, decidedBy: string | undefined): string {
  return `[zap-agents: you were repeating yourself; a human reviewer${decidedBy ? ` (${decidedBy})` : ''} lets you go on and says: ${guidance}]`;
}

function parseArguments(text: string): { canonical: string; value: Record<string, unknown> } {
  if (text.trim() === '') return { canonical: '{}', value: {} };
  try {
    const value: unknown = JSON.parse(text);
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    return { canonical: stableStringify(value), value: isObject ? (value as Record<string, unknown>) : {} };
  } catch {
    return { canonical: text, value: {} };
  }
}

function compareJsonPairs(left: string[], right: string[]): number {
  const a = JSON.stringify(left);
  const b = JSON.stringify(right);
  return a < b ? -1 : a > b ? 1 : 0;
}
