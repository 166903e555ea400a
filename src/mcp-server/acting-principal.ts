import { MCP_CALL_META_KEY } from '../activities/call-tool';
import type { Principal } from '../operations';

/**
 * The principal a `tools/call` runs as. When one of our own agents calls the tool, the worker
 * puts the calling task in the request's `_meta['zap-agents/call'].taskId`: that task becomes the
 * principal's `actingTaskId`, so a model can never decide approvals of its own task, its
 * ancestors or descendants. The key can only restrict the caller, never grant anything, so an
 * authenticated principal that already has an `actingTaskId` keeps it.
 */
export function principalForCall(principal: Principal, meta: Record<string, unknown> | undefined): Principal {
  if (principal.actingTaskId !== undefined) return principal;
  const call = meta?.[MCP_CALL_META_KEY];
  const taskId = typeof call === 'object' && call !== null ? (call as { taskId?: unknown }).taskId : undefined;
  if (typeof taskId !== 'string' || taskId.length === 0) return principal;
  return { ...principal, actingTaskId: taskId };
}
