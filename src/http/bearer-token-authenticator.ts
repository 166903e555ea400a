import { createHash, timingSafeEqual } from 'node:crypto';
import { ZapConfigurationError } from '../core/errors';
import { ALL_ROLES, type Principal } from '../operations/principal';
import type { Authenticator } from './authenticator';

/** Options of {@link bearerTokenAuthenticator}. */
export interface BearerTokenAuthenticatorOptions {
  /**
   * Each accepted token and the principal it authenticates (tenant, user, roles). A caller
   * acting as a task (`actingTaskId`) cannot be configured here: that comes from the MCP face.
   */
  tokens: Record<string, Omit<Principal, 'actingTaskId'>>;
}

/**
 * An authenticator of `Authorization: Bearer <token>` against a fixed table of tokens. Every
 * token is compared in constant time (SHA-256 digests, so lengths do not leak either), and all
 * of them are compared on every request.
 *
 * @example
 * ```ts
 * const authenticate = bearerTokenAuthenticator({
 *   tokens: {
 *     [process.env.ACME_TOKEN!]: { tenantId: 'acme', userId: 'ana', roles: ['read', 'start', 'approve'] },
 *     [process.env.ACME_READER_TOKEN!]: { tenantId: 'acme', roles: ['read'] },
 *   },
 * });
 * ```
 */
export function bearerTokenAuthenticator(options: BearerTokenAuthenticatorOptions): Authenticator {
  const entries = Object.entries(options?.tokens ?? {});
  if (entries.length === 0) {
    throw new ZapConfigurationError({ message: 'bearerTokenAuthenticator needs at least one token in `tokens`.' });
  }
  const table = entries.map(([token, principal]) => {
    if (token.trim() === '') throw new ZapConfigurationError({ message: 'bearerTokenAuthenticator: a token is empty.' });
    const roles = principal?.roles;
    if (!Array.isArray(roles) || roles.some((role) => !ALL_ROLES.includes(role))) {
      throw new ZapConfigurationError({
        message: `bearerTokenAuthenticator: the roles of a token must be a list of ${ALL_ROLES.join(', ')}.`,
      });
    }
    const frozen: Principal = Object.freeze({
      ...(principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {}),
      ...(principal.userId !== undefined ? { userId: principal.userId } : {}),
      roles: Object.freeze([...roles]),
    });
    return { digest: digestOf(token), principal: frozen };
  });
  return (request) => {
    const token = bearerTokenOf(request);
    if (token === undefined) return undefined;
    const digest = digestOf(token);
    let found: Principal | undefined;
    for (const entry of table) {
      // No early exit: the time taken does not depend on which token matched.
      if (timingSafeEqual(entry.digest, digest)) found = entry.principal;
    }
    return found;
  };
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
function bearerTokenOf(request: Request): string | undefined {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(request.headers.get('authorization') ?? '');
  return match?.[1];
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
