/**
 * Your workflows module: your order workflow, with one agent step, next to zap's workflows
 * (re-exported, so one worker runs both). Workflow code: deterministic, and it imports only
 * `@temporalio/workflow`, `zap-agents/workflows` and types.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { runAgent } from 'zap-agents/workflows';
import type { CustomerReply, ShopActivities } from './activities';

export * from 'zap-agents/workflows';

const { reserveStock, chargeCustomer, sendEmail } = proxyActivities<ShopActivities>({ startToCloseTimeout: '30 seconds' });

/** What the order workflow returns. */
export interface OrderOutcome {
  chargeId: string;
  amountCents: number;
  /** The agent task that drafted the reply: `zap.getTask(replyTaskId)` shows its conversation. */
  replyTaskId: string;
  reply: CustomerReply;
}

/** Reserve the stock, charge the customer, let the Support agent draft the confirmation, send it. */
export async function orderWorkflow(orderId: string): Promise<OrderOutcome> {
  const amountCents = await reserveStock(orderId);
  const chargeId = await chargeCustomer(orderId, amountCents);
  // One agent step: an ordinary zap task, run as a child workflow of this one.
  const drafted = await runAgent<CustomerReply>('Support', {
    task: `Draft a short reply telling the customer that order ${orderId} is confirmed and charged.`,
    context: { orderId },
  });
  if (!drafted.output) throw ApplicationFailure.nonRetryable('The Support agent gave no structured reply.', 'NO_REPLY');
  await sendEmail(orderId, drafted.output);
  return { chargeId, amountCents, replyTaskId: drafted.taskId, reply: drafted.output };
}
