import { OPERATOR_PRINCIPAL, type Principal } from '../operations/principal';

/**
 * Establishes who sends a request: a principal, or undefined to refuse it with 401 (and
 * `WWW-Authenticate: Bearer`). Runs once per request to `/v1/*` and `/mcp`; a thrown error
 * answers as that error would (a `ZapError` by its code, anything else 500).
 */
export type Authenticator = (request: Request) => Promise<Principal | undefined> | Principal | undefined;

/**
 * An authenticator that accepts every request as `principal`: for local development only, on
 * a server that binds 127.0.0.1.
 *
 * @param [principal=OPERATOR_PRINCIPAL] who every request acts as (every role, every tenant)
 * @example
 * ```ts
 * const app = createHttpApi({ zap, authenticate: allowAnyone() });
 * ```
 */
export function allowAnyone(principal: Principal = OPERATOR_PRINCIPAL): Authenticator {
  const frozen = Object.freeze({ ...principal, roles: Object.freeze([...principal.roles]) });
  return () => frozen;
}
