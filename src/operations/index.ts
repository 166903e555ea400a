/**
 * The operations surface: one service layer ({@link ZapOperations}) that the `zap` CLI, the HTTP
 * API (`zap-agents/http`) and the MCP server (`zap-agents/mcp-server`) share, with its zod wire
 * schemas, principals and roles, and the operations as tool definitions.
 * @module
 */
export { ZapOperations, type ZapOperationsOptions, type WaitForTaskOptions } from './zap-operations';
export { ALL_ROLES, OPERATOR_PRINCIPAL, assertRole, approverOf, type Principal, type Role } from './principal';
/** What a missing role, a refused `authorize` hook or a model deciding its own approvals throws. */
export { PermissionDeniedError, type PermissionDeniedErrorOptions } from '../core/errors';
export { OPERATION_CATALOG, findOperation, type OperationDescriptor } from './operation-catalog';
export {
  operationInputJsonSchema,
  operationOutputJsonSchema,
  operationToolDefinitions,
  type ToolDefinitionFormat,
} from './tool-definitions';
export * from './operation-schemas';
