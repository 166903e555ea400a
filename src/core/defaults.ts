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
/** Heartbeat timeout of model and tool calls: how soon a call whose worker died is retried elsewhere. */
export const DEFAULT_HEARTBEAT_TIMEOUT = '20 seconds';
/**
 * Largest total size (bytes of JSON) of the newest messages passed inline to a model call. Below
 * it the worker needs no query to read the conversation; above it the messages are read by query,
 * so each large message is stored in history once.
 */
export const DEFAULT_INLINE_MESSAGE_BYTES = 4 * 1024;
/** Durable events kept in workflow state for `streamTask` consumers that reconnect with `since`. */
export const DEFAULT_EVENT_LOG_LIMIT = 1000;

/**
 * Model calls: transient provider failures (408/409/429/5xx, network) back off up to 30 s and
 * are tried 10 times (over two minutes of outage); a `retry-after` from the provider overrides
 * the backoff. Non-retryable provider errors (other 4xx) fail at once regardless.
 */
export const DEFAULT_LLM_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};

/** Tool calls: three attempts, then the error goes to the model as the tool's result. */
export const DEFAULT_TOOL_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: 3,
};
