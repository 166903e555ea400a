/**
 * Names of the pipeline workflow, shared by the client and the workflow code. A run answers the
 * same signals, queries and updates as an agent task (`definitions.ts`): status and state
 * queries (with a `pipeline` field), events, approval decisions (its gates), cancellation.
 * Sandbox-safe: constants only.
 */

/** Workflow type of a pipeline run. */
export const PIPELINE_WORKFLOW_TYPE = 'pipelineWorkflow';
