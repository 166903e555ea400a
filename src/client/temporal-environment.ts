import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ZapConfigurationError } from '../core/errors';

/** The TLS and API-key settings Temporal's clients read from the environment. */
export interface TemporalEnvironmentCredentials {
  /** TLS to use; undefined: plain TCP. */
  tls?: TLSConfig | true;
  apiKey?: string;
}

/**
 * Reads Temporal's usual client variables (the same names the `temporal` CLI and the SDKs'
 * environment configuration use): `TEMPORAL_API_KEY` (which turns TLS on), `TEMPORAL_TLS`
 * (`true`/`false`), `TEMPORAL_TLS_CLIENT_CERT_PATH`/`_DATA`, `TEMPORAL_TLS_CLIENT_KEY_PATH`/`_DATA`,
 * `TEMPORAL_TLS_SERVER_CA_CERT_PATH`/`_DATA` and `TEMPORAL_TLS_SERVER_NAME`. `TEMPORAL_ADDRESS`
 * and `TEMPORAL_NAMESPACE` are read by `compileZapOptions`. A variable that cannot be used is a
 * `ZapConfigurationError` naming it.
 */
export function readTemporalCredentialsFromEnvironment(environment: NodeJS.ProcessEnv): TemporalEnvironmentCredentials {
  const apiKey = text(environment.TEMPORAL_API_KEY);
  const enabled = readBoolean(environment, 'TEMPORAL_TLS');
  const clientCertificate = readPem(environment, 'TEMPORAL_TLS_CLIENT_CERT');
  const clientKey = readPem(environment, 'TEMPORAL_TLS_CLIENT_KEY');
  const serverCaCertificate = readPem(environment, 'TEMPORAL_TLS_SERVER_CA_CERT');
  const serverName = text(environment.TEMPORAL_TLS_SERVER_NAME);
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw new ZapConfigurationError({
      message: 'TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_* must be given together (mTLS needs both).',
    });
  }
  const tls: TLSConfig = {
    ...(clientCertificate && clientKey ? { clientCertPair: { crt: clientCertificate, key: clientKey } } : {}),
    ...(serverCaCertificate ? { serverRootCACertificate: serverCaCertificate } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
  const wanted = enabled ?? (apiKey !== undefined || Object.keys(tls).length > 0);
  return {
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(wanted ? { tls: Object.keys(tls).length > 0 ? tls : true } : {}),
  };
}

function readBoolean(environment: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = text(environment[name])?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ZapConfigurationError({ message: `${name} must be 'true' or 'false', not '${environment[name]}'.` });
}

/** `<prefix>_DATA` (PEM text) or the file named by `<prefix>_PATH`. */
function readPem(environment: NodeJS.ProcessEnv, prefix: string): Uint8Array | undefined {
  const data = text(environment[`${prefix}_DATA`]);
  if (data !== undefined) return Buffer.from(data);
  const path = text(environment[`${prefix}_PATH`]);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ZapConfigurationError({ message: `${prefix}_PATH: cannot read '${path}': ${(error as Error).message}`, cause: error });
  }
}

function text(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
