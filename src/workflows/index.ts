/**
 * Sandbox-safe workflow code: the entry point a Temporal worker bundles
 * (`zap-agents/workflows`). Import nothing here that is not deterministic.
 *
 * @example
 * ```ts
 * Worker.create({ workflowsPath: require.resolve('zap-agents/workflows'), … });
 * ```
 */
export { agentWorkflow } from './agent-workflow';
export { pipelineWorkflow } from './pipeline-workflow';
export { PIPELINE_WORKFLOW_TYPE } from './pipeline-definitions';
export type { PipelineWorkflowInput, PipelineWorkflowResult } from '../core/pipeline-state';
export { toolCatalogWorkflow } from './tool-catalog-workflow';
export { tenantBudgetWorkflow } from './tenant-budget-workflow';
export type { TenantBudgetWorkflowResult } from './tenant-budget-workflow';
export { runAgent } from './run-agent';
export type { RunAgentApprovalRules, RunAgentOptions, RunAgentResult } from './run-agent';
export type { AgentWorkflowInput, AgentWorkflowResult, CarriedTaskState } from '../core/task-state';
export {
  AGENT_WORKFLOW_TYPE,
  cancelReasonSignal,
  deliverEventUpdate,
  followUpSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskStateQuery,
} from './definitions';
export type {
  DeliverEventInput,
  DeliverEventResult,
  FollowUpSignalInput,
  GetEventsQueryResult,
  GetMessagesQueryInput,
} from './definitions';
