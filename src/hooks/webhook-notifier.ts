import type { ApprovalRequest } from '../core/approval-request';
import { DEFAULT_WEBHOOK_TIMEOUT_MS } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import type { TaskStatus } from '../core/task-status';
import type { LifecycleHookEvent, LifecycleHooks } from './lifecycle-hooks';
import { signWebhookBody } from './webhook-signature';

/** What a webhook delivery reports. */
export type WebhookEventType = 'approval_requested' | 'approval_escalated' | 'completed' | 'failed' | 'stuck';

/** Every {@link WebhookEventType}. */
const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ['approval_requested', 'approval_escalated', 'completed', 'failed', 'stuck'];

/** The hook that reports each webhook event type. */
const HOOK_OF_TYPE = {
  approval_requested: 'onApprovalRequested',
  approval_escalated: 'onApprovalEscalated',
  completed: 'onComplete',
  failed: 'onFailed',
  stuck: 'onStuck',
} as const satisfies Record<WebhookEventType, keyof LifecycleHooks>;

/** Header names the notifier sets itself; `headers` may not override them. */
const RESERVED_HEADERS = ['content-type', 'x-zap-signature', 'x-zap-delivery', 'x-zap-event'];

/** Options of {@link webhookNotifier}. */
export interface WebhookNotifierOptions {
  /** Where deliveries are POSTed (`http:` or `https:`). */
  url: string | URL;
  /** Shared secret of the HMAC-SHA256 signature in `x-zap-signature` (at least 16 characters). */
  secret: string;
  /**
   * What to deliver.
   * @default ['approval_requested', 'approval_escalated', 'completed', 'failed', 'stuck']
   */
  events?: readonly WebhookEventType[];
  /**
   * Extra request headers (an `authorization` for your receiver, say); the notifier's own
   * `content-type` and `x-zap-*` headers cannot be overridden.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * How long one POST may take before the attempt fails (and is retried), in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
}

/**
 * The JSON body of a delivery. The same event always has the same body (and `deliveryId`),
 * whichever attempt delivers it.
 */
export interface WebhookBody {
  type: WebhookEventType;
  taskId: string;
  agentName: string;
  /** The task's status when the event happened. */
  status: TaskStatus;
  /**
   * `approval_requested`: the request (a tool call, or `kind: 'stuck'` for an escalation), with
   * its `summary` (what the call does, in words) to show the person deciding.
   */
  approval?: ApprovalRequest;
  /** `completed`: the answer. */
  result?: string;
  /** `failed`: why. */
  error?: string;
  /** `stuck`: what was detected and what the task does about it. */
  stuck?: LifecycleHookEvent['stuck'];
  /** ISO-8601; when the task recorded the event. */
  occurredAt: string;
  /** Stable across retries (also the `x-zap-delivery` header): deduplicate on it. */
  deliveryId: string;
}

/**
 * Lifecycle hooks that POST a signed JSON body ({@link WebhookBody}) to `url` for approval
 * requests, answers, failures and stuck tasks, so a team can wire approvals to chat or email.
 * Spread the result into an agent's `hooks`. Headers: `content-type: application/json`,
 * `x-zap-event: <type>`, `x-zap-delivery: <deliveryId>` and `x-zap-signature: sha256=<hex HMAC of
 * the raw body>` (check it with `verifyWebhookSignature`). A non-2xx answer, a network error or
 * a timeout fails the attempt and the hook is retried (at least once delivery: deduplicate on
 * `deliveryId`).
 *
 * @example
 * ```ts
 * new ZapAgent({
 *   name: 'Finance',
 *   prompt: '…',
 *   hooks: { ...webhookNotifier({ url: 'https://chat.example.com/zap', secret: process.env.ZAP_WEBHOOK_SECRET!, events: ['approval_requested'] }) },
 * });
 * ```
 */
export function webhookNotifier(options: WebhookNotifierOptions): LifecycleHooks {
  const { url, secret, events, headers, timeoutMs } = validate(options);
  const hooks: { -readonly [Name in keyof LifecycleHooks]: LifecycleHooks[Name] } = {};
  for (const type of events) {
    hooks[HOOK_OF_TYPE[type]] = async (event) => {
      const body = JSON.stringify(webhookBody(type, event));
      const signal = AbortSignal.any([event.signal, AbortSignal.timeout(timeoutMs)]);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'x-zap-event': type,
          'x-zap-delivery': event.deliveryId,
          'x-zap-signature': signWebhookBody(body, secret),
        },
        body,
        signal,
      });
      // The body is not needed; reading it frees the connection for the next delivery.
      const text = await response.text().catch(() => '');
      if (!response.ok) {
        throw new Error(`webhook ${url.origin}${url.pathname} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
      }
    };
  }
  return hooks;
}

function webhookBody(type: WebhookEventType, event: LifecycleHookEvent): WebhookBody {
  return {
    type,
    taskId: event.taskId,
    agentName: event.agentName,
    status: event.snapshot.status,
    ...(event.approval !== undefined ? { approval: event.approval } : {}),
    ...(event.result !== undefined ? { result: event.result } : {}),
    ...(event.error !== undefined ? { error: event.error } : {}),
    ...(event.stuck !== undefined ? { stuck: event.stuck } : {}),
    occurredAt: event.occurredAt,
    deliveryId: event.deliveryId,
  };
}

interface CompiledWebhookOptions {
  url: URL;
  secret: string;
  events: readonly WebhookEventType[];
  headers: Record<string, string>;
  timeoutMs: number;
}

function validate(options: WebhookNotifierOptions): CompiledWebhookOptions {
  const where = 'webhookNotifier';
  if (typeof options !== 'object' || options === null) {
    throw new ZapConfigurationError({ message: `${where}: options ({ url, secret }) are required.` });
  }
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch (error) {
    throw new ZapConfigurationError({ message: `${where}: url ${JSON.stringify(String(options.url))} is not a URL.`, cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ZapConfigurationError({ message: `${where}: url must be http: or https:, not ${url.protocol}` });
  }
  if (typeof options.secret !== 'string' || options.secret.length < 16) {
    throw new ZapConfigurationError({ message: `${where}: secret must be a string of at least 16 characters.` });
  }
  const events = options.events ?? WEBHOOK_EVENT_TYPES;
  if (!Array.isArray(events) || events.length === 0) {
    throw new ZapConfigurationError({ message: `${where}: events must list at least one of ${WEBHOOK_EVENT_TYPES.join(', ')}.` });
  }
  for (const type of events) {
    if (!WEBHOOK_EVENT_TYPES.includes(type)) {
      throw new ZapConfigurationError({ message: `${where}: unknown event '${String(type)}'; events are ${WEBHOOK_EVENT_TYPES.join(', ')}.` });
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== 'string') throw new ZapConfigurationError({ message: `${where}: header '${name}' must be a string.` });
    if (RESERVED_HEADERS.includes(name.toLowerCase())) {
      throw new ZapConfigurationError({ message: `${where}: header '${name}' is set by the notifier itself.` });
    }
    headers[name] = value;
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ZapConfigurationError({ message: `${where}: timeoutMs must be a positive integer.` });
  }
  return { url, secret: options.secret, events: [...new Set(events)], headers, timeoutMs };
}
