import { FailureType } from '../failure-types';
import { searchAttributeRegistrationCommand } from '../search-attributes';
import { ZapError } from './zap-error';

const CODE = FailureType.SearchAttributesUnavailable;

/** Options of {@link SearchAttributesUnavailableError}. */
export interface SearchAttributesUnavailableErrorOptions {
  namespace: string;
  /** The zap-agents search attributes the namespace lacks (all of them when unknown or turned off). */
  missing: readonly string[];
  /** What needs them, e.g. `filtering tasks by status`. @default 'the Zap requires them (searchAttributes: "require")' */
  action?: string;
  /** Why they are unavailable when it is not that they are missing, e.g. `searchAttributes is 'off'`. @default undefined */
  reason?: string;
  cause?: unknown;
}

/**
 * The namespace lacks the zap-agents search attributes (`ZapAgent`, `ZapStatus`, `ZapTenant`,
 * `ZapUser`, `ZapParent`, all Keyword) that a call needs: listing tasks by status, tenant or
 * user, or a Zap with `searchAttributes: 'require'`. The message says how to register them.
 */
export class SearchAttributesUnavailableError extends ZapError {
  readonly namespace: string;
  readonly missing: readonly string[];

  constructor(options: SearchAttributesUnavailableErrorOptions) {
    const action = options.action ?? `the Zap requires them (searchAttributes: 'require')`;
    const why = options.reason ?? `namespace '${options.namespace}' lacks ${options.missing.join(', ')}`;
    super({
      code: CODE,
      message:
        `zap-agents search attributes are unavailable (${why}), and ${action} needs them. Register them ` +
        `(self-hosted: \`${searchAttributeRegistrationCommand(options.namespace, options.missing)}\`; Temporal ` +
        'Cloud: `tcld namespace search-attributes add` or the Web UI), then restart the Zap (searchAttributes ' +
        "'auto' or 'require').",
      cause: options.cause,
    });
    this.namespace = options.namespace;
    this.missing = [...options.missing];
  }

  static override isInstance(error: unknown): error is SearchAttributesUnavailableError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
