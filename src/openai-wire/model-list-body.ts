/** The body of `GET /v1/models` for a server that serves one model. */
export function buildModelListBody(modelId: string): Record<string, unknown> {
  return { object: 'list', data: [{ id: modelId, object: 'model', created: 0, owned_by: 'zap-agents' }] };
}
