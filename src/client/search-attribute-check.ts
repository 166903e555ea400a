import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SearchAttributesUnavailableError } from '../core/errors';
import { ZAP_SEARCH_ATTRIBUTE_NAMES, searchAttributeRegistrationCommand } from '../core/search-attributes';
import type { SearchAttributesMode, ZapLogger } from './zap-options';

/** Whether this Zap's tasks carry search attributes, and why not when they do not. */
export type SearchAttributeAvailability =
  | { enabled: true }
  | {
      enabled: false;
      /** The attributes the namespace lacks (all of them when unknown or turned off). */
      missing: readonly string[];
      /** Why, when it is not (only) that they are missing. */
      reason?: string;
    };

/** What {@link checkSearchAttributes} needs. */
export interface SearchAttributeCheckInput {
  connection: ConnectionLike;
  namespace: string;
  mode: SearchAttributesMode;
  logger: ZapLogger;
  /** Bound of the check's RPC. */
  timeoutMs: number;
}

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/**
 * Checks once (at `zap.start()`) that the namespace has every zap-agents search attribute as a
 * Keyword, with the operator service. `'auto'`: uses them when all are there, otherwise warns once
 * with the registration command and goes on without them (tasks then start without search
 * attributes and their workflows never upsert any); `'require'`: throws
 * `SearchAttributesUnavailableError` naming the missing ones; `'off'`: no check, never used.
 */
export async function checkSearchAttributes(input: SearchAttributeCheckInput): Promise<SearchAttributeAvailability> {
  const { connection, namespace, mode, logger } = input;
  if (mode === 'off') return { enabled: false, missing: ZAP_SEARCH_ATTRIBUTE_NAMES, reason: "searchAttributes is 'off' in the Zap's options" };
  let missing: string[];
  try {
    const response = await connection.withDeadline(Date.now() + input.timeoutMs, () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const custom = response.customAttributes ?? {};
    missing = ZAP_SEARCH_ATTRIBUTE_NAMES.filter((name) => custom[name] !== KEYWORD);
  } catch (error) {
    const reason = `their registration in namespace '${namespace}' could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    if (mode === 'require') {
      throw new SearchAttributesUnavailableError({ namespace, missing: ZAP_SEARCH_ATTRIBUTE_NAMES, reason, cause: error });
    }
    logger.warn(`zap-agents search attributes are not used: ${reason}. Listing tasks by status, tenant or user is unavailable.`);
    return { enabled: false, missing: ZAP_SEARCH_ATTRIBUTE_NAMES, reason };
  }
  if (missing.length === 0) return { enabled: true };
  if (mode === 'require') throw new SearchAttributesUnavailableError({ namespace, missing });
  logger.warn(
    `Namespace '${namespace}' lacks the zap-agents search attributes ${missing.join(', ')} (Keyword): tasks run ` +
      'without them, and listing tasks by status, tenant or user is unavailable. Register them with ' +
      `\`${searchAttributeRegistrationCommand(namespace, missing)}\` (Temporal Cloud: \`tcld namespace ` +
      'search-attributes add\` or the Web UI) and restart the Zap.',
  );
  return { enabled: false, missing };
}
