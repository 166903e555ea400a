import type { ZapAgent } from '../agent/zap-agent';
import { PipelineDefinitionError, ZapConfigurationError } from '../core/errors';
import { PipelineDefinition, type AnyPipelineDefinition } from './pipeline-definition';

/**
 * Checks the pipelines a `Zap` is given, once, at construction: each is a definition built with
 * `pipeline()`, has at least one step (`PipelineDefinitionError`), has a name no other pipeline
 * has, and names only registered agents in its steps (`ZapConfigurationError` naming the
 * pipeline and the step).
 */
export function compilePipelines(
  pipelines: readonly unknown[] | undefined,
  agents: ReadonlyMap<string, ZapAgent<any>>,
): ReadonlyMap<string, AnyPipelineDefinition> {
  const compiled = new Map<string, AnyPipelineDefinition>();
  if (pipelines === undefined) return compiled;
  if (!Array.isArray(pipelines)) throw new ZapConfigurationError({ message: 'Zap `pipelines` must be an array of pipeline() definitions.' });
  for (const definition of pipelines) {
    if (!(definition instanceof PipelineDefinition)) {
      throw new ZapConfigurationError({ message: 'Zap `pipelines` must be definitions built with pipeline() (from zap-agents/pipelines).' });
    }
    if (definition.steps.length === 0) {
      throw new PipelineDefinitionError({ pipelineName: definition.name, problem: 'has no steps; add at least one with .step() or .gate().' });
    }
    if (compiled.has(definition.name)) throw new ZapConfigurationError({ message: `Two pipelines are named '${definition.name}'.` });
    for (const step of definition.steps) {
      if (step.kind === 'agent' && !agents.has(step.agent)) {
        throw new ZapConfigurationError({
          message:
            `Pipeline '${definition.name}', step '${step.name}': agent '${step.agent}' is not registered. ` +
            `Known agents: ${[...agents.keys()].join(', ')}.`,
        });
      }
    }
    compiled.set(definition.name, definition);
  }
  return compiled;
}
