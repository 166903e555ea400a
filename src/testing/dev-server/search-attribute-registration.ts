/**
 * Registers search attributes on a running dev server that lacks them. `start-dev
 * --search-attribute` registers attributes only when it creates its database, so a persistent
 * server whose `dev.db` predates them (an older zap-dev) gets them here, through the operator
 * service, the first time it starts with this code.
 * @module
 */
import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeKey, SearchAttributeType } from '@temporalio/common/lib/search-attributes';
import { temporal } from '@temporalio/proto';

/** Adds the attributes of `keys` that `namespace` lacks; resolves with the names it added. */
export async function registerMissingSearchAttributes(
  connection: ConnectionLike,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((key) => customAttributes?.[key.name] === undefined);
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, number> = {};
  for (const key of missing) {
    searchAttributes[key.name] = temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as const];
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing.map((key) => key.name);
}
