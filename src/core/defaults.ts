import type { RetryPolicy } from '@temporalio/common';

/** Task queue used when none is configured. */
export const DEFAULT_TASK_QUEUE = 'zap-agents';
/** Temporal address used when neither options nor `TEMPORAL_ADDRESS` give one. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
/** Temporal namespace used when neither options nor `TEMPORAL_NAMESPACE` give one. */
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
/**
 * Whether a Zap uses its search attributes: `auto` uses them when the namespace has them all
 * registered (and warns once otherwise), `require` refuses to start without them, `off` never.
 */
export const DEFAULT_SEARCH_ATTRIBUTES_MODE = 'auto';
/**
 * Shortest workflow time between two `ZapStatus` upserts that only flip between `thinking` and
 * `awaiting_tool` (every other status change is published at once). Workflow code reads it, so
 * changing it changes the commands tasks issue: it needs a new patch.
 */
export const DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS = 2000;
/** Tasks per page of `zap.listTasks` unless `pageSize` says otherwise. */
export const DEFAULT_LIST_TASKS_PAGE_SIZE = 100;
/** Largest `pageSize` of `zap.listTasks` (Temporal's own visibility page limit). */
export const MAX_LIST_TASKS_PAGE_SIZE = 1000;
/** Longest `tenantId` or `userId`, in characters. */
export const MAX_TASK_OWNER_ID_LENGTH = 200;
/** Model sent to the endpoint when an agent names none. */
export const DEFAULT_MODEL = 'gpt-4o';
/** Model calls allowed per request before the task fails. */
export const DEFAULT_MAX_ITERATIONS = 50;
/** Upper bound of `maxIterations`. */
export const MAX_ITERATIONS_LIMIT = 500;
/** Sampling temperature when an agent sets none. */
export const DEFAULT_TEMPERATURE = 0.7;
/** How long an answered task stays open for follow-ups. */
export const DEFAULT_IDLE_TIMEOUT = '24 hours';
/** Start-to-close timeout of one model call. */
export const DEFAULT_LLM_TIMEOUT = '2 minutes';
/** Start-to-close timeout of one tool call. */
export const DEFAULT_TOOL_TIMEOUT = '1 minute';
/** How long a read waits for a worker's answer before checking that one polls at all. */
export const DEFAULT_NO_WORKER_TIMEOUT = '3 seconds';
/** How long one `message_agent` call waits for the sub-agent's answer. */
export const DEFAULT_SUB_AGENT_TIMEOUT = '24 hours';
/**
 * Heartbeat timeout of model and MCP tool calls: how soon a call whose worker died is retried
 * elsewhere. Calls beat every quarter of it and zap's worker records at most one beat per half of
 * it (`DEFAULT_HEARTBEAT_THROTTLE_INTERVAL`), so a healthy call has 2 s of slack against a late
 * beat (a stalled event loop, a slow server). 0.1.0 and 0.2.0 used 20 seconds.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT = '4 seconds';
/**
 * Heartbeat timeout of local tool calls (`ZapAgent({ timeouts: { toolHeartbeat } })`; a tool may
 * set its own `heartbeat`). A tool that blocks the event loop for longer blocks its heartbeats too.
 */
export const DEFAULT_TOOL_HEARTBEAT_TIMEOUT = '4 seconds';
/**
 * Longest interval at which zap's worker sends an activity's heartbeats to the server (Temporal's
 * `maxHeartbeatThrottleInterval`), when the worker options set none: half the shortest heartbeat
 * timeout of the worker's agents, at most this. Temporal's own default (60 s, and 80 % of the
 * heartbeat timeout) would leave a healthy call only a fifth of the timeout as slack.
 */
export const DEFAULT_HEARTBEAT_THROTTLE_INTERVAL = '2 seconds';
/**
 * How often zap's worker checks its event-loop delay; it warns when the p99 delay of the window
 * exceeds half the shortest heartbeat timeout (calls would start to miss heartbeats).
 */
export const EVENT_LOOP_DELAY_CHECK_INTERVAL_MS = 10_000;
/**
 * Largest total size (bytes of JSON) of the newest messages passed inline to a model call. Below
 * it the worker needs no query to read the conversation; above it the messages are read by query,
 * so each large message is stored in history once.
 */
export const DEFAULT_INLINE_MESSAGE_BYTES = 4 * 1024;
/**
 * Completion tokens one model call may produce when an agent sets no `maxTokens`. 4096 tokens is
 * about 16 KB of text: a long answer or a large batch of tool calls, some sixty times under what a
 * model call may return (`MAX_ACTIVITY_RESULT_BYTES`), and an output limit every current model
 * accepts. It also bounds what one runaway generation costs.
 */
export const DEFAULT_MAX_TOKENS = 4096;
/**
 * Bytes (UTF-8) of one tool result the model receives when neither the tool nor its agent sets a
 * bound; a longer result is truncated with a marker telling the model to ask for less. 64 KiB is
 * about 16k tokens: a useful page of data that still leaves most of a 128k-token context to the
 * rest of the task (a 32k-token model can take one such result), and eight times under the 512 KB
 * at which Temporal starts warning about a payload, so parallel calls and long tasks keep their
 * history small.
 */
export const DEFAULT_MAX_TOOL_RESULT_BYTES = 64 * 1024;
/** Smallest tool result bound: room for the truncation marker and some of the result. */
export const MIN_TOOL_RESULT_BYTES = 1024;
/**
 * Largest result (bytes of JSON) a zap-agents activity returns: a tool outcome, a model answer;
 * also the largest tool result bound. Temporal refuses payloads over 2 MB (the worker turns such a
 * result into a retryable failure after the work is done, so the work would run again) and gRPC
 * messages over 4 MB; half the payload limit leaves room for payload metadata and a codec's
 * envelope.
 */
export const MAX_ACTIVITY_RESULT_BYTES = 1024 * 1024;
/**
 * Bytes of an error message an activity fails with; a longer one is truncated. A failure carries
 * its message twice (message and stack trace), and one too large for Temporal never reaches the
 * server: the call would time out and count as having an unknown outcome.
 */
export const MAX_FAILURE_MESSAGE_BYTES = 16 * 1024;
/**
 * Repair turns an agent with an output schema gets per request: after an answer that is not JSON
 * matching the schema, the model is shown the validation error and asked again, this many times
 * at most; then the task fails with `OutputValidationError`. Each repair is a model call and
 * counts as an iteration.
 */
export const DEFAULT_MAX_OUTPUT_REPAIR_TURNS = 2;
/** Upper bound of `maxOutputRepairTurns`. */
export const MAX_OUTPUT_REPAIR_TURNS_LIMIT = 10;
/** `json_schema.name` sent with `response_format` when the schema has no usable `title`. */
export const DEFAULT_OUTPUT_SCHEMA_NAME = 'output';
/** Validation issues of one answer kept (in the activity result, the repair message and the error). */
export const MAX_OUTPUT_ISSUES = 20;
/** Characters of one validation issue's message kept; a longer one is cut. */
export const MAX_OUTPUT_ISSUE_MESSAGE_LENGTH = 500;
/**
 * Characters of the answer an `OutputValidationError` carries as `rawAnswer`; a longer answer is
 * cut (the whole answer stays the task's last assistant message). Failure details cross Temporal
 * as a payload, so they stay far below its limits.
 */
export const MAX_OUTPUT_RAW_ANSWER_LENGTH = 64 * 1024;
/** Durable events kept in workflow state for `streamTask` consumers that reconnect with `since`. */
export const DEFAULT_EVENT_LOG_LIMIT = 1000;
/** How long one `wait_for_event` call waits when the model gives no `timeoutSeconds`: 1 hour, in milliseconds. */
export const DEFAULT_EVENT_WAIT_TIMEOUT_MS = 60 * 60 * 1000;
/** Longest wait of one `wait_for_event` call: 30 days, in milliseconds (the model may wait again). */
export const MAX_EVENT_WAIT_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Bytes of JSON of one named event's data. Events enter history as update arguments and wait in
 * the task's state until a `wait_for_event` call takes them, so they stay small: 64 KiB.
 */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;
/** Named events of one name kept for a later `wait_for_event` call; past it a delivery is refused. */
export const MAX_KEPT_EVENTS_PER_NAME = 100;
/**
 * Bytes of JSON of all the named events a task keeps. They are carried across continue-as-new,
 * whose input is bounded (1.8 MB with the conversation), so a task that is sent events it never
 * waits for refuses them instead of growing past what it can carry.
 */
export const MAX_KEPT_EVENTS_BYTES = 512 * 1024;

/** Prefix of every HTTP API route (`zap-agents/http`): none, so routes start at `/v1`. */
export const DEFAULT_HTTP_BASE_PATH = '';
/** Interface the HTTP API listens on unless told otherwise: this machine only. */
export const DEFAULT_HTTP_HOSTNAME = '127.0.0.1';
/** Port of `zap serve` when no `--port` is given. */
export const DEFAULT_CLI_SERVE_PORT = 8080;
/**
 * Largest HTTP request body: 1 MiB, the inline content limit of a task (larger images go by URL),
 * and far above any other operation's input.
 */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 1024 * 1024;
/** Interval of the comment heartbeat on an idle event stream, which keeps proxies from closing it. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** How long `GET /readyz` waits for Temporal's answer before reporting not ready. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;

/** Name the MCP server (`zap-agents/mcp-server`) announces in `initialize`. */
export const DEFAULT_MCP_SERVER_NAME = 'zap-agents';
/**
 * How long an MCP HTTP session lives with no request and no open stream. Longer than the longest
 * `wait_for_task` (an hour): a waiting call keeps its stream open and its session alive anyway.
 */
export const DEFAULT_MCP_SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** Open MCP HTTP sessions per handler; past it the least recently used idle session is closed. */
export const DEFAULT_MCP_MAX_SESSIONS = 1000;

/**
 * Model calls: transient provider failures (408/409/429/5xx, network) are retried without an
 * attempt limit, backing off to one try a minute, so a provider outage is waited out (bound it
 * with `timeouts.llmDeadline`); a `retry-after` from the provider overrides the backoff.
 * Non-retryable provider errors (other 4xx) fail at once regardless.
 */
export const DEFAULT_LLM_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  // No maximumAttempts: Temporal then retries until the call succeeds or its deadline passes.
};

/** Tool calls: three attempts, then the error goes to the model as the tool's result. */
export const DEFAULT_TOOL_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: 3,
};

/**
 * Stuck detection: consecutive iterations of the same tool call (same name, same canonical JSON
 * arguments), or of identical tool results, after which a task counts as stuck.
 */
export const DEFAULT_STUCK_THRESHOLD = 3;
/** Smallest `stuck.threshold`: one call is never a repetition. */
export const MIN_STUCK_THRESHOLD = 2;
/** Largest `stuck.threshold`. */
export const MAX_STUCK_THRESHOLD = 100;
/** What a stuck task does unless its agent says otherwise: fail with `AgentStuckError`. */
export const DEFAULT_STUCK_POLICY = 'stop';
/** How long a stuck task that escalates waits for a human decision before it stops. */
export const DEFAULT_STUCK_ESCALATION_TIMEOUT = '24 hours';

/**
 * Lifecycle hooks (`runHook` activity): ten attempts, 1 s → 1 min backoff; a hook that still
 * fails is logged by the workflow and the task goes on.
 */
export const DEFAULT_HOOK_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
};
/** Start-to-close timeout of one attempt of a lifecycle hook, in milliseconds. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;
/** Heartbeat timeout of a pipeline's lifecycle hooks (a pipeline has no agent settings): a dead worker's hook moves on after it. */
export const DEFAULT_PIPELINE_HOOK_HEARTBEAT_TIMEOUT_MS = 20_000;
/** How long the webhook notifier waits for the receiver's answer to one POST, in milliseconds. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** How long a pipeline gate waits for a decision unless it sets `approval.timeout` (as tool approvals). */
export const DEFAULT_PIPELINE_GATE_TIMEOUT = '7 days';
/** Steps of one pipeline at most. */
export const MAX_PIPELINE_STEPS = 100;
/** Longest pipeline or step name, in characters. */
export const MAX_PIPELINE_NAME_LENGTH = 64;
/**
 * Start-to-close timeout of one attempt of a pipeline step activity (a step's `input` or a gate's
 * `message` function, the check of an output); three attempts, then the step fails.
 */
export const DEFAULT_PIPELINE_STEP_ACTIVITY_TIMEOUT = '1 minute';

/** Largest task text or content accepted, in bytes of JSON; Temporal refuses payloads over 2 MB. */
export const MAX_TASK_CONTENT_BYTES = 1024 * 1024;
/**
 * Largest task context accepted, in bytes of JSON. The context travels in the workflow input
 * (and again at each continue-as-new and in each sub-task's input), so it must stay well within
 * Temporal's payload limits; put large data in a store and pass its key.
 */
export const MAX_TASK_CONTEXT_BYTES = 256 * 1024;
/** Longest task id (its workflow id), in characters. */
export const MAX_TASK_ID_LENGTH = 200;
/**
 * Start-to-close timeout of one attempt of `resolveAgentTask`, the activity with which `runAgent`
 * resolves an agent's settings on a worker (its prompt function is user code); three attempts.
 */
export const DEFAULT_RESOLVE_AGENT_TIMEOUT = '30 seconds';

/** What a schedule does when a run is due while the previous one still runs: skip the new run (Temporal's default). */
export const DEFAULT_SCHEDULE_OVERLAP = 'skip';
/** Time zone of a schedule's `cron` expression unless it names one. */
export const DEFAULT_SCHEDULE_TIMEZONE = 'UTC';
/**
 * How late a scheduled run may still start after the Temporal server was unavailable at its time;
 * a run that would be later is dropped. An hour keeps a morning run useful in the morning; give
 * `catchupWindow: '1 year'` to take any missed run (Temporal's own default).
 */
export const DEFAULT_SCHEDULE_CATCHUP_WINDOW = '1 hour';
/** Smallest `catchupWindow` Temporal accepts. */
export const MIN_SCHEDULE_CATCHUP_WINDOW_MS = 10_000;
/** Random delay added to each scheduled time, up to this much (milliseconds): none. */
export const DEFAULT_SCHEDULE_JITTER_MS = 0;
/** Smallest `every` of a schedule: Temporal counts intervals in whole seconds. */
export const MIN_SCHEDULE_INTERVAL_MS = 1000;
/**
 * How long a scheduled run stays open for follow-ups after its answer: not at all. A run that
 * stayed open for the Zap's idle timeout (24 hours) would count as running for the schedule's
 * overlap policy, so a daily `skip` schedule would skip every other day. Give `idleTimeout` to
 * keep runs open (follow-ups, nudges).
 */
export const DEFAULT_SCHEDULE_IDLE_TIMEOUT_MS = 0;
/**
 * Longest schedule id. A run's task id is the schedule id, a dash and the run's time
 * (`2025-06-02T09:00:00Z`, 20 characters), within `MAX_TASK_ID_LENGTH`.
 */
export const MAX_SCHEDULE_ID_LENGTH = 160;
/** Longest note of a schedule (`pause`, `unpause`, `create`), in characters. */
export const MAX_SCHEDULE_NOTE_LENGTH = 1000;
/** Longest nudge message (`ZapAgent({ nudge })`), in characters: a follow-up line, not a document. */
export const MAX_NUDGE_MESSAGE_LENGTH = 4096;
/** Overlap policy of `zap.schedules.trigger` unless it says otherwise: the run starts even while another is open. */
export const DEFAULT_SCHEDULE_TRIGGER_OVERLAP = 'allowAll';
/** Note of a schedule paused without one. */
export const DEFAULT_SCHEDULE_PAUSE_NOTE = 'Paused';
/** Note of a schedule unpaused without one. */
export const DEFAULT_SCHEDULE_UNPAUSE_NOTE = 'Unpaused';

/** Rolling window of a tenant budget unless `per` says otherwise (`zap.tenantBudgets.set`). */
export const DEFAULT_TENANT_BUDGET_WINDOW = '1 day';
/** Longest rolling window of a tenant budget: a year (spend is kept per 1/100 of the window, so any length is cheap). */
export const MAX_TENANT_BUDGET_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;
/**
 * Time buckets a tenant budget's window is cut into: spend is summed per bucket, so the state
 * holds at most about this many entries whatever the call rate. Spend counts until its bucket's
 * end is a window old: at least one window, at most 1/100 of a window longer (never shorter).
 */
export const TENANT_BUDGET_BUCKETS_PER_WINDOW = 100;
/**
 * How long a worker remembers that a tenant has no budget workflow before it asks again: a
 * `tenantBudgets.set` reaches the model calls of a tenant a worker has just seen without a budget
 * at most this much later. Tenants with a budget are never cached (every call reserves).
 */
export const DEFAULT_TENANT_BUDGET_ABSENCE_CACHE_MS = 5_000;
/** Tenants a worker remembers as having no budget, at most (the oldest are forgotten first). */
export const MAX_TENANT_BUDGET_ABSENCE_CACHE_ENTRIES = 10_000;
/**
 * Added to a model call's start-to-close timeout to give its tenant reservation's time to live: a
 * reservation still open then (its worker died mid-call) counts as spent at its reserved amount.
 */
export const DEFAULT_TENANT_RESERVATION_MARGIN_MS = 60_000;
/**
 * How long a tenant budget remembers a settled or expired reservation's key, so a repeated
 * `reserve` or `settle` (a retried request) is not counted twice, and a late `settle` of an
 * expired reservation corrects it to the call's actual cost.
 */
export const TENANT_BUDGET_KEY_RETENTION_MS = 10 * 60_000;
/** Closed reservation keys a tenant budget remembers, at most (the oldest are forgotten first). */
export const MAX_TENANT_BUDGET_REMEMBERED_KEYS = 20_000;
/** History events a tenant budget workflow run takes before it continues as new (or sooner, when Temporal suggests it). */
export const DEFAULT_TENANT_BUDGET_EVENTS_PER_RUN = 2_000;
/**
 * Agent task runs a worker keeps in its sticky cache (`maxCachedWorkflows`) unless you set one,
 * or the SDK's heap-derived default when that is smaller (a worker with a small heap). A cached
 * run answers a follow-up, signal or approval from memory; an evicted one is replayed from its
 * history when it wakes up (tens of milliseconds more). What a worker's RSS settles at depends on
 * the cached runs, not on the open tasks: each cached run holds its own copy of the workflow
 * modules, its state machines in the SDK's core and the garbage V8 lets that heap grow to, some
 * 400 KiB of RSS in all, while an evicted task costs the worker next to nothing. bench/memory.ts
 * measured a worker with 1,000 cached runs settling at 1.04–1.07 GiB whether it held 2,500 or
 * 10,000 open tasks, and one with 500 holding 10,000 open tasks in 831 MiB (see the README's
 * benchmarks). A task that is working touches its run at every step, so the runs evicted first are
 * those of tasks waiting for a follow-up; a worker with more tasks in flight than this needs more.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 500;
/**
 * How often a streaming model call asks its token transport again whether anyone listens to the
 * task (`TokenTransport.hasSubscribers`): a subscriber attaching mid-call gets tokens from at most
 * this long after it attached.
 */
export const DEFAULT_TOKEN_SUBSCRIBER_CHECK_INTERVAL_MS = 250;
/** Deltas of one model call gathered into one NATS message (`NatsTokenTransport`'s `batchMs`). */
export const DEFAULT_NATS_TOKEN_BATCH_MS = 16;
/** How long `NatsTokenTransport.hasSubscribers` waits for a subscriber's answer before assuming one listens. */
export const DEFAULT_NATS_PRESENCE_TIMEOUT_MS = 500;
