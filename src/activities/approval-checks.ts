import type { ZapTool } from '../agent/tool';
import type { CallApprovalHint, InvokeModelInput } from '../core/activity-contracts';
import type { ApprovalCheck } from '../core/approval-rules';
import type { ToolCall } from '../core/messages';
import { parseToolArguments } from '../core/tool-arguments';
import type { ActivityDependencies } from './activity-dependencies';

/**
 * The worker's part of the approval rules, for the tool calls of one model answer: each tool's
 * `requiresApproval` and `describe`, and the `approvalRules.requiresApproval` predicate of every
 * agent the task's rules name. They run here, in the model activity, so their answers are
 * recorded with its result and a replay never runs them again. A predicate that throws (or an
 * agent this worker does not know) gates the call: approval rules fail closed.
 * Undefined when no call has anything to say (the common case: no context read, nothing stored).
 */
export async function checkApprovals(
  dependencies: ActivityDependencies,
  input: InvokeModelInput,
  calls: readonly ToolCall[],
): Promise<Record<string, CallApprovalHint> | undefined> {
  const predicateAgents = input.approvalPredicates ?? [];
  const localTools = new Map<string, ZapTool>();
  for (const call of calls) {
    const resolved = await dependencies.toolbox.resolve(input.agentName, call.function.name);
    if (resolved?.kind === 'local' && (resolved.tool.requiresApproval !== undefined || resolved.tool.describe !== undefined)) {
      localTools.set(call.function.name, resolved.tool);
    }
  }
  if (predicateAgents.length === 0 && localTools.size === 0) return undefined;

  // The model call is paid for by now: nothing here may fail the activity (a retry would buy it
  // again). A context that cannot be read gates every call that a predicate would have judged.
  let context: unknown;
  let contextError: string | undefined;
  if (input.hasContext) {
    try {
      context = await dependencies.contexts.read(input.taskId);
    } catch (error) {
      contextError = `the task's context could not be read (${messageOf(error)}), so the call needs approval`;
    }
  }

  const hints: Record<string, CallApprovalHint> = {};
  for (const call of calls) {
    const parsed = parseToolArguments(call.function.arguments);
    // Arguments that are not a JSON object never run (the workflow tells the model); nothing to decide.
    if (!parsed.ok) continue;
    const args = parsed.value;
    const tool = localTools.get(call.function.name);
    if (!tool && predicateAgents.length === 0) continue;
    const hint: CallApprovalHint = {};
    const notes: string[] = [];
    const check: ApprovalCheck = {
      toolName: call.function.name,
      args: tool ? parsedWithSchema(tool, args) : args,
      context,
      agentName: input.agentName,
      taskId: input.taskId,
    };
    if (contextError !== undefined && (typeof tool?.requiresApproval === 'function' || predicateAgents.length > 0)) {
      hint.requiresApproval = true;
      notes.push(contextError);
    }
    if (tool?.requiresApproval === true) hint.requiresApproval = true;
    else if (!hint.requiresApproval && typeof tool?.requiresApproval === 'function') {
      if (await predicateSays(() => (tool.requiresApproval as (check: ApprovalCheck) => unknown)(check), `tool '${tool.name}'`, notes)) {
        hint.requiresApproval = true;
      }
    }
    for (const agentName of predicateAgents) {
      if (hint.requiresApproval) break;
      const predicate = dependencies.agents.get(agentName)?.approvalRules?.requiresApproval;
      if (!predicate) {
        notes.push(`agent '${agentName}' (whose approval rules apply) is not registered on this worker with a requiresApproval predicate`);
        hint.requiresApproval = true;
        break;
      }
      if (await predicateSays(() => predicate(check), `the approval rules of agent '${agentName}'`, notes)) hint.requiresApproval = true;
    }
    if (tool?.describe) {
      try {
        const summary = await tool.describe(check.args, { context: check.context, taskId: input.taskId, agentName: input.agentName });
        if (typeof summary === 'string' && summary.trim() !== '') hint.summary = summary.slice(0, MAX_SUMMARY_CHARACTERS);
      } catch (error) {
        notes.push(`describe of tool '${tool.name}' failed: ${messageOf(error)}`);
      }
    }
    if (notes.length > 0) hint.note = notes.join('; ').slice(0, MAX_SUMMARY_CHARACTERS);
    if (hint.requiresApproval || hint.summary || hint.note) hints[call.id] = hint;
  }
  return Object.keys(hints).length > 0 ? hints : undefined;
}

/** Longest summary (and note) kept with an approval, in characters. */
const MAX_SUMMARY_CHARACTERS = 2000;

async function predicateSays(run: () => unknown, owner: string, notes: string[]): Promise<boolean> {
  try {
    const answer = await run();
    if (typeof answer !== 'boolean') {
      notes.push(`${owner}: requiresApproval returned ${typeof answer}, not a boolean, so the call needs approval`);
      return true;
    }
    return answer;
  } catch (error) {
    notes.push(`${owner}: requiresApproval threw (${messageOf(error)}), so the call needs approval`);
    return true;
  }
}

/** The arguments as the tool's schema parses them (defaults applied), or as sent when they do not parse. */
function parsedWithSchema(tool: ZapTool, args: Record<string, unknown>): Record<string, unknown> {
  const parsed = tool.parameters.safeParse(args);
  return parsed.success && typeof parsed.data === 'object' && parsed.data !== null ? (parsed.data as Record<string, unknown>) : args;
}


function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
