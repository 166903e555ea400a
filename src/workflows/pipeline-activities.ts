import { proxyActivities } from '@temporalio/workflow';
import type { ZapActivities } from '../core/activity-contracts';
import { DEFAULT_PIPELINE_STEP_ACTIVITY_TIMEOUT } from '../core/defaults';

/**
 * The activities of a pipeline run: a step's user code (its `input` or a gate's `message`
 * function) and the check of an output with its real schema run on a worker. Three attempts: a
 * function that throws for a passing reason gets another chance, one with a bug fails the step.
 */
export const pipelineActivities = proxyActivities<ZapActivities>({
  startToCloseTimeout: DEFAULT_PIPELINE_STEP_ACTIVITY_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});
