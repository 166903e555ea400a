import type { AgentTaskSettings, LifecycleHookName } from './agent-settings';
import type { BudgetSpec } from './budget';
import type { JsonValue } from './json';
import type { MessageContent, TokenUsage } from './messages';
import type { OutputIssue } from './structured-output';

/**
 * The durable state of a pipeline run, the pure part shared by the client, the pipeline workflow
 * and the pipeline step activities: what starts a run, what its status query reports, and what
 * the step activities take and return. A run is one workflow (`pipelineWorkflow`); each agent step
 * is a child agent task and each gate a pending approval of the run.
 *
 * Rules for changing this module (as for `task-state.ts`): a new field of the input is optional
 * and gets its default in {@link upgradePipelineInput}; a change of meaning bumps
 * {@link PIPELINE_STATE_SCHEMA_VERSION}. Pure and sandbox-safe.
 * @module
 */

/** Version of the pipeline workflow input written by this code (0.2.0, the first with pipelines: 1). */
export const PIPELINE_STATE_SCHEMA_VERSION = 1;

/** Prefix of the agent name a run reports (`pipeline:<name>`): its memo, `ZapAgent` search attribute and status. */
export const PIPELINE_AGENT_PREFIX = 'pipeline:';

/**
 * Where a run is: `running` (a step runs), `pending` (a gate waits for a decision), `complete`
 * (every step done), `error` (a step failed, or a gate was rejected or timed out), `cancelled`.
 */
export type PipelineRunStatus = 'running' | 'pending' | 'complete' | 'error' | 'cancelled';

/**
 * Where a step is. Agent steps end `complete`, `max-iterations`, `stuck` or `error` (an output
 * that fails its schema after repair is an `error`); gates end `complete` (approved), `rejected`
 * or `timed-out`. `not-started` before the run reaches the step, `running` (agent step) or
 * `pending` (gate) while it is current.
 */
export type PipelineStepStatus =
  | 'not-started'
  | 'running'
  | 'pending'
  | 'complete'
  | 'max-iterations'
  | 'stuck'
  | 'error'
  | 'rejected'
  | 'timed-out';

/** A step as a run knows it: fixed by the client when the run starts. */
export interface PipelineStepPlan {
  name: string;
  kind: 'agent' | 'gate';
  /** Agent steps: the agent that runs the step. */
  agentName?: string;
  /** Agent steps: true when the step has an output schema (its output is the parsed JSON; else the answer text). */
  structured?: boolean;
  /** Gates: how long the gate waits for a decision, in milliseconds. */
  timeoutMs?: number;
}

/** The gate part of a step's result. */
export interface PipelineGateRecord {
  approvalId: string;
  /** The gate's message, computed when the run reached it. */
  message: string;
  /** ISO-8601; when the gate counts as timed out. */
  timeoutAt: string;
  decision?: 'approved' | 'rejected' | 'timed_out';
  decidedBy?: string;
  reason?: string;
}

/** One step of a run, as the run reports it. */
export interface PipelineStepResult {
  name: string;
  kind: 'agent' | 'gate';
  status: PipelineStepStatus;
  /** Agent steps: the agent, and the id of the child task that ran the step. */
  agentName?: string;
  taskId?: string;
  /** Agent steps: the answer as the model gave it (the raw JSON text of a structured step). */
  response?: string;
  /** Agent steps: model calls the step took. */
  iterations?: number;
  /** The step's output: the parsed JSON of a structured step, the answer text otherwise. */
  output?: JsonValue;
  /** Why the step failed. */
  error?: string;
  /** An output that failed its schema: what is wrong with it. */
  issues?: OutputIssue[];
  /** Agent steps: tokens the step's task used. */
  usage?: TokenUsage;
  /** Gates: the approval and its decision. */
  gate?: PipelineGateRecord;
  /** True when the output was carried from an earlier run by `retryPipeline` (the step did not run again). */
  reused?: boolean;
  /** ISO-8601. */
  startedAt?: string;
  /** ISO-8601. */
  finishedAt?: string;
}

/** The `pipeline` field of a run's status: where it is, each step, and what it waits for. */
export interface PipelineSnapshot {
  /** The pipeline's name. */
  name: string;
  status: PipelineRunStatus;
  /** The step that runs or waits now. */
  currentStep?: string;
  /** Steps finished successfully (reused ones included). */
  stepsCompleted: number;
  /** Steps of the pipeline. */
  stepCount: number;
  /** Every step, in order (`not-started` before the run reaches it). */
  steps: PipelineStepResult[];
  /** The step that ended the run with an error. */
  failedStep?: string;
  /** The gate that waits for a decision. */
  pendingStep?: string;
  /** The pending gate's message. */
  approvalMessage?: string;
  /** The validated pipeline input. */
  input: JsonValue;
  /** The output of each finished step, by step name. */
  outputs: Record<string, JsonValue>;
  /** Why the run failed. */
  error?: string;
  /** Runs of this id so far: 1, then one more per `retryPipeline`. */
  attempt: number;
}

/** What starts a pipeline workflow. Plain JSON. */
export interface PipelineWorkflowInput {
  /** Shape of this input (see {@link PIPELINE_STATE_SCHEMA_VERSION}). */
  schemaVersion?: number;
  runId: string;
  pipelineName: string;
  steps: PipelineStepPlan[];
  /** The pipeline input, validated (parsed) by the client with the pipeline's input schema. */
  input: JsonValue;
  /** Retries: the step the run starts at; the steps before it are in `reusedSteps`. @default the first step */
  fromStep?: string;
  /** Retries: the results of the steps before `fromStep`, outputs included; they do not run again. @default [] */
  reusedSteps?: PipelineStepResult[];
  /** Runs of this id so far, this one included. @default 1 */
  attempt?: number;
  /** Retries: `seq` of the failed run's newest event, so numbering goes on. @default 0 */
  lastEventSeq?: number;
  /** Durable events the run keeps for streams. */
  eventLogLimit: number;
  /** Passed to each step's task (its inline message budget). @default undefined */
  inlineMessageBytes?: number;
  /** The tenant the run (and each step's task) belongs to. @default undefined */
  tenantId?: string;
  /** The user the run (and each step's task) belongs to. @default undefined */
  userId?: string;
  /** True when the namespace has the zap-agents search attributes (the run keeps `ZapStatus` up to date). @default false */
  searchAttributes?: boolean;
  /** ISO-8601; when the run was first started (a retry keeps it). */
  createdAt: string;
  /**
   * The lifecycle hooks the pipeline defines (`pipeline(name, { hooks })`), by name: the run
   * schedules a `runHook` activity for each. @default [] (no hooks)
   */
  hooks?: LifecycleHookName[];
  /**
   * The run's budget: each agent step's task gets what is left as its own budget, and the run
   * adds what the step spent when it ends. Absent: no budget (0.2.0; a retry starts it afresh).
   */
  budget?: BudgetSpec;
}

/** What a pipeline workflow returns when every step is done (TaskStatusSnapshot-compatible fields first). */
export interface PipelineWorkflowResult {
  taskId: string;
  status: 'completed';
  /** The last agent step's answer. */
  result?: string;
  /** The outputs by step name. */
  output: Record<string, JsonValue>;
  usage: TokenUsage;
  pipeline: PipelineSnapshot;
}

/** Input of the `buildPipelineStep` activity: runs a step's user code on the worker. */
export interface BuildPipelineStepInput {
  pipelineName: string;
  stepName: string;
  runId: string;
  /** The validated pipeline input. */
  input: JsonValue;
  /** The outputs of the steps before this one, by step name. */
  prev: Record<string, JsonValue>;
  tenantId?: string;
  userId?: string;
}

/** What the `buildPipelineStep` activity computed for a step. */
export type PipelineStepBuild =
  | {
      kind: 'agent';
      /** The step's request (its `input` function, or the default message). */
      message: MessageContent;
      /** The step task's context, when the `input` function gave one. */
      context?: JsonValue;
      /** The settings of the step's task: its agent's, with the step's output schema. */
      agent: AgentTaskSettings;
    }
  | {
      kind: 'gate';
      /** The gate's message (its string, or what its function returned). */
      message: string;
    };

/** Input of the `checkPipelineOutput` activity: a step's output, checked with the step's real zod schema. */
export interface CheckPipelineOutputInput {
  pipelineName: string;
  stepName: string;
  output: JsonValue;
}

/** A pipeline input after {@link upgradePipelineInput}: every defaulted field present. */
export type UpgradedPipelineInput = PipelineWorkflowInput &
  Required<Pick<PipelineWorkflowInput, 'schemaVersion' | 'reusedSteps' | 'attempt' | 'lastEventSeq' | 'searchAttributes' | 'hooks'>>;

/** The agent name a run of `pipelineName` reports (`pipeline:<name>`). */
export function pipelineAgentName(pipelineName: string): string {
  return `${PIPELINE_AGENT_PREFIX}${pipelineName}`;
}

/**
 * Brings a pipeline workflow input to the current shape, with a default for every optional field.
 * An input written by a newer version throws (the workflow task is retried until an upgraded
 * worker takes it). Pure; the result is a new object.
 */
export function upgradePipelineInput(raw: PipelineWorkflowInput): UpgradedPipelineInput {
  const version = raw.schemaVersion ?? PIPELINE_STATE_SCHEMA_VERSION;
  if (version > PIPELINE_STATE_SCHEMA_VERSION) {
    throw new Error(
      `Pipeline run ${raw.runId} was started by a newer zap-agents (pipeline state v${version}; this worker knows up to ` +
        `v${PIPELINE_STATE_SCHEMA_VERSION}). It waits for an upgraded worker.`,
    );
  }
  return {
    ...raw,
    schemaVersion: PIPELINE_STATE_SCHEMA_VERSION,
    reusedSteps: raw.reusedSteps ?? [],
    attempt: raw.attempt ?? 1,
    lastEventSeq: raw.lastEventSeq ?? 0,
    searchAttributes: raw.searchAttributes ?? false,
    hooks: raw.hooks ?? [],
  };
}

