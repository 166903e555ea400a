/**
 * `zap-agents/hooks`: the built-in webhook notifier for an agent's lifecycle hooks, the
 * signature check for its receivers, and the stuck-detection error.
 *
 * @example
 * ```ts
 * import { webhookNotifier } from 'zap-agents/hooks';
 *
 * new ZapAgent({
 *   name: 'Finance',
 *   prompt: 'You move money.',
 *   stuck: { policy: 'escalate' },
 *   hooks: webhookNotifier({ url: 'https://chat.example.com/zap', secret: process.env.ZAP_WEBHOOK_SECRET!, events: ['approval_requested', 'stuck'] }),
 * });
 * ```
 * @module
 */
export { webhookNotifier } from './webhook-notifier';
export type { WebhookNotifierOptions, WebhookBody, WebhookEventType } from './webhook-notifier';
export { verifyWebhookSignature, signWebhookBody } from './webhook-signature';
export type { VerifyWebhookSignatureOptions } from './webhook-signature';
export type { LifecycleHook, LifecycleHookEvent, LifecycleHookName, LifecycleHooks } from './lifecycle-hooks';
export type { StuckDetectionOptions, StuckPolicy } from '../agent/agent-stuck';
export { AgentStuckError } from '../core/errors';
export type { AgentStuckErrorOptions } from '../core/errors';
