// Everything one running test API server holds, shared by its request handlers.
import type {Authorizer} from './rbac.js'
import type {Kubelet} from './kubelet.js'
import type {Registry} from './registry.js'
import type {Scenario, ServerVersion} from './scenario.js'
import type {Store} from './store.js'

export interface ServerState {
  scenario: Scenario
  version: ServerVersion
  store: Store
  registry: Registry
  authorizer: Authorizer
  kubelet: Kubelet
  user: string
  groups: string[]
  namespaceDeletionDelayMs: number
  /** Background work (namespace termination, garbage collection) to cancel on stop. */
  timers: Set<NodeJS.Timeout>
  /** Ends every open watch / followed log (called on stop). */
  closers: Set<() => void>
  /** Next ClusterIP / NodePort to hand out. */
  nextClusterIP: number
  nextNodePort: number
}

/** Runs `fn` after `ms` unless the server stops first. */
export function later(state: ServerState, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    state.timers.delete(t)
    fn()
  }, ms)
  state.timers.add(t)
}
