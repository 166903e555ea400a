import { ApplicationFailure, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { BareActivities, BareMessage, BareToolCall, BareWorkflowInput, BareWorkflowResult } from './bare-workflow';

/**
 * The baselines' workflows, bundled together for the load benchmarks' bare worker:
 * `bareAgentWorkflow` (the overhead benchmark's baseline, unchanged), and `bareLocalToolWorkflow`,
 * the same loop with the tool run as a local activity. The second one measures what running local
 * tools as local activities would save: no activity task to schedule, match and record, and no
 * workflow task to deliver the result (the worker runs it while the workflow task is open).
 */
export { bareAgentWorkflow } from './bare-workflow';

const model = proxyActivities<BareActivities>({ startToCloseTimeout: '2 minutes' });
const localTools = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

/** `bareAgentWorkflow` with the tool calls as local activities. */
export async function bareLocalToolWorkflow(input: BareWorkflowInput): Promise<BareWorkflowResult> {
  const messages: BareMessage[] = [
    { role: 'system', content: input.systemPrompt },
    { role: 'user', content: input.message },
  ];
  for (let iteration = 0; iteration < input.maxIterations; iteration += 1) {
    const { message } = await model.callModel({ messages });
    messages.push(message);
    const toolCalls = message.tool_calls ?? [];
    if (toolCalls.length === 0) {
      await sleep(input.finalWaitMs);
      return { answer: message.content ?? '', messageCount: messages.length };
    }
    messages.push(...(await Promise.all(toolCalls.map(runToolCall))));
  }
  throw ApplicationFailure.nonRetryable(`No answer after ${input.maxIterations} model calls.`, 'MAX_ITERATIONS_EXCEEDED');
}

async function runToolCall(call: BareToolCall): Promise<BareMessage> {
  const result = await localTools.runTool({
    toolCallId: call.id,
    toolName: call.function.name,
    arguments: JSON.parse(call.function.arguments) as Record<string, unknown>,
  });
  return { role: 'tool', tool_call_id: call.id, content: result.content };
}
