import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { MAX_TASK_OWNER_ID_LENGTH } from '../core/defaults';
import { TaskNotFoundError, ZapValidationError } from '../core/errors';

/**
 * Whose tasks a call may see: a call with a scope only reaches tasks started with the same
 * `tenantId` (and `userId`, when the scope has one); any other task, even one that exists, is
 * reported exactly as an unknown id (`TaskNotFoundError`), so ids of other tenants do not leak.
 * A call without a scope reaches every task (the operator's view).
 *
 * The scope is enforced by the zap-agents client API. It is not a security boundary against
 * anyone with direct access to the Temporal namespace.
 */
export interface TaskScope {
  /** Only tasks of this tenant. @default undefined (any tenant) */
  tenantId?: string;
  /** Only tasks of this user. @default undefined (any user) */
  userId?: string;
}

/** The owner of a task, as its memo records it. */
interface TaskOwner {
  tenantId?: string;
  userId?: string;
}

/** Owners kept in memory per Zap (owners never change; the oldest entries go first). */
const MAX_CACHED_OWNERS = 10_000;
/** Printable characters only: no C0 or C1 control characters. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * `value` as a tenant or user id: a string of 1 to 200 characters without control characters.
 * `undefined` stays undefined. `ZapValidationError` otherwise.
 */
export function validateOwnerId(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TASK_OWNER_ID_LENGTH || CONTROL_CHARACTER.test(value)) {
    throw new ZapValidationError({
      message: `${field} must be a string of 1 to ${MAX_TASK_OWNER_ID_LENGTH} characters without control characters.`,
    });
  }
  return value;
}

/** A validated scope (only its `tenantId` and `userId`), or undefined when it restricts nothing. */
export function validateTaskScope(scope: TaskScope | undefined): TaskScope | undefined {
  if (scope === undefined || scope === null) return undefined;
  if (typeof scope !== 'object') throw new ZapValidationError({ message: 'A task scope must be an object { tenantId?, userId? }.' });
  const tenantId = validateOwnerId(scope.tenantId, 'tenantId');
  const userId = validateOwnerId(scope.userId, 'userId');
  if (tenantId === undefined && userId === undefined) return undefined;
  return { ...(tenantId === undefined ? {} : { tenantId }), ...(userId === undefined ? {} : { userId }) };
}

/**
 * The one place a task's owner is checked against a call's scope. The owner is read from the
 * workflow's memo (`describe`, which needs no worker) and kept per task id.
 */
export class TaskScopeGuard {
  private readonly owners = new Map<string, TaskOwner>();

  constructor(private readonly client: () => Client) {}

  /**
   * Resolves when the task is in `scope` (always, without one). `TaskNotFoundError` when the task
   * does not exist or belongs to someone else, with the same message either way.
   */
  async check(taskId: string, scope: TaskScope | undefined): Promise<void> {
    const validated = validateTaskScope(scope);
    if (validated === undefined) return;
    const owner = await this.ownerOf(taskId);
    const outside =
      (validated.tenantId !== undefined && owner.tenantId !== validated.tenantId) ||
      (validated.userId !== undefined && owner.userId !== validated.userId);
    if (outside) throw new TaskNotFoundError({ taskId });
  }

  /** Records the owner of a task this Zap has just started (saves the first check its describe). */
  remember(taskId: string, owner: TaskOwner): void {
    if (this.owners.size >= MAX_CACHED_OWNERS) {
      const oldest = this.owners.keys().next();
      if (!oldest.done) this.owners.delete(oldest.value);
    }
    this.owners.set(taskId, { ...owner });
  }

  private async ownerOf(taskId: string): Promise<TaskOwner> {
    const known = this.owners.get(taskId);
    if (known) return known;
    let memo: Record<string, unknown> | undefined;
    try {
      memo = (await this.client().workflow.getHandle(taskId).describe()).memo;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
      throw error;
    }
    const owner: TaskOwner = {
      ...(typeof memo?.tenantId === 'string' ? { tenantId: memo.tenantId } : {}),
      ...(typeof memo?.userId === 'string' ? { userId: memo.userId } : {}),
    };
    this.remember(taskId, owner);
    return owner;
  }
}
