/**
 * Human approval: the agent may read balances freely, but every `transfer_*` call waits for a
 * person. Here the "person" is this script, which approves the first transfer it sees.
 *
 *   npx tsx examples/approvals/main.ts
 */
import { z } from 'zod';
import { ApprovalRules, Zap, ZapAgent, tool } from 'zap-agents';
import { scripted, type ScriptedRequest } from 'zap-agents/testing';
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';

const transfers: string[] = [];

const finance = new ZapAgent({
  name: 'Finance',
  prompt: 'You manage payments. Check the balance, then make the transfer the user asks for.',
  model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
  tools: [
    tool({
      name: 'get_balance',
      description: 'Current account balance in EUR',
      parameters: z.object({}),
      execute: () => '12,400 EUR',
    }),
    tool({
      name: 'transfer_funds',
      description: 'Transfers money to a vendor',
      parameters: z.object({ vendor: z.string(), amount: z.number().positive() }),
      execute: ({ vendor, amount }, { idempotencyKey }) => {
        transfers.push(`${amount} EUR to ${vendor}`);
        return `Transferred ${amount} EUR to ${vendor} (reference ${idempotencyKey})`;
      },
    }),
  ],
});

/** Plays the model when no endpoint is configured: balance first, then the transfer, then a summary. */
function demoModel(request: ScriptedRequest) {
  const toolResults = (request.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'tool');
  if (toolResults.length === 0) return scripted.toolCalls([{ name: 'get_balance', arguments: {} }]);
  if (toolResults.length === 1) return scripted.toolCalls([{ name: 'transfer_funds', arguments: { vendor: 'ACME', amount: 500 } }]);
  return scripted.text(`Done: ${toolResults[1]?.content}`);
}

runExample('Approvals example', async () => {
  const environment = await prepareExampleEnvironment(demoModel);
  const zap = new Zap({ agents: [finance], taskQueue: 'zap-example-approvals' });
  await zap.start();
  const worker = await zap.createWorker();
  const running = worker.run();
  try {
    const rules = new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 hour' });
    console.log('Gated tools:', rules.previewMatches(await zap.getAgentTools('Finance')));
    const task = await zap.executeTask({ agentName: 'Finance', task: 'Pay ACME 500 EUR for the March invoice.', approvalRules: rules });

    let current = await zap.getTask(task.id);
    const deadline = Date.now() + 120_000;
    while (!current.isComplete() && Date.now() < deadline) {
      for (const approval of await current.getPendingApprovals()) {
        console.log(`Approval needed: ${approval.toolName}(${JSON.stringify(approval.toolArgs)}) — approving as "finance-lead"`);
        if (transfers.length > 0) throw new Error('the transfer ran before it was approved');
        await current.approve(approval.id, { approvedBy: 'finance-lead' });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = await zap.getTask(task.id);
    }
    console.log(`Status: ${current.status}`);
    console.log(`Answer: ${current.result ?? current.error}`);
    console.log('Approval log:', current.approvals.map((a) => `${a.toolName}: ${a.decision} by ${a.decidedBy}`));
    return current.status === 'completed' && transfers.length === 1 && current.approvals[0]?.decision === 'approved';
  } finally {
    await zap.stop();
    await running;
    await environment.close();
  }
});
