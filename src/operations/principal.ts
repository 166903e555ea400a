import type { Approver } from '../client/approval-authorization';
import { PermissionDeniedError } from '../core/errors';

/**
 * What a principal may do. `read`: status, history, events, wait, list, usage; list and describe
 * schedules. `start`: start tasks, send messages and events, cancel; create, update, pause,
 * unpause, trigger and delete schedules. `approve`: approve or reject tool calls.
 */
export type Role = 'read' | 'start' | 'approve';

/** Every role, for operators and trusted in-process callers. */
export const ALL_ROLES: readonly Role[] = Object.freeze(['read', 'start', 'approve']);

/** Who calls an operation, as `authenticate` (HTTP, MCP) or the CLI establishes it. */
export interface Principal {
  /**
   * The tenant whose tasks this principal sees. Undefined: every tenant (an operator, the CLI
   * with Temporal credentials). Tasks it starts get this tenant.
   */
  tenantId?: string;
  /** The user, recorded on tasks it starts and on decisions it makes. */
  userId?: string;
  roles: readonly Role[];
  /**
   * Set when the caller is itself a zap-agents task (an agent driving zap-agents through MCP):
   * such a caller can never decide an approval of its own task, its ancestors or descendants.
   */
  actingTaskId?: string;
}

/** The principal of a trusted in-process caller: every role, every tenant. */
export const OPERATOR_PRINCIPAL: Principal = Object.freeze({ roles: ALL_ROLES });

/** `PermissionDeniedError` unless the principal has `role`. */
export function assertRole(principal: Principal, role: Role, operation: string): void {
  if (!principal.roles.includes(role)) {
    throw new PermissionDeniedError({ operation, message: `Not allowed to ${operation}: the '${role}' role is needed.` });
  }
}

/** Who a decision or a task is recorded as made by. */
export function describePrincipal(principal: Principal): string | undefined {
  return principal.userId ?? principal.tenantId;
}

/**
 * The approver a principal's decisions are authorized as (the Zap's `authorize` hook): its user
 * (else tenant) as the id, its roles and its tenant.
 */
export function approverOf(principal: Principal): Approver {
  const id = describePrincipal(principal);
  return {
    ...(id !== undefined ? { id } : {}),
    roles: principal.roles,
    ...(principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {}),
  };
}
