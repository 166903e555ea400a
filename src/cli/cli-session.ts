import type { Zap } from '../client/zap';
import { ZapConfigurationError, ZapError, ZapValidationError } from '../core/errors';
import { ALL_ROLES, OPERATOR_PRINCIPAL, type Principal } from '../operations/principal';
import { ZapOperations } from '../operations/zap-operations';
import { loadZapModule } from '../worker/load-zap-module';

/** Options every `zap` command takes. */
export interface CliGlobalOptions {
  /** The module exporting your Zap. @default process.env.ZAP_MODULE */
  module?: string;
  /** Act as this tenant: see only its tasks, start tasks for it. @default undefined (every tenant) */
  tenant?: string;
  /** Act as this user (recorded on tasks started and decisions made). @default undefined */
  user?: string;
  /** One JSON document on stdout, errors as JSON on stderr. @default false */
  json?: boolean;
}

/**
 * What one `zap` invocation connects: the user's Zap (loaded from `--module` or `ZAP_MODULE`, as
 * `zap-worker` loads it, and connected with Temporal's environment variables) and the
 * {@link ZapOperations} every command goes through. Loaded on first use, so `zap tools` and
 * `zap --help` need neither a module nor a server.
 */
export class CliSession {
  private zap: Zap<any> | undefined;
  private operationsValue: ZapOperations | undefined;

  constructor(private readonly environment: NodeJS.ProcessEnv) {}

  /** The started Zap of `--module` / `ZAP_MODULE`. */
  async startedZap(globals: CliGlobalOptions): Promise<Zap<any>> {
    await this.operations(globals);
    return this.zap as Zap<any>;
  }

  /** The operations over the started Zap of `--module` / `ZAP_MODULE`. */
  async operations(globals: CliGlobalOptions): Promise<ZapOperations> {
    if (this.operationsValue) return this.operationsValue;
    const modulePath = globals.module ?? nonEmpty(this.environment.ZAP_MODULE);
    if (modulePath === undefined) {
      throw new ZapValidationError({
        message: 'No Zap module: pass --module <path> (a module exporting your Zap as `zap` or default) or set ZAP_MODULE.',
      });
    }
    const zap = await loadZap(modulePath);
    await zap.start();
    this.zap = zap;
    this.operationsValue = new ZapOperations({ zap });
    return this.operationsValue;
  }

  /** Closes the Zap's connection, if one was opened. */
  async close(): Promise<void> {
    const zap = this.zap;
    this.zap = undefined;
    this.operationsValue = undefined;
    await zap?.stop();
  }
}

/**
 * The principal of the invocation: the operator (every tenant, every role) unless `--tenant` or
 * `--user` is given, then that tenant's view with every role. `decidedBy` (approve/reject `--by`)
 * replaces the user.
 */
export function principalOf(globals: CliGlobalOptions, decidedBy?: string): Principal {
  const userId = decidedBy ?? globals.user;
  if (globals.tenant === undefined && userId === undefined) return OPERATOR_PRINCIPAL;
  return {
    ...(globals.tenant !== undefined ? { tenantId: globals.tenant } : {}),
    ...(userId !== undefined ? { userId } : {}),
    roles: ALL_ROLES,
  };
}

async function loadZap(modulePath: string): Promise<Zap<any>> {
  let loaded: unknown;
  try {
    loaded = await loadZapModule(modulePath);
  } catch (error) {
    if (ZapError.isInstance(error)) throw error;
    throw new ZapConfigurationError({
      message: `Cannot load the Zap module '${modulePath}': ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  if (typeof (loaded as Partial<Zap<any>>).executeTask !== 'function' || typeof (loaded as Partial<Zap<any>>).start !== 'function') {
    throw new ZapConfigurationError({ message: `${modulePath} must export a Zap (its export has no executeTask/start).` });
  }
  return loaded as Zap<any>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
