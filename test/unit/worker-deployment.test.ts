import type { Client } from '@temporalio/client';
import { ZapAgent } from '../../src/agent/zap-agent';
import { compileZapOptions } from '../../src/client/zap-options';
import { ZapConfigurationError } from '../../src/core/errors';
import { createZapWorker, type ZapWorkerOptions } from '../../src/worker/create-worker';
import {
  compileWorkerDeploymentOptions,
  DEFAULT_VERSIONING_BEHAVIOR,
  type ZapWorkerDeploymentOptions,
} from '../../src/worker/worker-deployment';
import { readWorkerDeploymentFromEnvironment } from '../../src/worker/worker-deployment-environment';

function configurationMessage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ZapConfigurationError);
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ZapConfigurationError');
}

function compile(options: unknown) {
  return compileWorkerDeploymentOptions(options as ZapWorkerDeploymentOptions);
}

describe('compileWorkerDeploymentOptions', () => {
  it('turns on worker versioning with auto-upgrade by default', () => {
    expect(DEFAULT_VERSIONING_BEHAVIOR).toBe('auto-upgrade');
    expect(compile({ name: 'support-agents', buildId: 'v42' })).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'support-agents', buildId: 'v42' },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it('maps the behaviour option onto Temporal’s', () => {
    expect(compile({ name: 'd', buildId: 'b', versioningBehavior: 'pinned' }).defaultVersioningBehavior).toBe('PINNED');
    expect(compile({ name: 'd', buildId: 'b', versioningBehavior: 'auto-upgrade' }).defaultVersioningBehavior).toBe('AUTO_UPGRADE');
  });

  it('accepts names Temporal accepts: dots in build ids, slashes, double underscores inside', () => {
    expect(compile({ name: 'team/agents', buildId: '1.4.2+sha.abc' }).version).toEqual({
      deploymentName: 'team/agents',
      buildId: '1.4.2+sha.abc',
    });
    expect(compile({ name: 'a__b', buildId: 'c__d' }).version.buildId).toBe('c__d');
  });

  it('needs an object', () => {
    expect(configurationMessage(() => compile(undefined))).toBe(
      'Worker `deployment` must be an object with `name` and `buildId`, not undefined.',
    );
    expect(configurationMessage(() => compile('support-agents'))).toMatch(/must be an object/);
  });

  it('needs a non-empty name and build id', () => {
    expect(configurationMessage(() => compile({ buildId: 'v1' }))).toBe(
      'Worker `deployment.name` must be a non-empty string, not undefined.',
    );
    expect(configurationMessage(() => compile({ name: '', buildId: 'v1' }))).toBe(
      'Worker `deployment.name` must be a non-empty string, not "".',
    );
    expect(configurationMessage(() => compile({ name: 'd', buildId: '   ' }))).toBe(
      'Worker `deployment.buildId` must be a non-empty string, not "   ".',
    );
    expect(configurationMessage(() => compile({ name: 'd', buildId: 42 }))).toBe(
      'Worker `deployment.buildId` must be a non-empty string, not number.',
    );
    expect(configurationMessage(() => compile({ name: null, buildId: 'v1' }))).toMatch(/not null\.$/);
  });

  it('refuses surrounding whitespace (a typo that would make a second deployment)', () => {
    expect(configurationMessage(() => compile({ name: 'd ', buildId: 'v1' }))).toBe(
      'Worker `deployment.name` must not start or end with whitespace: "d ".',
    );
    expect(configurationMessage(() => compile({ name: 'd', buildId: '\tv1' }))).toMatch(/deployment\.buildId. must not start or end/);
  });

  it('refuses what Temporal refuses (a worker would poll without ever registering)', () => {
    expect(configurationMessage(() => compile({ name: 'support.agents', buildId: 'v1' }))).toBe(
      "Worker `deployment.name` must not contain '.' (Temporal separates deployment name and build id with it): \"support.agents\".",
    );
    expect(configurationMessage(() => compile({ name: 'support:agents', buildId: 'v1' }))).toMatch(/must not contain ':'/);
    expect(configurationMessage(() => compile({ name: '__internal', buildId: 'v1' }))).toBe(
      "Worker `deployment.name` must not start with '__' (reserved by Temporal): \"__internal\".",
    );
    expect(configurationMessage(() => compile({ name: 'd', buildId: '__v1' }))).toMatch(/deployment\.buildId. must not start with '__'/);
  });

  it('refuses an unknown behaviour, Temporal’s own spelling included', () => {
    expect(configurationMessage(() => compile({ name: 'd', buildId: 'v1', versioningBehavior: 'PINNED' }))).toBe(
      'Worker `deployment.versioningBehavior` must be \'auto-upgrade\' or \'pinned\', not "PINNED".',
    );
    expect(configurationMessage(() => compile({ name: 'd', buildId: 'v1', versioningBehavior: 42 }))).toMatch(/not number\.$/);
  });
});

describe('createZapWorker with a deployment', () => {
  const options = compileZapOptions({ agents: [new ZapAgent({ name: 'Support', prompt: 'You help.' })] }, {});
  const unusedClient = {} as Client;

  async function failure(workerOptions: ZapWorkerOptions): Promise<Error> {
    const error = await createZapWorker({ options, client: unusedClient, workerOptions }).then(
      () => new Error('expected a failure'),
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(ZapConfigurationError);
    return error;
  }

  it('validates the deployment before connecting anything', async () => {
    expect((await failure({ deployment: { name: 'd', buildId: '' } })).message).toMatch(/deployment\.buildId. must be a non-empty string/);
  });

  it('refuses a second way of versioning the same worker', async () => {
    const deployment = { name: 'd', buildId: 'v1' };
    expect(
      (
        await failure({
          deployment,
          worker: {
            workerDeploymentOptions: {
              useWorkerVersioning: true,
              version: { deploymentName: 'd', buildId: 'v1' },
              defaultVersioningBehavior: 'PINNED',
            },
          },
        })
      ).message,
    ).toBe('Give the worker deployment either as `deployment` or as worker `workerDeploymentOptions`, not both.');
    expect((await failure({ deployment, worker: { buildId: 'v1' } })).message).toMatch(/deprecated worker `buildId` \/ `useVersioning`/);
    expect((await failure({ deployment, worker: { useVersioning: true } })).message).toMatch(/deprecated worker/);
  });
});

describe('readWorkerDeploymentFromEnvironment', () => {
  it('is undefined when neither variable is set (or both are empty)', () => {
    expect(readWorkerDeploymentFromEnvironment({})).toBeUndefined();
    expect(readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: '', ZAP_BUILD_ID: '', ZAP_VERSIONING_BEHAVIOR: '' })).toBeUndefined();
  });

  it('reads name and build id, leaving the behaviour to the default', () => {
    expect(readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: 'support-agents', ZAP_BUILD_ID: 'v42' })).toEqual({
      name: 'support-agents',
      buildId: 'v42',
    });
  });

  it('reads the behaviour in either spelling and any case', () => {
    const base = { ZAP_DEPLOYMENT_NAME: 'd', ZAP_BUILD_ID: 'v1' };
    for (const [value, expected] of [
      ['pinned', 'pinned'],
      ['PINNED', 'pinned'],
      ['auto-upgrade', 'auto-upgrade'],
      ['AUTO_UPGRADE', 'auto-upgrade'],
      ['Auto-Upgrade', 'auto-upgrade'],
    ] as const) {
      expect(readWorkerDeploymentFromEnvironment({ ...base, ZAP_VERSIONING_BEHAVIOR: value })?.versioningBehavior).toBe(expected);
    }
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ...base, ZAP_VERSIONING_BEHAVIOR: 'sticky' }))).toBe(
      'ZAP_VERSIONING_BEHAVIOR must be \'auto-upgrade\' or \'pinned\', not "sticky".',
    );
  });

  it('refuses one variable without the other', () => {
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: 'd' }))).toBe(
      'ZAP_DEPLOYMENT_NAME is set but ZAP_BUILD_ID is not: set both to run a versioned worker (Temporal Worker Versioning), or neither.',
    );
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_BUILD_ID: 'v1', ZAP_DEPLOYMENT_NAME: '' }))).toBe(
      'ZAP_BUILD_ID is set but ZAP_DEPLOYMENT_NAME is not: set both to run a versioned worker (Temporal Worker Versioning), or neither.',
    );
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_VERSIONING_BEHAVIOR: 'pinned' }))).toBe(
      'ZAP_VERSIONING_BEHAVIOR is set but ZAP_DEPLOYMENT_NAME and ZAP_BUILD_ID are not; set both to run a versioned worker, or unset it.',
    );
  });

  it('checks values like the options do, naming the variable', () => {
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: 'a.b', ZAP_BUILD_ID: 'v1' }))).toBe(
      "ZAP_DEPLOYMENT_NAME must not contain '.' (Temporal separates deployment name and build id with it): \"a.b\".",
    );
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: 'd', ZAP_BUILD_ID: 'v1 ' }))).toBe(
      'ZAP_BUILD_ID must not start or end with whitespace: "v1 ".',
    );
    expect(configurationMessage(() => readWorkerDeploymentFromEnvironment({ ZAP_DEPLOYMENT_NAME: 'd', ZAP_BUILD_ID: '__v1' }))).toMatch(
      /^ZAP_BUILD_ID must not start with '__'/,
    );
  });
});
