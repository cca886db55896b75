import type {CleanupFacts} from '../../gather/probe/cleanup.js'
import type {Outcome} from '../types.js'
import {CLUSTER_SUBJECT, defineCheck} from '../types.js'

export const probeLeftovers = defineCheck<CleanupFacts>()({
  id: 'node.probe-leftovers',
  title: 'No probe pods or namespaces of earlier runs are left behind',
  category: 'node',
  needs: ['leftovers'],
  source: 'probe hygiene: https://github.com/replicatedhq/troubleshoot/issues/1186 , https://github.com/elastic/eck-diagnostics/issues/22',
  run: ({leftovers: {leftovers, unreadable}}) => {
    // What could not be listed may still hold leftovers: never report "nothing found" for it.
    const blind = unreadable.map((reason): Outcome => ({severity: 'unknown', subject: CLUSTER_SUBJECT, message: `could not look for leftovers everywhere: ${reason}`}))
    if (leftovers.length === 0) return blind.length > 0 ? blind : [{severity: 'pass', subject: CLUSTER_SUBJECT, message: 'no probe pods or namespaces of earlier runs were found'}]
    return [...blind, ...leftovers.map((l): Outcome => {
      const subject = l.kind === 'Namespace' ? {kind: 'Namespace' as const, name: l.name} : {kind: 'Workload' as const, name: `pod/${l.name}`, namespace: l.namespace}
      if (l.error === undefined) return {severity: 'pass', subject, message: `removed leftover ${l.kind === 'Namespace' ? 'namespace' : 'probe pod'} ${l.namespace ? `${l.namespace}/` : ''}${l.name}${l.runId ? ` (run ${l.runId})` : ''}`}
      return {
        severity: 'warn',
        subject,
        message: `could not remove ${l.kind === 'Namespace' ? 'namespace' : 'probe pod'} ${l.namespace ? `${l.namespace}/` : ''}${l.name}: ${l.error}`,
        remediation: {text: 'Delete it yourself, or ask someone who may.', command: l.kind === 'Namespace' ? `kubectl delete namespace ${l.name}` : `kubectl -n ${l.namespace} delete pod ${l.name}`},
      }
    })]
  },
})
