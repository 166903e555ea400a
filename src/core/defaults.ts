import type { RetryPolicy } from '@temporalio/common';

/** Task queue used when none is configured. */
export const DEFAULT_TASK_QUEUE = 'zap-agents';
/** Temporal address used when neither options nor `TEMPORAL_ADDRESS` give one. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
/** Temporal namespace used when neither options nor `TEMPORAL_NAMESPACE` give one. */
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
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
/** Heartbeat timeout of model and tool calls: how soon a call whose worker died is retried elsewhere. */
export const DEFAULT_HEARTBEAT_TIMEOUT = '20 seconds';
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
/** Durable events kept in workflow state for `streamTask` consumers that reconnect with `since`. */
export const DEFAULT_EVENT_LOG_LIMIT = 1000;

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
