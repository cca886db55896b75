import type {CleanupFacts, Leftover} from '../../gather/probe/cleanup.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

const WORDS: Record<Leftover['kind'], string> = {Namespace: 'namespace', DaemonSet: 'probe DaemonSet', Pod: 'probe pod', Lease: 'run lease'}
const where = (l: Leftover) => `${l.namespace ? `${l.namespace}/` : ''}${l.name}`

function subjectOf(l: Leftover): Outcome['subject'] {
  if (l.kind === 'Namespace') return {kind: 'Namespace', name: l.name}
  return {kind: 'Workload', name: `${l.kind === 'Pod' ? 'pod' : l.kind === 'DaemonSet' ? 'daemonset' : 'lease'}/${l.name}`, namespace: l.namespace}
}

function deleteCommand(l: Leftover): string {
  if (l.kind === 'Namespace') return `kubectl delete namespace ${l.name}`
  return `kubectl -n ${l.namespace} delete ${l.kind === 'Pod' ? 'pod' : 'lease'} ${l.name}`
}

export const probeLeftovers = defineCheck<CleanupFacts>()({
  id: 'node.probe-leftovers',
  title: 'No probe pods or namespaces of earlier runs are left behind',
  category: 'node',
  needs: ['leftovers'],
  source: 'probe hygiene: https://github.com/replicatedhq/troubleshoot/issues/1186 , https://github.com/elastic/eck-diagnostics/issues/22',
  run: ({leftovers: {leftovers, unreadable, dryRun}}) => {
    // What could not be listed may still hold leftovers: never report "nothing found" for it.
    const blind = unreadable.map(
      (reason): Outcome => ({severity: 'unknown', subject: CLUSTER_SUBJECT, message: `could not look for leftovers everywhere: ${reason}`}),
    )
    if (leftovers.length === 0)
      return blind.length > 0 ? blind : [{severity: 'pass', subject: CLUSTER_SUBJECT, message: 'no probe pods or namespaces of earlier runs were found'}]
    // Only objects of live runs: nothing of a finished run is left, and the report says so (not "nothing judged").
    const onlyLive = leftovers.every((l) => l.kept !== undefined) && blind.length === 0
    return [
      ...blind,
      ...(onlyLive
        ? [
            {
              severity: 'pass' as const,
              subject: CLUSTER_SUBJECT,
              message: 'nothing of a finished run is left behind (only objects of runs that are still alive)',
            },
          ]
        : []),
      ...leftovers.map((l): Outcome => {
        const run = l.runId ? ` (run ${l.runId})` : ''
        if (l.kept !== undefined) return {severity: 'skip', subject: subjectOf(l), message: `left ${WORDS[l.kind]} ${where(l)} alone: ${l.kept}`}
        if (l.error === undefined) {
          return dryRun
            ? {
                severity: 'pass',
                subject: subjectOf(l),
                message: `would remove leftover ${WORDS[l.kind]} ${where(l)}${run} (--dry-run)`,
                remediation: {text: 'Run cleanup without --dry-run to remove it.', command: 'kubectl mesh-ready cleanup'},
              }
            : {severity: 'pass', subject: subjectOf(l), message: `removed leftover ${WORDS[l.kind]} ${where(l)}${run}`}
        }
        return {
          severity: 'warn',
          subject: subjectOf(l),
          message: `could not remove ${WORDS[l.kind]} ${where(l)}: ${l.error}`,
          remediation: {text: 'Delete it yourself, or ask someone who may.', command: deleteCommand(l)},
        }
      }),
    ]
  },
})
