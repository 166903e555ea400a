import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import type { TaskStatus } from './task-status';

/**
 * The custom search attributes of agent tasks, defined once for the client (start options,
 * listing), the workflow (status upserts, child tasks) and the dev server (registration). All are
 * Keyword attributes: exact matches, which is what listing by agent, status, tenant, user or
 * parent needs. Search attributes are not encoded by a payload codec: they hold ids and names,
 * never task content.
 *
 * Pure and sandbox-safe (`defineSearchAttributeKey` only builds a `{ name, type }` object).
 * @module
 */

/** The agent that runs the task. */
export const ZAP_AGENT_ATTRIBUTE = defineSearchAttributeKey('ZapAgent', 'KEYWORD');
/** The task's status (`pending`, `thinking`, …), kept up to date by the workflow. */
export const ZAP_STATUS_ATTRIBUTE = defineSearchAttributeKey('ZapStatus', 'KEYWORD');
/** The tenant the task belongs to, when it was started with one. */
export const ZAP_TENANT_ATTRIBUTE = defineSearchAttributeKey('ZapTenant', 'KEYWORD');
/** The user the task belongs to, when it was started with one. */
export const ZAP_USER_ATTRIBUTE = defineSearchAttributeKey('ZapUser', 'KEYWORD');
/** The id of the task that started this one (sub-agent delegation). */
export const ZAP_PARENT_ATTRIBUTE = defineSearchAttributeKey('ZapParent', 'KEYWORD');

/** Every custom search attribute zap-agents uses, in registration order. */
export const ZAP_SEARCH_ATTRIBUTES = [
  ZAP_AGENT_ATTRIBUTE,
  ZAP_STATUS_ATTRIBUTE,
  ZAP_TENANT_ATTRIBUTE,
  ZAP_USER_ATTRIBUTE,
  ZAP_PARENT_ATTRIBUTE,
] as const;

/** Names of {@link ZAP_SEARCH_ATTRIBUTES}. */
export const ZAP_SEARCH_ATTRIBUTE_NAMES: readonly string[] = ZAP_SEARCH_ATTRIBUTES.map((key) => key.name);

/** What a task's search attributes are made of. */
export interface TaskSearchAttributeValues {
  agentName: string;
  status: TaskStatus;
  tenantId?: string;
  userId?: string;
  parentTaskId?: string;
}

/** The search attributes a task starts with (absent values are left out, never empty strings). */
export function taskSearchAttributes(values: TaskSearchAttributeValues): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: ZAP_AGENT_ATTRIBUTE, value: values.agentName },
    { key: ZAP_STATUS_ATTRIBUTE, value: values.status },
  ];
  if (values.tenantId !== undefined) pairs.push({ key: ZAP_TENANT_ATTRIBUTE, value: values.tenantId });
  if (values.userId !== undefined) pairs.push({ key: ZAP_USER_ATTRIBUTE, value: values.userId });
  if (values.parentTaskId !== undefined) pairs.push({ key: ZAP_PARENT_ATTRIBUTE, value: values.parentTaskId });
  return pairs;
}

/** What a task's memo holds (read back by listing and by the tenant check, with no worker). */
export interface TaskMemo {
  agentName: string;
  tenantId?: string;
  userId?: string;
  /** ISO-8601; when the task was created (a run started by continue-as-new or a retry keeps it). */
  createdAt?: string;
}

/** The memo a task starts with; absent values are left out. */
export function taskMemo(values: TaskMemo): Record<string, string> {
  const memo: Record<string, string> = { agentName: values.agentName };
  if (values.tenantId !== undefined) memo.tenantId = values.tenantId;
  if (values.userId !== undefined) memo.userId = values.userId;
  if (values.createdAt !== undefined) memo.createdAt = values.createdAt;
  return memo;
}

/**
 * The `temporal` CLI commands that register `names` in `namespace` on a self-hosted cluster (or a
 * dev server started without them).
 */
export function searchAttributeRegistrationCommand(namespace: string, names: readonly string[]): string {
  const flags = names.map((name) => `--name ${name}`).join(' ');
  return `temporal operator search-attribute create --namespace ${namespace} ${flags} --type Keyword`;
}
