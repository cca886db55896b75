import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {notInMode, podCount, podsWhere} from '../../derive/workloads/context.js'

export const hostNetwork = defineCheck<WorkloadFacts>()({
  id: 'workload.host-network',
  title: 'Pods use their own network namespace, so the mesh can capture their traffic',
  category: 'workload',
  needs: ['contexts'],
  source:
    'https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go (injectRequired skips hostNetwork pods); https://istio.io/latest/docs/ambient/architecture/traffic-redirection/ (redirection happens inside the pod network namespace)',
  run: ({contexts}) =>
    contexts.workloads.map(({workload, subject, mode}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      const pods = podsWhere(workload, (shape) => shape.hostNetwork)
      if (pods === 0)
        return {
          severity: 'pass',
          subject,
          message: `its pods do not set hostNetwork, so they get their own network namespace (${podCount(workload.pods)})`,
          evidence: {pods: workload.pods},
        }
      return {
        severity: 'warn',
        subject,
        message: `uses hostNetwork: Istio neither injects a sidecar into nor redirects the traffic of pods in the node's network namespace, so its traffic has no mTLS and calls to STRICT-mTLS workloads fail (${podCount(pods)})`,
        remediation: {
          text: 'Drop hostNetwork if the workload does not need it, or keep it out of the mesh on purpose and allow its plaintext traffic (PeerAuthentication PERMISSIVE on what it calls).',
        },
        evidence: {pods},
      }
    }),
})
