import { ZapConfigurationError } from '../core/errors';
import {
  compileWorkerDeploymentOptions,
  type DeploymentFieldLabels,
  listBehaviors,
  VERSIONING_BEHAVIORS,
  type ZapVersioningBehavior,
  type ZapWorkerDeploymentOptions,
} from './worker-deployment';

/** Environment variable naming the worker deployment (`deployment.name`). */
export const DEPLOYMENT_NAME_VARIABLE = 'ZAP_DEPLOYMENT_NAME';
/** Environment variable giving this build's id (`deployment.buildId`). */
export const BUILD_ID_VARIABLE = 'ZAP_BUILD_ID';
/** Environment variable choosing `deployment.versioningBehavior`: `auto-upgrade` (default) or `pinned`. */
export const VERSIONING_BEHAVIOR_VARIABLE = 'ZAP_VERSIONING_BEHAVIOR';

const ENVIRONMENT_LABELS: DeploymentFieldLabels = {
  name: DEPLOYMENT_NAME_VARIABLE,
  buildId: BUILD_ID_VARIABLE,
  versioningBehavior: VERSIONING_BEHAVIOR_VARIABLE,
};

/**
 * Reads a worker's deployment from `ZAP_DEPLOYMENT_NAME`, `ZAP_BUILD_ID` and the optional
 * `ZAP_VERSIONING_BEHAVIOR`. Neither of the first two set (or both empty): `undefined`, the worker
 * is unversioned. One without the other, or `ZAP_VERSIONING_BEHAVIOR` without them, is a
 * `ZapConfigurationError`: a worker meant to be versioned must not start unversioned. Values are
 * checked like `deployment` options, and errors name the variable.
 *
 * @example
 * ```ts
 * await runWorker(zap, { deployment: readWorkerDeploymentFromEnvironment(process.env) });
 * ```
 */
export function readWorkerDeploymentFromEnvironment(environment: NodeJS.ProcessEnv): ZapWorkerDeploymentOptions | undefined {
  const name = readVariable(environment, DEPLOYMENT_NAME_VARIABLE);
  const buildId = readVariable(environment, BUILD_ID_VARIABLE);
  const behavior = readVariable(environment, VERSIONING_BEHAVIOR_VARIABLE);
  if (name === undefined && buildId === undefined) {
    if (behavior !== undefined) {
      throw new ZapConfigurationError({
        message: `${VERSIONING_BEHAVIOR_VARIABLE} is set but ${DEPLOYMENT_NAME_VARIABLE} and ${BUILD_ID_VARIABLE} are not; ` +
          'set both to run a versioned worker, or unset it.',
      });
    }
    return undefined;
  }
  if (name === undefined || buildId === undefined) {
    const [given, missing] = name === undefined ? [BUILD_ID_VARIABLE, DEPLOYMENT_NAME_VARIABLE] : [DEPLOYMENT_NAME_VARIABLE, BUILD_ID_VARIABLE];
    throw new ZapConfigurationError({
      message: `${given} is set but ${missing} is not: set both to run a versioned worker (Temporal Worker Versioning), or neither.`,
    });
  }
  const deployment: ZapWorkerDeploymentOptions = { name, buildId };
  if (behavior !== undefined) deployment.versioningBehavior = parseBehavior(behavior);
  compileWorkerDeploymentOptions(deployment, ENVIRONMENT_LABELS);
  return deployment;
}

/** Unset and empty are the same; a value with surrounding whitespace is a typo, not a name. */
function readVariable(environment: NodeJS.ProcessEnv, variable: string): string | undefined {
  const value = environment[variable];
  if (value === undefined || value === '') return undefined;
  if (value.trim() !== value) {
    throw new ZapConfigurationError({
      message: `${variable} must not start or end with whitespace: ${JSON.stringify(value)}.`,
    });
  }
  return value;
}

/** Accepts the option spelling (`auto-upgrade`) and Temporal's (`AUTO_UPGRADE`), in any case. */
function parseBehavior(value: string): ZapVersioningBehavior {
  const normalized = value.toLowerCase().replace(/_/g, '-');
  const behavior = VERSIONING_BEHAVIORS.find((candidate) => candidate === normalized);
  if (!behavior) {
    throw new ZapConfigurationError({
      message: `${VERSIONING_BEHAVIOR_VARIABLE} must be ${listBehaviors()}, not ${JSON.stringify(value)}.`,
    });
  }
  return behavior;
}
