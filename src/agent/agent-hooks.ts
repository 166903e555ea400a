import type { LifecycleHookName } from '../core/agent-settings';
import { LIFECYCLE_HOOK_NAMES } from '../core/agent-settings';
import { ZapConfigurationError } from '../core/errors';
import type { LifecycleHook, LifecycleHooks } from '../hooks/lifecycle-hooks';

/** Validates an agent's `hooks` option: known names, functions only. The result is frozen. */
export function compileHooks(hooks: LifecycleHooks | undefined, where: string): Readonly<LifecycleHooks> {
  if (hooks === undefined) return Object.freeze({});
  if (typeof hooks !== 'object' || hooks === null) {
    throw new ZapConfigurationError({ message: `${where}: hooks must be an object of functions (${LIFECYCLE_HOOK_NAMES.join(', ')}).` });
  }
  const compiled: { [Name in LifecycleHookName]?: LifecycleHook } = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (!(LIFECYCLE_HOOK_NAMES as readonly string[]).includes(name)) {
      throw new ZapConfigurationError({ message: `${where}: unknown hook '${name}'; hooks are ${LIFECYCLE_HOOK_NAMES.join(', ')}.` });
    }
    if (hook === undefined) continue;
    if (typeof hook !== 'function') throw new ZapConfigurationError({ message: `${where}: hooks.${name} must be a function.` });
    compiled[name as LifecycleHookName] = hook;
  }
  return Object.freeze(compiled);
}

/** The names of the hooks an agent has, in {@link LIFECYCLE_HOOK_NAMES} order (what a task's settings carry). */
export function hookNames(hooks: Readonly<LifecycleHooks>): LifecycleHookName[] {
  return LIFECYCLE_HOOK_NAMES.filter((name) => hooks[name] !== undefined);
}
