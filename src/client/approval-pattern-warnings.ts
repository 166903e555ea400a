import type { ApprovalRules } from '../core/approval-rules';
import { NoWorkerError } from '../core/errors';
import type { ZapLogger } from './zap-options';

/** What {@link warnAboutUnmatchedPatterns} needs. */
export interface UnmatchedPatternCheck {
  agentName: string;
  rules: ApprovalRules;
  /** The tool names of an agent (as its workers published them). */
  toolsOf(agentName: string): Promise<string[]>;
  subAgentsOf(agentName: string): readonly string[];
  logger: ZapLogger;
}

/**
 * Warns about approval patterns that gate none of the agent's (or, when the rules are
 * inherited, its sub-agents') tools: a typo there would let a call run unapproved. When an
 * agent's MCP tools are not known yet (no worker published them), the check is skipped.
 */
export async function warnAboutUnmatchedPatterns(check: UnmatchedPatternCheck): Promise<void> {
  const { agentName, rules } = check;
  const toolNames = new Set<string>();
  let unknown = false;
  const visit = async (name: string, seen: Set<string>): Promise<void> => {
    if (seen.has(name)) return;
    seen.add(name);
    try {
      for (const tool of await check.toolsOf(name)) toolNames.add(tool);
    } catch (error) {
      if (!NoWorkerError.isInstance(error)) throw error;
      unknown = true;
      return;
    }
    if (rules.inherit) for (const subAgent of check.subAgentsOf(name)) await visit(subAgent, seen);
  };
  await visit(agentName, new Set());
  if (unknown) return;
  const unmatched = rules.unmatchedPatterns([...toolNames]);
  if (unmatched.length > 0) {
    check.logger.warn(
      `Approval patterns ${unmatched.map((pattern) => `'${pattern}'`).join(', ')} match no tool of agent '${agentName}'` +
        `${rules.inherit ? ' or its sub-agents' : ''}; known tools: ${[...toolNames].join(', ') || 'none'}.`,
    );
  }
}
