/**
 * An agent as one step of a workflow you own: an order workflow reserves stock and charges the
 * customer with its own activities, asks the Support agent (`runAgent`) for a confirmation email
 * in a typed shape, then sends it with its own activity. One worker of yours runs your workflow,
 * your activities and zap's (through `zap.workerPlugin()`); the agent step is an ordinary zap task.
 *
 *   npm run example:order-workflow      (or npx tsx examples/order-workflow/main.ts)
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { z } from 'zod';
import { Zap, ZapAgent, tool } from 'zap-agents';
import { scripted, type ScriptedRequest } from 'zap-agents/testing';
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';
import { createShopActivities, orderOf, type Shop } from './activities';
import type { orderWorkflow } from './workflows';

const TASK_QUEUE = 'zap-example-order-workflow';

const shop: Shop = {
  orders: new Map([
    ['A-1042', { orderId: 'A-1042', customer: 'Ada', email: 'ada@example.com', item: 'espresso cups', quantity: 2, unitPriceCents: 1450 }],
  ]),
  stock: new Map([['espresso cups', 10]]),
  charges: [],
  sentEmails: [],
};

const Reply = z.object({ subject: z.string().min(1), body: z.string().min(1) });

const support = new ZapAgent<{ orderId: string }>({
  name: 'Support',
  prompt: 'You write short, friendly emails to customers of a small shop. Look the order up first. Answer in JSON.',
  model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
  output: Reply,
  tools: [
    tool({
      name: 'get_order',
      description: "The current task's order: customer, item, quantity, price",
      parameters: z.object({}),
      // The task's context (from runAgent) reaches the tool: no order id for the model to get wrong.
      execute: (_args, { context }) => JSON.stringify(orderOf(shop, context.orderId)),
    }),
  ],
});

/** Plays the Support agent when no endpoint is configured: looks the order up, then writes the email. */
function demoModel(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  const looked = messages.find((message) => message.role === 'tool');
  if (!looked) return scripted.toolCalls([{ name: 'get_order', arguments: {} }]);
  const order = JSON.parse(looked.content) as { orderId: string; customer: string; item: string; quantity: number };
  return scripted.json({
    subject: `Order ${order.orderId} confirmed`,
    body: `Hi ${order.customer}, your ${order.quantity} ${order.item} are confirmed and on their way.`,
  });
}

runExample('Order workflow example', async () => {
  const environment = await prepareExampleEnvironment(demoModel);
  // The Zap's task queue is the worker's: the agent tasks your workflows start run (and are listed) there.
  const zap = new Zap({ agents: [support], taskQueue: TASK_QUEUE });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    worker = await Worker.create({
      connection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./workflows'),
      // zap's workflow modules evaluated once per V8 context instead of once per workflow run.
      bundlerOptions: { preloadModules: [require.resolve('zap-agents/workflows')] },
      activities: createShopActivities(shop),
      plugins: [await zap.workerPlugin()],
    });
    running = worker.run();

    const handle = await zap.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `order-A-1042-${randomBytes(4).toString('hex')}`,
      args: ['A-1042'],
    });
    console.log(`Order workflow ${handle.workflowId} started`);
    const outcome = await handle.result();
    console.log(`Charged ${(outcome.amountCents / 100).toFixed(2)} EUR (${outcome.chargeId})`);
    console.log(`Reply drafted by agent task ${outcome.replyTaskId}:\n  Subject: ${outcome.reply.subject}\n  ${outcome.reply.body}`);

    const task = await zap.getTask(outcome.replyTaskId, { outputSchema: Reply });
    const toolCalls = task.history.filter((message) => message.role === 'tool').length;
    console.log(`The agent task: ${task.status}, ${toolCalls} tool call(s), parent ${task.parentTaskId}`);
    const sent = shop.sentEmails[0];
    return (
      outcome.amountCents === 2 * 1450 &&
      shop.charges.length === 1 &&
      shop.stock.get('espresso cups') === 8 &&
      shop.sentEmails.length === 1 &&
      sent?.to === 'ada@example.com' &&
      JSON.stringify(sent.reply) === JSON.stringify(outcome.reply) &&
      task.status === 'completed' &&
      task.parentTaskId === handle.workflowId &&
      JSON.stringify(task.output) === JSON.stringify(outcome.reply)
    );
  } finally {
    worker?.shutdown();
    await running;
    await zap.stop();
    await connection.close();
    await environment.close();
  }
});
