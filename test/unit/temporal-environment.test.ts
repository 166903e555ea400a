import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTemporalCredentialsFromEnvironment } from '../../src/client/temporal-environment';
import { compileZapOptions } from '../../src/client/zap-options';
import { ZapAgent, ZapConfigurationError } from '../../src';

describe('Temporal credentials from the environment', () => {
  test('nothing set: plain TCP, no API key', () => {
    expect(readTemporalCredentialsFromEnvironment({})).toEqual({});
  });

  test('TEMPORAL_API_KEY turns TLS on unless TEMPORAL_TLS=false', () => {
    expect(readTemporalCredentialsFromEnvironment({ TEMPORAL_API_KEY: 'k' })).toEqual({ apiKey: 'k', tls: true });
    expect(readTemporalCredentialsFromEnvironment({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' })).toEqual({ apiKey: 'k' });
    expect(readTemporalCredentialsFromEnvironment({ TEMPORAL_TLS: 'true' })).toEqual({ tls: true });
  });

  test('mTLS certificates from files or PEM data, and the server name', () => {
    const directory = mkdtempSync(join(tmpdir(), 'zap-tls-'));
    writeFileSync(join(directory, 'client.pem'), 'CERT');
    const credentials = readTemporalCredentialsFromEnvironment({
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(directory, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(credentials.tls).toEqual({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      serverNameOverride: 'temporal.internal',
    });
  });

  test('unusable variables are configuration errors naming them', () => {
    expect(() => readTemporalCredentialsFromEnvironment({ TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS must be 'true' or 'false'/);
    expect(() => readTemporalCredentialsFromEnvironment({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT' })).toThrow(ZapConfigurationError);
    expect(() => readTemporalCredentialsFromEnvironment({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' })).toThrow(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read/,
    );
  });

  test('a Zap takes them, and its own options win', () => {
    const agents = [new ZapAgent({ name: 'A', prompt: 'p' })];
    const fromEnvironment = compileZapOptions({ agents }, { TEMPORAL_API_KEY: 'env-key' });
    expect(fromEnvironment.temporal).toMatchObject({ apiKey: 'env-key', tls: true });
    const explicit = compileZapOptions({ agents, temporal: { apiKey: 'own-key', tls: false } }, { TEMPORAL_API_KEY: 'env-key' });
    expect(explicit.temporal).toMatchObject({ apiKey: 'own-key', tls: false });
  });
});
